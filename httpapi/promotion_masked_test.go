package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/promotion/mask"
)

const maskRulesYAML = `rules:
  - id: aws-key
    pattern: 'AKIA[0-9A-Z]{16}'
  - id: sarif-secret
    pointer: /runs/*/results/*/message/text
    pattern: 'password=[^*\s]\S*'
    replacement: password=***
`

// statement is an in-toto Statement v1 listing contents by sha256.
func statement(contents ...string) []byte {
	var subj []map[string]any
	for i, c := range contents {
		subj = append(subj, map[string]any{"name": fmt.Sprintf("f%d", i), "digest": map[string]string{"sha256": sha256Hex(c)}})
	}
	b, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "subject": subj,
		"predicateType": "https://example.com/test/v1", "predicate": map[string]any{}})
	return b
}

func withMasking(t *testing.T) func(*promotion.Config) {
	rules, err := mask.Parse([]byte(maskRulesYAML))
	if err != nil {
		t.Fatal(err)
	}
	return func(c *promotion.Config) { c.Masking = rules }
}

// proveEntry fetches entry index and checks, with sumdb/note and
// sumdb/tlog only, that it is in the tree the current checkpoint signs; it
// returns the entry's body.
func (f *promFixture) proveEntry(index uint64) json.RawMessage {
	f.t.Helper()
	ctx := f.t.Context()
	cp, err := f.prodCli.Checkpoint(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	ver, _ := note.NewVerifier(f.vkey)
	n, err := note.Open(cp, note.VerifierList(ver))
	if err != nil {
		f.t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n")
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	rootB, _ := base64.StdEncoding.DecodeString(lines[2])
	var root tlog.Hash
	copy(root[:], rootB)
	e, err := f.prodCli.Entry(ctx, index)
	if err != nil {
		f.t.Fatal(err)
	}
	pr, err := f.prodCli.InclusionProof(ctx, index, uint64(size))
	if err != nil {
		f.t.Fatal(err)
	}
	proof := make(tlog.RecordProof, len(pr.Hashes))
	for j, h := range pr.Hashes {
		copy(proof[j][:], h)
	}
	if err := tlog.CheckRecord(proof, size, root, int64(index), tlog.RecordHash(e.Entry)); err != nil {
		f.t.Fatalf("entry %d: %v", index, err)
	}
	return e.Entry
}

// read returns the bytes of the tenant's zone/key through the API.
func (f *promFixture) read(zone, key string) []byte {
	f.t.Helper()
	d, err := f.prodCli.GetObject(f.t.Context(), zone, key, "")
	if err != nil {
		f.t.Fatalf("get %s/%s: %v", zone, key, err)
	}
	defer d.Body.Close()
	b, err := io.ReadAll(d.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// TestMaskedPromotion promotes a SARIF report, a text log and a clean file
// with tier masked: golden holds masked copies (new blobs) of the first
// two and the clean file's own blob, raw keeps its bytes, and each
// promotion.masked entry names both digests and the rules that fired, and
// proves with sumdb/tlog.
func TestMaskedPromotion(t *testing.T) {
	f := newPromFixture(t, withMasking(t))
	_, priv := promotionKey(t)
	sarif := `{"version": "2.1.0", "runs": [{"results": [{"ruleId": "S1", "message": {"text": "found password=hunter2 near AKIAABCDEFGHIJKLMNOP"}}]}]}`
	text := "deploy with AKIAABCDEFGHIJKLMNOP\nthen AKIAQRSTUVWXYZ234567 again\n"
	clean := "nothing to hide\n"
	f.land("m/report.sarif", sarif)
	f.land("m/build.log", text)
	f.land("m/clean.txt", clean)
	f.land("m/"+promotion.ProofName, string(signedProof(statement(sarif, text, clean), priv)))
	before := f.metrics()

	v := f.promote("raw/m/", "golden/m/", promotion.TierMasked)
	if v.Promoted != 3 || v.Masked != 2 || v.Quarantined != 0 {
		t.Fatalf("promotion: %+v", v.Promotion)
	}
	wantSarif := `{"runs":[{"results":[{"message":{"text":"found password=*** near [MASKED]"},"ruleId":"S1"}]}],"version":"2.1.0"}`
	wantText := "deploy with [MASKED]\nthen [MASKED] again\n"
	cases := []struct {
		key, original, masked string
		rules                 []string
	}{
		{"report.sarif", sarif, wantSarif, []string{"aws-key", "sarif-secret"}},
		{"build.log", text, wantText, []string{"aws-key"}},
		{"clean.txt", clean, clean, []string{}},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			if got := string(f.read("golden", "m/"+c.key)); got != c.masked {
				t.Errorf("golden bytes %q, want %q", got, c.masked)
			}
			if got := string(f.read("raw", "m/"+c.key)); got != c.original {
				t.Errorf("raw bytes changed: %q", got)
			}
			var pr promotion.Progress
			for _, o := range v.Objects {
				if o.SourceKey == "m/"+c.key {
					pr = o
				}
			}
			if pr.Status != promotion.StateMasked {
				t.Fatalf("progress %+v", pr)
			}
			var e struct {
				Type string
				promotion.Masked
			}
			if err := json.Unmarshal(f.proveEntry(pr.OutcomeIndex), &e); err != nil {
				t.Fatal(err)
			}
			unmasked := c.masked == c.original
			if e.Type != promotion.TypeMasked || e.OriginalDigest != "sha256:"+sha256Hex(c.original) ||
				e.MaskedDigest != "sha256:"+sha256Hex(c.masked) || !slices.Equal(e.Rules, c.rules) || e.Unmasked != unmasked ||
				e.Object.Digest != e.MaskedDigest || e.DecisionIndex != pr.CheckIndex {
				t.Fatalf("entry %+v", e)
			}
			g := f.object("golden", "m/"+c.key)
			var meta struct {
				Promotion promotion.GoldenMeta
				Masking   promotion.MaskMeta
			}
			if err := json.Unmarshal(g.Metadata, &meta); err != nil || meta.Masking.MaskedDigest != g.Digest ||
				meta.Masking.OriginalDigest != meta.Promotion.Digest || meta.Promotion.Tier != promotion.TierMasked {
				t.Fatalf("golden metadata %s: %v", g.Metadata, err)
			}
		})
	}
	page, err := f.prodCli.Golden(t.Context(), url.Values{"prefix": {"m/"}})
	if err != nil || len(page.Objects) != 3 {
		t.Fatalf("golden listing %+v, %v", page, err)
	}
	for _, g := range page.Objects {
		if v := g.Verification; v == nil || v.Tier != promotion.TierMasked || v.Masking == nil || v.Masking.MaskedDigest != g.Digest ||
			v.Masking.Unmasked != (g.Key == "m/clean.txt") {
			t.Errorf("golden %s: %+v", g.Key, g.Verification)
		}
	}
	st, err := f.prodCli.ObjectStatus(t.Context(), "golden", "m/build.log")
	if err != nil || st.State != promotion.StateMasked {
		t.Fatalf("status %+v, %v", st, err)
	}
	after := f.metrics()
	if d := after[`assay_promotion_masked_total{prefix="m/",tier="masked"}`] - before[`assay_promotion_masked_total{prefix="m/",tier="masked"}`]; d != 2 {
		t.Errorf("masked_total moved by %v, want 2: %v", d, after)
	}
	if d := after[`assay_promotion_promoted_total{prefix="m/",tier="masked"}`]; d != 1 {
		t.Errorf("promoted_total %v, want 1 (the clean file)", d)
	}
	// The same promotion again gives the same masked bytes (determinism).
	v2 := f.promote("raw/m/", "golden/again/", promotion.TierMasked)
	if v2.Masked != 2 || f.object("golden", "again/report.sarif").Digest != f.object("golden", "m/report.sarif").Digest {
		t.Fatalf("second masking differs: %+v", v2.Promotion)
	}
}

// TestMaskedFailures: an object tier masked cannot mask is quarantined
// with the reason and never reaches golden, not even by approval (409,
// nothing written); a quarantined object of tier masked that can be
// masked reaches golden masked when approved; without masking rules the
// tier is unknown.
func TestMaskedFailures(t *testing.T) {
	f := newPromFixture(t, withMasking(t))
	_, priv := promotionKey(t)
	broken := `{"runs": [`
	f.land("j/broken.json", broken)
	f.land("j/"+promotion.ProofName, string(signedProof(statement(broken), priv)))
	v := f.promote("raw/j/", "golden/j/", promotion.TierMasked)
	if v.Quarantined != 1 || v.Objects[0].Reason != promotion.ReasonMaskInvalidJSON || f.object("golden", "j/broken.json") != nil {
		t.Fatalf("promotion %+v", v)
	}
	size, files := f.size(), f.storeFiles()
	r := f.call(http.MethodPost, wire.QuarantinePath+"/"+v.Objects[0].QuarantineID+"/approve", f.reviewer, wire.QuarantineDecisionRequest{Reason: "reviewed"})
	if r.status != http.StatusConflict || r.problem(t).Type != wire.TypeQuarantineCannotMask || f.size() != size ||
		!slices.Equal(f.storeFiles(), files) || f.object("golden", "j/broken.json") != nil {
		t.Fatalf("approval of an unmaskable object: %d %s", r.status, r.body)
	}

	// No proof: quarantined; approved, it reaches golden masked.
	secret := "key AKIAABCDEFGHIJKLMNOP\n"
	raw := f.land("np/a.txt", secret)
	q := f.promote("raw/np/", "golden/np/", promotion.TierMasked)
	if q.Quarantined != 1 || q.Objects[0].Reason != promotion.ReasonProofMissing {
		t.Fatalf("promotion without a proof: %+v", q)
	}
	const maskedNP = `assay_promotion_masked_total{prefix="np/",tier="masked"}`
	before := f.metrics()[maskedNP]
	it, err := f.revCli.ApproveQuarantine(t.Context(), q.Objects[0].QuarantineID, "reviewed")
	if err != nil || it.Status != promotion.ItemApproved {
		t.Fatalf("approve: %+v %v", it, err)
	}
	if d := f.metrics()[maskedNP] - before; d != 1 {
		t.Errorf("a masked approval moved %s by %v, want 1", maskedNP, d)
	}
	if got := string(f.read("golden", "np/a.txt")); got != "key [MASKED]\n" {
		t.Fatalf("approved golden bytes %q", got)
	}
	var e struct {
		Type string
		promotion.Decision
	}
	if err := json.Unmarshal(f.proveEntry(it.DecisionIndex), &e); err != nil {
		t.Fatal(err)
	}
	if e.Type != promotion.TypeApproved || e.Masking == nil || e.Masking.OriginalDigest != raw.Digest ||
		e.Masking.MaskedDigest != f.object("golden", "np/a.txt").Digest || !slices.Equal(e.Masking.Rules, []string{"aws-key"}) {
		t.Fatalf("approval entry %+v %+v", e, e.Masking)
	}
	if got := string(f.read("raw", "np/a.txt")); got != secret {
		t.Fatalf("raw bytes changed: %q", got)
	}
	plain := newPromFixture(t)
	plain.land("j/a.txt", "a")
	r = plain.call("POST", "/v1/promotions", plain.producer, map[string]string{"source": "raw/j/", "destination": "golden/j/", "tier": "masked"})
	if r.status != 400 || !strings.Contains(string(r.body), "promotion-unknown-tier") {
		t.Fatalf("masked without rules: %d %s", r.status, r.body)
	}
}
