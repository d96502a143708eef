package promotion

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/ledger/promotion/mask"
	"github.com/assay-ledger/assay/verifier"
)

// TestPromotePagesThroughThePrefix promotes a prefix several pages long
// (pageSize made small) and checks every object, and only those under the
// prefix, is decided once; then lists the promotion's objects page by page.
func TestPromotePagesThroughThePrefix(t *testing.T) {
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 2
	dir := t.TempDir()
	lg, _ := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module(), Module()}})
	store, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	cs := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()}
	for i := range 7 {
		if _, err := cs.PutObject(t.Context(), "producer", "acme", fmt.Sprintf("in/%02d.txt", i), "", nil, catalog.Landing{}, strings.NewReader(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.PutObject(t.Context(), "producer", "acme", "inbox/x.txt", "", nil, catalog.Landing{}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(Config{Log: lg, Catalog: cs.Catalog, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	p := promoteNow(t, svc, "op", "acme", Request{Source: "raw/in/", Destination: "golden/out/", Tier: TierBasic})
	if p.Status != StatusCompleted || p.Checked != 7 || p.Promoted != 7 {
		t.Fatalf("promotion %+v, want 7 objects promoted", p)
	}
	var keys []string
	cursor := ""
	for range 10 {
		objs, next, err := svc.Objects(t.Context(), "acme", p.ID, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			keys = append(keys, o.Destination)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(keys) != 7 || keys[0] != "out/00.txt" || keys[6] != "out/06.txt" {
		t.Fatalf("objects listed %v", keys)
	}
	if _, err := cs.Catalog.Object("acme", catalog.ZoneGolden, "out/x.txt"); err == nil {
		t.Fatal("inbox/x.txt, outside raw/in/, was promoted")
	}
}

// promoteNow requests a promotion and lets the worker's pass decide it.
func promoteNow(t *testing.T, svc *Service, actor, tenant string, req Request) *Promotion {
	t.Helper()
	p, err := svc.Request(t.Context(), actor, tenant, req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusRequested || p.Checked != 0 {
		t.Fatalf("a new request is %+v", p)
	}
	if err := svc.ProcessPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p, err = svc.Promotion(tenant, p.ID); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestResumeAfterACheckWithoutOutcome: a stop between an object's check
// and its outcome (simulated by appending the check alone) is finished
// by the next pass, which places that object and continues after it; every
// object has exactly one check and one outcome. A retry of the promotion
// before it finishes is refused and writes nothing.
func TestResumeAfterACheckWithoutOutcome(t *testing.T) {
	dir := t.TempDir()
	lg, _ := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module(), Module()}})
	store, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	cs := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()}
	for i := range 5 {
		if _, err := cs.PutObject(t.Context(), "producer", "acme", fmt.Sprintf("in/%02d.txt", i), "", nil, catalog.Landing{}, strings.NewReader(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := NewService(Config{Log: lg, Catalog: cs.Catalog, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Request(t.Context(), "op", "acme", Request{Source: "raw/in/", Destination: "golden/out/", Tier: TierBasic})
	if err != nil {
		t.Fatal(err)
	}
	size, _ := lg.Head()
	if _, err := svc.Retry(t.Context(), "op", "acme", p.ID); !errors.Is(err, ErrNotFinished) {
		t.Fatalf("retry of a requested promotion: %v, want %v", err, ErrNotFinished)
	}
	if after, _ := lg.Head(); after != size {
		t.Fatalf("a refused retry grew the log %d -> %d", size, after)
	}
	o, err := cs.Catalog.Object("acme", catalog.ZoneRaw, "in/00.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.AppendJSON(t.Context(), TypeVerified, "op", "acme", Check{PromotionID: p.ID, SourceKey: o.Key, SourceVersion: o.Version,
		ExpectedDigest: o.Digest, ComputedDigest: o.Digest, Tier: TierBasic, Operator: "op"}); err != nil {
		t.Fatal(err)
	}
	if p, err = svc.Promotion("acme", p.ID); err != nil || p.Status != StatusRunning || p.Checked != 1 {
		t.Fatalf("after one check: %+v, %v", p, err)
	}
	if err := svc.ProcessPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p, err = svc.Promotion("acme", p.ID); err != nil || p.Status != StatusCompleted || p.Checked != 5 || p.Promoted != 5 {
		t.Fatalf("resumed: %+v, %v", p, err)
	}
	end, _ := lg.Head()
	entries, err := lg.Entries(0, end)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		key := fmt.Sprintf(`"source_key":"in/%02d.txt"`, i)
		checks, outcomes := 0, 0
		for _, e := range entries {
			switch {
			case !strings.Contains(string(e), key):
			case strings.Contains(string(e), `"type":"`+TypeVerified+`"`):
				checks++
			case strings.Contains(string(e), `"type":"`+TypePromoted+`"`):
				outcomes++
			}
		}
		if checks != 1 || outcomes != 1 {
			t.Fatalf("in/%02d.txt: %d checks and %d outcomes, want 1 and 1", i, checks, outcomes)
		}
	}
}

// TestResumeMaskedAfterACheckWithoutOutcome: a stop between a tier masked
// object's check and its outcome is finished with promotion.masked — the
// masked copy, never the raw bytes — and an object whose masked copy was
// placed before the stop is not decided again.
func TestResumeMaskedAfterACheckWithoutOutcome(t *testing.T) {
	dir := t.TempDir()
	lg, _ := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module(), Module()}})
	store, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	cs := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()}
	contents := map[string]string{"m/a.log": "key AKIAABCDEFGHIJKLMNOP here\n", "m/b.log": "clean\n", "m/c.log": "AKIAQRSTUVWXYZ234567\n"}
	var subj []map[string]any
	for _, k := range slices.Sorted(maps.Keys(contents)) {
		if _, err := cs.PutObject(t.Context(), "producer", "acme", k, "", nil, catalog.Landing{}, strings.NewReader(contents[k])); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(contents[k]))
		subj = append(subj, map[string]any{"name": k, "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	stmt, _ := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "subject": subj,
		"predicateType": "https://example.com/test/v1", "predicate": map[string]any{}})
	env, _ := json.Marshal(map[string]any{"payloadType": ProofPayloadType, "payload": base64.StdEncoding.EncodeToString(stmt),
		"signatures": []map[string]string{{"keyid": "k1", "sig": base64.StdEncoding.EncodeToString(ed25519.Sign(priv, verifier.PAE(ProofPayloadType, stmt)))}}})
	if _, err := cs.PutObject(t.Context(), "producer", "acme", "m/"+ProofName, "", nil, catalog.Landing{}, bytes.NewReader(env)); err != nil {
		t.Fatal(err)
	}
	rules, err := mask.Parse([]byte("rules:\n  - id: aws-key\n    pattern: 'AKIA[0-9A-Z]{16}'\n"))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(Config{Log: lg, Catalog: cs.Catalog, Store: store, Trusted: map[string]ed25519.PublicKey{"k1": pub}, Masking: rules})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Request(t.Context(), "op", "acme", Request{Source: "raw/m/", Destination: "golden/g/", Tier: TierMasked})
	if err != nil {
		t.Fatal(err)
	}
	// The worker of a previous process: m/a.log checked and masked, m/c.log
	// checked only (as a Service appends them).
	run := &promotionRun{s: svc, id: p.ID, actor: "op", tenant: "acme", src: source{key: "m/", prefix: true}, dest: "g/", tier: TierMasked,
		proofKey: p.ProofKey, proofDigest: p.ProofDigest}
	if err := run.loadProof(t.Context()); err != nil || run.proofErr != nil {
		t.Fatalf("proof: %v %v", err, run.proofErr)
	}
	a, err := cs.Catalog.Object("acme", catalog.ZoneRaw, "m/a.log")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.decide(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	c, err := cs.Catalog.Object("acme", catalog.ZoneRaw, "m/c.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.AppendJSON(t.Context(), TypeVerified, "op", "acme", Check{PromotionID: p.ID, SourceKey: c.Key, SourceVersion: c.Version,
		ExpectedDigest: c.Digest, ComputedDigest: c.Digest, ProofKey: p.ProofKey, ProofDigest: p.ProofDigest, Tier: TierMasked, Operator: "op"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.ProcessPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p, err = svc.Promotion("acme", p.ID); err != nil || p.Status != StatusCompleted || p.Checked != 3 || p.Promoted != 3 || p.Masked != 2 {
		t.Fatalf("resumed: %+v, %v", p, err)
	}
	for key, want := range map[string]string{"g/a.log": "key [MASKED] here\n", "g/b.log": "clean\n", "g/c.log": "[MASKED]\n"} {
		g, err := cs.Catalog.Object("acme", catalog.ZoneGolden, key)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(want))
		if g.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
			t.Errorf("golden/%s is %s, want the masked %q", key, g.Digest, want)
		}
	}
	end, _ := lg.Head()
	entries, err := lg.Entries(0, end)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"m/a.log", "m/b.log", "m/c.log"} {
		checks, outcomes := 0, 0
		for _, e := range entries {
			switch s := string(e); {
			case !strings.Contains(s, `"source_key":"`+k+`"`):
			case strings.Contains(s, `"type":"`+TypeVerified+`"`):
				checks++
			case strings.Contains(s, `"type":"`+TypeMasked+`"`):
				outcomes++
			case strings.Contains(s, `"type":"promotion.`):
				t.Errorf("%s: unexpected entry %s", k, s)
			}
		}
		if checks != 1 || outcomes != 1 {
			t.Errorf("%s: %d checks and %d promotion.masked, want 1 and 1", k, checks, outcomes)
		}
	}
}
