package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// checkPermitProof verifies, with sumdb/note and sumdb/tlog only, that the
// answer's entry is in the tree its checkpoint signs, and returns the
// entry's type and body.
func checkPermitProof(t *testing.T, f *promFixture, a wire.PermitResponse) (string, promotion.Permit) {
	t.Helper()
	ver, _ := note.NewVerifier(f.vkey)
	n, err := note.Open([]byte(a.Checkpoint), note.VerifierList(ver))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n")
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	rootB, _ := base64.StdEncoding.DecodeString(lines[2])
	var root tlog.Hash
	copy(root[:], rootB)
	proof := make(tlog.RecordProof, len(a.InclusionProof))
	for i, h := range a.InclusionProof {
		copy(proof[i][:], h)
	}
	if uint64(size) != a.TreeSize {
		t.Fatalf("checkpoint of size %d, answer says %d", size, a.TreeSize)
	}
	if err := tlog.CheckRecord(proof, size, root, int64(a.Index), tlog.RecordHash(a.Entry)); err != nil {
		t.Fatalf("inclusion of entry %d: %v", a.Index, err)
	}
	var e struct {
		Type string
		promotion.Permit
	}
	if err := json.Unmarshal(a.Entry, &e); err != nil {
		t.Fatal(err)
	}
	return e.Type, e.Permit
}

