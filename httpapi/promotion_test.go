package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// goldenMeta decodes the promotion provenance of a golden object.
func goldenMeta(t *testing.T, o *catalog.Object) promotion.GoldenMeta {
	t.Helper()
	var m struct {
		Promotion promotion.GoldenMeta `json:"promotion"`
	}
	if err := json.Unmarshal(o.Metadata, &m); err != nil {
		t.Fatalf("golden metadata %s: %v", o.Metadata, err)
	}
	return m.Promotion
}

// outcomes maps each source key of a promotion view to its status and reason.
func outcomes(v wire.PromotionView) map[string]string {
	out := map[string]string{}
	for _, o := range v.Objects {
		out[o.SourceKey] = strings.TrimSuffix(o.Status+" "+o.Reason, " ")
	}
	return out
}

func TestPromoteBasic(t *testing.T) {
	f := newPromFixture(t)
	a := f.land("incoming/run-1/a.txt", "alpha")
	f.land("incoming/run-1/sub/b.txt", "beta")
	f.land("incoming/run-2/c.txt", "gamma") // not under the source
	files := f.storeFiles()

	v := f.promote("raw/incoming/run-1/", "golden/releases/1/", "basic")
	if v.Status != promotion.StatusCompleted || v.Promoted != 2 || v.Quarantined != 0 {
		t.Fatalf("promotion %+v, want completed with 2 promoted", v.Promotion)
	}
	want := map[string]string{"incoming/run-1/a.txt": "promoted", "incoming/run-1/sub/b.txt": "promoted"}
	if got := outcomes(v); !maps(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	g := f.object(catalog.ZoneGolden, "releases/1/a.txt")
	if g == nil || g.Digest != a.Digest || f.object(catalog.ZoneGolden, "releases/1/sub/b.txt") == nil {
		t.Fatalf("golden objects missing: %+v", g)
	}
	m := goldenMeta(t, g)
	if m.SourceKey != a.Key || m.Digest != a.Digest || m.Tier != "basic" || m.PromotionID != v.ID || m.DecisionIndex == 0 {
		t.Fatalf("golden metadata %+v", m)
	}
	if f.object(catalog.ZoneGolden, "releases/1/c.txt") != nil {
		t.Fatal("an object outside the source was promoted")
	}
	if got := f.storeFiles(); !slices.Equal(got, files) {
		t.Fatalf("promotion wrote to the store (want zero copy): %v -> %v", files, got)
	}
	// The golden object reads back with the landed bytes.
	d, err := f.prodCli.GetObject(t.Context(), "golden", "releases/1/a.txt", "")
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 16)
	n, _ := d.Body.Read(body)
	d.Body.Close()
	if string(body[:n]) != "alpha" {
		t.Fatalf("golden bytes %q", body[:n])
	}
	// The entries: requested, a check and an outcome per object, completed.
	var types []string
	for i := v.RequestedIndex; i < f.size(); i++ {
		e, err := f.log.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		var env struct{ Type string }
		if err := json.Unmarshal(e, &env); err != nil {
			t.Fatal(err)
		}
		types = append(types, env.Type)
	}
	// The worker decides the objects of a page concurrently: the checks
	// and outcomes interleave in any order between request and completion.
	wantTypes := []string{promotion.TypeCompleted, promotion.TypePromoted, promotion.TypePromoted, promotion.TypeRequested,
		promotion.TypeVerified, promotion.TypeVerified}
	if len(types) != len(wantTypes) || types[0] != promotion.TypeRequested || types[len(types)-1] != promotion.TypeCompleted ||
		!slices.Equal(slices.Sorted(slices.Values(types)), wantTypes) {
		t.Fatalf("entries %v, want the request, two checks and two outcomes, and the completion", types)
	}
	// A single key goes to the destination under its base name.
	one := f.promote("raw/incoming/run-2/c.txt", "golden/single/", "basic")
	if one.Promoted != 1 || f.object(catalog.ZoneGolden, "single/c.txt") == nil {
		t.Fatalf("single key: %+v", one.Promotion)
	}
	// Shown and listed.
	got, err := f.prodCli.Promotion(t.Context(), v.ID)
	if err != nil || got.Promoted != 2 || len(got.Objects) != 2 {
		t.Fatalf("GET promotion: %+v, %v", got, err)
	}
	var page wire.PromotionsPage
	r := f.call(http.MethodGet, wire.PromotionsPath+"?status=completed", f.producer, nil)
	if err := json.Unmarshal(r.body, &page); err != nil || r.status != http.StatusOK || len(page.Promotions) != 2 {
		t.Fatalf("list completed: %d %s", r.status, r.body)
	}
	r = f.call(http.MethodGet, wire.PromotionsPath+"?status=running", f.producer, nil)
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Promotions) != 0 {
		t.Fatalf("list running: %d %s", r.status, r.body)
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPromoteSigned runs the signed tier on the shared vector: both files
// are promoted with the proof as given, and quarantined when a file's
// bytes, a subject's digest or the signature differ.
func TestPromoteSigned(t *testing.T) {
	vec := loadProofVector(t)
	_, priv := promotionKey(t)
	stmt := func(t *testing.T) map[string]any {
		var env struct{ Payload string }
		if err := json.Unmarshal(vec.Proof, &env); err != nil {
			t.Fatal(err)
		}
		b, _ := base64.StdEncoding.DecodeString(env.Payload)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	sarif, report := vec.Files[0].Key, vec.Files[1].Key
	for _, tc := range []struct {
		name    string
		content map[string]string // files landed with other bytes
		proof   func(t *testing.T) []byte
		want    map[string]string
	}{
		{name: "vector as given", proof: func(*testing.T) []byte { return vec.Proof },
			want: map[string]string{sarif: "promoted", report: "promoted"}},
		{name: "a file's bytes differ", content: map[string]string{report: "# Assessment run 7\n\nOne finding.\n"},
			proof: func(*testing.T) []byte { return vec.Proof },
			want:  map[string]string{sarif: "promoted", report: "quarantined subject-missing"}},
		{name: "a subject's digest differs", proof: func(t *testing.T) []byte {
			m := stmt(t)
			m["subject"].([]any)[0].(map[string]any)["digest"] = map[string]string{"sha256": strings.Repeat("0", 64)}
			b, _ := json.Marshal(m)
			return signedProof(b, priv)
		}, want: map[string]string{sarif: "quarantined subject-missing", report: "promoted"}},
		{name: "the signature differs", proof: func(t *testing.T) []byte {
			var env map[string]any
			_ = json.Unmarshal(vec.Proof, &env)
			sig := env["signatures"].([]any)[0].(map[string]any)
			raw, _ := base64.StdEncoding.DecodeString(sig["sig"].(string))
			raw[0] ^= 1
			sig["sig"] = base64.StdEncoding.EncodeToString(raw)
			b, _ := json.Marshal(env)
			return b
		}, want: map[string]string{sarif: "quarantined proof-signature", report: "quarantined proof-signature"}},
		{name: "no proof", want: map[string]string{sarif: "quarantined proof-missing", report: "quarantined proof-missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPromFixture(t)
			for _, file := range vec.Files {
				c, ok := tc.content[file.Key]
				if !ok {
					c = file.Content
				}
				f.land(file.Key, c)
			}
			if tc.proof != nil {
				f.land(vec.ProofKey, string(tc.proof(t)))
			}
			v := f.promote("raw/incoming/run-7/", "golden/run-7/", "signed")
			if got := outcomes(v); !maps(got, tc.want) {
				t.Fatalf("outcomes %v, want %v", got, tc.want)
			}
			for key, out := range tc.want {
				rel := strings.TrimPrefix(key, "incoming/run-7/")
				g, q := f.object(catalog.ZoneGolden, "run-7/"+rel), f.object(catalog.ZoneQuarantine, "run-7/"+rel)
				if promoted := out == "promoted"; promoted != (g != nil) || promoted == (q != nil) {
					t.Fatalf("%s: golden %v, quarantine %v; want %s", key, g != nil, q != nil, out)
				}
				if g != nil {
					if m := goldenMeta(t, g); m.Tier != "signed" || m.ProofKey != vec.ProofKey || m.ProofDigest == "" {
						t.Fatalf("golden metadata %+v", m)
					}
				}
			}
			if f.object(catalog.ZoneGolden, "run-7/"+promotion.ProofName) != nil {
				t.Fatal("the proof itself was promoted")
			}
		})
	}
}

// TestQuarantineReview tampers with a landed blob in the local store: the
// promotion quarantines it, the producer may not review it, a reviewer
// approves it (golden) or rejects it, and a decided item is a conflict.
func TestQuarantineReview(t *testing.T) {
	f := newPromFixture(t)
	a := f.land("drop/a.txt", "apple")
	b := f.land("drop/b.txt", "berry")
	f.land("drop/c.txt", "cherry")
	for _, o := range []catalog.Object{a, b} {
		p := f.blobFile(o.Digest)
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)-1] ^= 0x20 // still readable, other bytes
		if err := os.WriteFile(p, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	v := f.promote("raw/drop/", "golden/fruit/", "basic")
	want := map[string]string{"drop/a.txt": "quarantined digest-mismatch", "drop/b.txt": "quarantined digest-mismatch", "drop/c.txt": "promoted"}
	if got := outcomes(v); !maps(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	for _, o := range v.Objects {
		if o.Status == "quarantined" && (o.ComputedDigest == "" || o.ComputedDigest == o.ExpectedDigest) {
			t.Fatalf("check %+v: want the computed digest that differs", o)
		}
	}
	if f.object(catalog.ZoneGolden, "fruit/a.txt") != nil || f.object(catalog.ZoneQuarantine, "fruit/a.txt") == nil {
		t.Fatal("a tampered object reached golden, or is not in quarantine")
	}
	page, err := f.revCli.Quarantine(t.Context(), url.Values{"prefix": {"fruit/"}, "status": {"pending"}})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("quarantine list: %+v, %v", page, err)
	}
	items := map[string]promotion.Item{}
	for _, it := range page.Items {
		items[it.SourceKey] = it
	}
	ia, ib := items["drop/a.txt"], items["drop/b.txt"]
	if ia.Producer != "producer" || ia.Reason != promotion.ReasonDigestMismatch {
		t.Fatalf("item %+v", ia)
	}

	// Allowed first: a reviewer who did not land it approves.
	size := f.size()
	got, err := f.revCli.ApproveQuarantine(t.Context(), ia.ID, "false-positive")
	if err != nil || got.Status != promotion.ItemApproved || got.DecidedBy != "reviewer" || f.size() != size+1 {
		t.Fatalf("approve: %+v, %v", got, err)
	}
	g := f.object(catalog.ZoneGolden, "fruit/a.txt")
	if g == nil || g.Digest != a.Digest || goldenMeta(t, g).QuarantineID != ia.ID {
		t.Fatalf("approved object in golden: %+v", g)
	}
	// Then the refused ones, each writing nothing.
	for _, tc := range []struct {
		name, path, token string
		body              any
		status            int
		typ               string
	}{
		{"the producer reviews", "/v1/quarantine/" + ib.ID + "/approve", f.producer, map[string]string{"reason": "ok"}, http.StatusForbidden, wire.TypeReviewerIsProducer},
		{"already approved", "/v1/quarantine/" + ia.ID + "/approve", f.reviewer, map[string]string{"reason": "ok"}, http.StatusConflict, wire.TypeQuarantineDecided},
		{"already approved, rejected", "/v1/quarantine/" + ia.ID + "/reject", f.reviewer, map[string]string{"reason": "ok"}, http.StatusConflict, wire.TypeQuarantineDecided},
		{"no reason", "/v1/quarantine/" + ib.ID + "/reject", f.reviewer, map[string]string{}, http.StatusBadRequest, wire.TypeQuarantineInvalidReason},
		{"reason not a code", "/v1/quarantine/" + ib.ID + "/reject", f.reviewer, map[string]string{"reason": "Looks Bad"}, http.StatusBadRequest, wire.TypeQuarantineInvalidReason},
		{"unknown item", "/v1/quarantine/qtn_" + strings.Repeat("0", 32) + "/reject", f.reviewer, map[string]string{"reason": "x"}, http.StatusNotFound, wire.TypeQuarantineItemNotFound},
		{"another tenant", "/v1/quarantine/" + ib.ID + "/approve", f.other, map[string]string{"reason": "x"}, http.StatusNotFound, wire.TypeQuarantineItemNotFound},
		{"missing scope", "/v1/quarantine/" + ib.ID + "/approve", f.noProm, map[string]string{"reason": "x"}, http.StatusForbidden, wire.TypeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := f.size()
			r := f.call(http.MethodPost, tc.path, tc.token, tc.body)
			if r.status != tc.status || r.problem(t).Type != tc.typ {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.typ)
			}
			if f.size() != size {
				t.Fatalf("log grew from %d to %d", size, f.size())
			}
		})
	}
	// Reject: it stays out of golden for good.
	got, err = f.revCli.RejectQuarantine(t.Context(), ib.ID, "confirmed-tampering")
	if err != nil || got.Status != promotion.ItemRejected || got.DecisionReason != "confirmed-tampering" {
		t.Fatalf("reject: %+v, %v", got, err)
	}
	if f.object(catalog.ZoneGolden, "fruit/b.txt") != nil {
		t.Fatal("a rejected object is in golden")
	}
	r := f.call(http.MethodPost, "/v1/quarantine/"+ib.ID+"/approve", f.reviewer, map[string]string{"reason": "ok"})
	if r.status != http.StatusConflict {
		t.Fatalf("approve after reject: %d %s", r.status, r.body)
	}
}

// TestPromotionBadInput: each bad request is a 4xx with its own problem
// type, and writes nothing.
func TestPromotionBadInput(t *testing.T) {
	f := newPromFixture(t)
	f.land("in/a.txt", "a")
	for _, tc := range []struct {
		name, token string
		body        any
		status      int
		typ         string
	}{
		{"source outside raw", f.producer, wire.PromotionRequest{Source: "golden/in/", Destination: "golden/x/", Tier: "basic"}, http.StatusBadRequest, wire.TypePromotionSourceNotRaw},
		{"source without zone", f.producer, wire.PromotionRequest{Source: "in/", Destination: "golden/x/", Tier: "basic"}, http.StatusBadRequest, wire.TypePromotionSourceNotRaw},
		{"destination outside golden", f.producer, wire.PromotionRequest{Source: "raw/in/", Destination: "quarantine/x/", Tier: "basic"}, http.StatusBadRequest, wire.TypePromotionDestinationNotGolden},
		{"destination not a prefix", f.producer, wire.PromotionRequest{Source: "raw/in/", Destination: "golden/x", Tier: "basic"}, http.StatusBadRequest, wire.TypePromotionDestinationNotGolden},
		{"destination with ..", f.producer, wire.PromotionRequest{Source: "raw/in/", Destination: "golden/../raw/", Tier: "basic"}, http.StatusBadRequest, wire.TypePathDotDot},
		{"unknown tier", f.producer, wire.PromotionRequest{Source: "raw/in/", Destination: "golden/x/", Tier: "masking"}, http.StatusBadRequest, wire.TypePromotionUnknownTier},
		{"empty prefix match", f.producer, wire.PromotionRequest{Source: "raw/nothing/", Destination: "golden/x/", Tier: "basic"}, http.StatusNotFound, wire.TypePromotionSourceEmpty},
		{"another tenant's objects", f.other, wire.PromotionRequest{Source: "raw/in/", Destination: "golden/x/", Tier: "basic"}, http.StatusNotFound, wire.TypePromotionSourceEmpty},
		{"missing scope", f.noProm, wire.PromotionRequest{Source: "raw/in/", Destination: "golden/x/", Tier: "basic"}, http.StatusForbidden, wire.TypeForbidden},
		{"unknown member", f.producer, `{"source":"raw/in/","destination":"golden/x/","tier":"basic","force":true}`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"not JSON", f.producer, `source=raw/in/`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, files := f.size(), f.storeFiles()
			r := f.call(http.MethodPost, wire.PromotionsPath, tc.token, tc.body)
			if r.status != tc.status || r.problem(t).Type != tc.typ {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.typ)
			}
			if f.size() != size || !slices.Equal(f.storeFiles(), files) {
				t.Fatalf("a refused request wrote: log %d -> %d", size, f.size())
			}
		})
	}
	for _, tc := range []struct{ name, path, typ string }{
		{"unknown promotion", wire.PromotionsPath + "/prm_" + strings.Repeat("0", 32), wire.TypePromotionNotFound},
		{"bad status filter", wire.PromotionsPath + "?status=done", wire.TypePromotionInvalidRequest},
		{"bad quarantine status", wire.QuarantinePath + "?status=maybe", wire.TypePromotionInvalidRequest},
		{"bad quarantine tier", wire.QuarantinePath + "?tier=gold", wire.TypePromotionInvalidRequest},
		{"bad quarantine reason", wire.QuarantinePath + "?reason=Not%20A%20Code", wire.TypePromotionInvalidRequest},
		{"repeated promotions prefix", wire.PromotionsPath + "?prefix=a/&prefix=b/", wire.TypeInvalidParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.call(http.MethodGet, tc.path, f.producer, nil)
			if r.status/100 != 4 || r.problem(t).Type != tc.typ {
				t.Fatalf("%d %s, want %s", r.status, r.body, tc.typ)
			}
		})
	}
}