// TestPermit: verify-and-permit-upload permits what the tier's checks
// pass and denies the rest with the reason, logging both with a proof.
func TestPermit(t *testing.T) {
	f := newPromFixture(t)
	_, priv := promotionKey(t)
	stranger := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	f.land("up/a.txt", "alpha")
	f.tamper(f.land("up/t.txt", "tango").Digest)
	good := signedProof(statement("alpha", "bravo", "tango"), priv)
	d := func(s string) string { return "sha256:" + sha256Hex(s) }
	for _, tc := range []struct {
		name   string
		req    wire.PermitRequest
		reason string
	}{
		{"digests listed", wire.PermitRequest{Tier: "signed", Digests: []string{d("alpha"), d("bravo")}, Proof: good}, ""},
		{"landed key listed", wire.PermitRequest{Tier: "signed", Keys: []string{"raw/up/a.txt"}, Digests: []string{d("bravo")}, Proof: good}, ""},
		{"basic by key", wire.PermitRequest{Tier: "basic", Keys: []string{"raw/up/a.txt"}}, ""},
		{"digest not listed", wire.PermitRequest{Tier: "signed", Digests: []string{d("alpha"), d("charlie")}, Proof: good}, promotion.ReasonNotASubject},
		{"untrusted signer", wire.PermitRequest{Tier: "signed", Digests: []string{d("alpha")}, Proof: signedProof(statement("alpha"), stranger)}, promotion.ReasonProofSignature},
		{"not in-toto", wire.PermitRequest{Tier: "signed", Digests: []string{d("alpha")}, Proof: signedProof([]byte(`{"x":1}`), priv)}, promotion.ReasonProofInvalid},
		{"tampered key", wire.PermitRequest{Tier: "signed", Keys: []string{"raw/up/t.txt"}, Proof: good}, promotion.ReasonDigestMismatch},
		{"tampered key, basic", wire.PermitRequest{Tier: "basic", Keys: []string{"raw/up/t.txt"}}, promotion.ReasonDigestMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := f.size()
			a, err := f.prodCli.Permit(t.Context(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			typ, body := checkPermitProof(t, f, a)
			wantType := promotion.TypePermitted
			if tc.reason != "" {
				wantType = promotion.TypeDenied
			}
			if a.Permitted != (tc.reason == "") || a.Reason != tc.reason || typ != wantType || a.Type != typ || a.Index != size ||
				f.size() != size+1 || body.PermissionID != a.PermissionID || (a.PermissionID == "") == a.Permitted {
				t.Fatalf("answer %+v, entry %s %+v", a, typ, body)
			}
			for _, k := range body.Keys {
				if k.ComputedDigest == k.ExpectedDigest && tc.reason == promotion.ReasonDigestMismatch {
					t.Fatalf("key %+v: the stored bytes were not hashed", k)
				}
			}
		})
	}
}

// TestPromotionNamesPermission: a promotion records the permission it
// names and still verifies every byte; an unknown permission, or another
// tenant's, is 404 and writes nothing.
func TestPromotionNamesPermission(t *testing.T) {
	f := newPromFixture(t)
	ctx := t.Context()
	a := f.land("pp/a.txt", "alpha")
	bad := f.land("pp/b.txt", "bravo")
	perm, err := f.prodCli.Permit(ctx, wire.PermitRequest{Tier: "basic", Keys: []string{"raw/pp/a.txt", "raw/pp/b.txt"}})
	if err != nil || !perm.Permitted {
		t.Fatalf("permit: %+v %v", perm, err)
	}
	f.tamper(bad.Digest)
	requested, err := f.prodCli.Promote(ctx, wire.PromotionRequest{Source: "raw/pp/", Destination: "golden/pp/", Tier: "basic", PermissionID: perm.PermissionID})
	if err != nil {
		t.Fatal(err)
	}
	v := f.wait(requested.ID)
	if v.PermissionID != perm.PermissionID || v.Promoted != 1 || v.Quarantined != 1 || f.object("golden", "pp/b.txt") != nil ||
		f.object("golden", "pp/a.txt").Digest != a.Digest {
		t.Fatalf("promotion with a permission: %+v", v)
	}
	var req struct {
		PermissionID string `json:"permission_id"`
	}
	if err := json.Unmarshal(f.proveEntry(v.RequestedIndex), &req); err != nil || req.PermissionID != perm.PermissionID {
		t.Fatalf("promotion.requested does not name the permission: %+v %v", req, err)
	}
	otherCli, err := client.New(f.srv.URL, f.other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := otherCli.PutObject(ctx, "pp/a.txt", strings.NewReader("alpha"), 5, "", "", nil); err != nil {
		t.Fatal(err)
	}
	theirs, err := otherCli.Permit(ctx, wire.PermitRequest{Tier: "basic", Keys: []string{"raw/pp/a.txt"}})
	if err != nil || !theirs.Permitted {
		t.Fatalf("other tenant's permit: %+v %v", theirs, err)
	}
	for name, id := range map[string]string{"unknown": "pmt_" + strings.Repeat("0", 32), "other tenant's": theirs.PermissionID, "malformed": "x"} {
		t.Run(name, func(t *testing.T) {
			size, files := f.size(), f.storeFiles()
			r := f.call(http.MethodPost, wire.PromotionsPath, f.producer, wire.PromotionRequest{Source: "raw/pp/", Destination: "golden/pp2/", Tier: "basic", PermissionID: id})
			if r.status != http.StatusNotFound || r.problem(t).Type != wire.TypePermissionNotFound {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if f.size() != size || !slices.Equal(f.storeFiles(), files) {
				t.Fatal("a refused promotion wrote")
			}
		})
	}
}

// TestPermitBadInput: each malformed request is a 4xx problem and writes
// nothing, neither to the log nor to the store.
func TestPermitBadInput(t *testing.T) {
	f := newPromFixture(t)
	_, priv := promotionKey(t)
	f.land("up/a.txt", "alpha")
	proof := json.RawMessage(signedProof(statement("alpha"), priv))
	digest := "sha256:" + sha256Hex("alpha")
	many := make([]string, promotion.MaxPermitItems+1)
	for i := range many {
		many[i] = "sha256:" + sha256Hex(strconv.Itoa(i))
	}
	for _, tc := range []struct {
		name, token string
		body        any
		status      int
		typ         string
	}{
		{"not JSON", f.producer, `tier=signed`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"unknown member", f.producer, `{"tier":"signed","digests":["` + digest + `"],"force":true}`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"unknown tier", f.producer, wire.PermitRequest{Tier: "gold", Digests: []string{digest}, Proof: proof}, http.StatusBadRequest, wire.TypePromotionUnknownTier},
		{"nothing named", f.producer, wire.PermitRequest{Tier: "signed", Proof: proof}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"too many", f.producer, wire.PermitRequest{Tier: "signed", Digests: many, Proof: proof}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"no proof", f.producer, wire.PermitRequest{Tier: "signed", Digests: []string{digest}}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"proof not an object", f.producer, `{"tier":"signed","digests":["` + digest + `"],"proof":"abc"}`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"proof null", f.producer, `{"tier":"signed","digests":["` + digest + `"],"proof":null}`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"basic with a proof", f.producer, wire.PermitRequest{Tier: "basic", Keys: []string{"raw/up/a.txt"}, Proof: proof}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"basic with digests", f.producer, wire.PermitRequest{Tier: "basic", Digests: []string{digest}}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"bad digest", f.producer, wire.PermitRequest{Tier: "signed", Digests: []string{"sha256:ABC"}, Proof: proof}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"duplicate digest", f.producer, wire.PermitRequest{Tier: "signed", Digests: []string{digest, digest}, Proof: proof}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"key outside raw", f.producer, wire.PermitRequest{Tier: "signed", Keys: []string{"golden/up/a.txt"}, Proof: proof}, http.StatusBadRequest, wire.TypePromotionSourceNotRaw},
		{"key is a prefix", f.producer, wire.PermitRequest{Tier: "signed", Keys: []string{"raw/up/"}, Proof: proof}, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"unknown key", f.producer, wire.PermitRequest{Tier: "signed", Keys: []string{"raw/up/zzz.txt"}, Proof: proof}, http.StatusNotFound, wire.TypeObjectNotFound},
		{"another tenant's key", f.other, wire.PermitRequest{Tier: "signed", Keys: []string{"raw/up/a.txt"}, Proof: proof}, http.StatusNotFound, wire.TypeObjectNotFound},
		{"missing scope", f.noProm, wire.PermitRequest{Tier: "signed", Digests: []string{digest}, Proof: proof}, http.StatusForbidden, wire.TypeForbidden},
		{"body too large", f.producer, `{"tier":"signed","digests":["` + digest + `"],"proof":{"payload":"` + strings.Repeat("A", 80<<10) + `"}}`, http.StatusRequestEntityTooLarge, wire.TypePayloadTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, files := f.size(), f.storeFiles()
			r := f.call(http.MethodPost, wire.PermitPath, tc.token, tc.body)
			if r.status != tc.status || r.problem(t).Type != tc.typ {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.typ)
			}
			if f.size() != size || !slices.Equal(f.storeFiles(), files) {
				t.Fatalf("a refused request wrote: log %d -> %d", size, f.size())
			}
		})
	}
}