// TestPromotionAndQuarantineFilters: GET /v1/quarantine selects by tier
// and reason (and both), GET /v1/promotions by a raw prefix, which matches
// a promotion whose source lies under it or holds it.
func TestPromotionAndQuarantineFilters(t *testing.T) {
	f := newPromFixture(t)
	a := f.land("drop/a.txt", "apple")
	f.land("drop/b.txt", "berry")
	f.land("other/c.txt", "cherry")
	f.tamper(a.Digest)
	f.promote("raw/drop/", "golden/drop/", "basic")
	f.promote("raw/other/", "golden/other/", "signed") // no proof: quarantined
	for _, tc := range []struct {
		query url.Values
		want  []string // source keys
	}{
		{url.Values{}, []string{"drop/a.txt", "other/c.txt"}},
		{url.Values{"tier": {"basic"}}, []string{"drop/a.txt"}},
		{url.Values{"tier": {"signed"}}, []string{"other/c.txt"}},
		{url.Values{"reason": {promotion.ReasonProofMissing}}, []string{"other/c.txt"}},
		{url.Values{"reason": {promotion.ReasonDigestMismatch}, "tier": {"basic"}}, []string{"drop/a.txt"}},
		{url.Values{"reason": {promotion.ReasonDigestMismatch}, "tier": {"signed"}}, nil},
		{url.Values{"tier": {"masked"}}, nil},
	} {
		t.Run("quarantine "+tc.query.Encode(), func(t *testing.T) {
			page, err := f.revCli.Quarantine(t.Context(), tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, it.SourceKey)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("items %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		prefix string
		want   []string // sources
	}{
		{"", []string{"raw/drop/", "raw/other/"}},
		{"drop/", []string{"raw/drop/"}},
		{"raw/other/", []string{"raw/other/"}},
		{"drop/a.txt", []string{"raw/drop/"}},
		{"d", []string{"raw/drop/"}},
		{"nothing/", nil},
	} {
		t.Run("promotions prefix "+tc.prefix, func(t *testing.T) {
			page, err := f.prodCli.Promotions(t.Context(), url.Values{"prefix": {tc.prefix}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range page.Promotions {
				got = append(got, p.Source)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("promotions %v, want %v", got, tc.want)
			}
		})
	}
}
