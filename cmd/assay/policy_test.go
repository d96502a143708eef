package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/retention"
)

// auditStep is one entry a violating history writes through the ledger's Go
// API: its type, actor, tenant and body.
type auditStep struct {
	typ, actor, tenant string
	body               any
}

// permissive accepts every entry type the audit reads: the test-only
// Applier that lets a history record what the real Appliers refuse.
func permissive() ledger.Module {
	accept := func(*ledger.Tx, *ledger.Record) error { return nil }
	m := ledger.Module{Name: "policy-audit-test", Appliers: map[string]ledger.Applier{}}
	for _, typ := range []string{catalog.TypePackageCreated, catalog.TypeFileAdded, catalog.TypeObjectPut, retention.TypeExtended,
		retention.TypeHoldApplied, retention.TypeHoldReleased, retention.TypeDeletionStarted, retention.TypeDeletionCollected,
		promotion.TypeRequested, promotion.TypeVerified, promotion.TypePromoted, promotion.TypeMasked, promotion.TypeQuarantined,
		promotion.TypeApproved, promotion.TypeRejected, exports.TypeIngested, exports.TypeStatusChanged} {
		m.Appliers[typ] = accept
	}
	return m
}

// basePolicy is a policy.applied of the shape serve records: classes
// transient (7d, governance) and sealed (7y, compliance), tier signed
// trusting key, tier masked with rule a, separation of duties, and tenant
// acme requiring export signatures by signer.
func basePolicy(key string) map[string]any {
	return map[string]any{
		"catalog": map[string]any{"retention_classes": map[string]string{"transient": "7d", "sealed": "7y"},
			"retention_compliance": map[string]bool{"transient": false, "sealed": true}},
		"promotion": map[string]any{"separation_of_duties": true, "tiers": map[string]any{
			"basic":  map[string]any{},
			"signed": map[string]any{"keys": map[string]string{"test-key-1": key}},
			"masked": map[string]any{"keys": map[string]string{"test-key-1": key}, "rules": []map[string]string{{"id": "a"}}, "rules_digest": "sha256:" + strings.Repeat("ab", 32)},
		}},
		"exports": map[string]any{"tenants": map[string]any{"acme": map[string]any{"keys": []string{"signer+12345678+AQ"}, "require_signatures": true}}},
	}
}

// violatingBundle writes a ledger with the policy and steps, and a bundle of
// it carrying blobs, and returns the bundle's path and verifier key.
func violatingBundle(t *testing.T, policy map[string]any, steps []auditStep, blobs map[string][]byte) (string, string) {
	t.Helper()
	// Every entry at ledgertest.Start: packages expire after their deletions.
	l, vkey := ledgertest.Open(t, t.TempDir(), ledgertest.Options{Modules: []ledger.Module{permissive()},
		Now: func() time.Time { return ledgertest.Start }})
	ctx := context.Background()
	if _, err := l.ApplyPolicy(ctx, "system", policy); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if _, err := l.AppendJSON(ctx, s.typ, s.actor, s.tenant, s.body); err != nil {
			t.Fatalf("append %s: %v", s.typ, err)
		}
	}
	to, _ := l.Head()
	es, err := l.Entries(0, to)
	if err != nil {
		t.Fatal(err)
	}
	c := bundle.Contents{Header: bundle.Header{Origin: l.Origin(), To: to}, Checkpoint: l.Checkpoint(),
		Resolve: func(refs bundle.References) (bundle.Resolution, error) {
			var res bundle.Resolution
			for _, d := range refs.Digests {
				data, ok := blobs["sha256:"+d]
				if !ok {
					res.Missing = append(res.Missing, d)
					continue
				}
				res.Blobs = append(res.Blobs, bundle.Blob{Hex: d, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
					return io.NopCloser(bytes.NewReader(data)), nil
				}})
			}
			return res, nil
		}}
	var buf bytes.Buffer
	next := func() ([]byte, error) {
		if len(es) == 0 {
			return nil, io.EOF
		}
		e := es[0]
		es = es[1:]
		return e, nil
	}
	if err := bundle.Write(&buf, c, next, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "history.bundle")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, vkey
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TestPolicyAuditViolations builds, for each rule, a history that breaks
// it once (entries written through the ledger's Go API with a test-only
// Applier that accepts them), exports it as a bundle and expects `assay
// policy audit` to exit non-zero naming that entry's index and the rule;
// the same history without the violating entry passes.
func TestPolicyAuditViolations(t *testing.T) {
	vec := loadPromotionVector(t)
	// The vector proof is signed by test-key-1; "other" is a key the tier
	// does not trust.
	keyHex := strings.TrimSpace(string(mustRead(t, "../../testdata/promotion/test-key-1.pub.hex")))
	created := ledgertest.Start
	exp := created.AddDate(0, 0, 7)
	pkg := func(id, class, mode string, expires time.Time) auditStep {
		return auditStep{catalog.TypePackageCreated, "alice", "acme", catalog.PackageCreated{PackageID: id, Name: id,
			Retention: catalog.Retention{Class: class, Period: map[string]string{"transient": "7d", "sealed": "7y"}[class], Mode: mode, ExpiresAt: &expires}}}
	}
	deletion := func(id string, early bool) auditStep {
		return auditStep{retention.TypeDeletionStarted, "admin", "acme", retention.DeletionStarted{PackageID: id, Reason: "r", Early: early,
			Blobs: []retention.BlobRef{}, GraceUntil: created.Add(time.Hour)}}
	}
	file := vec.Files[0]
	check := func(tier, proofDigest string) promotion.Check {
		return promotion.Check{PromotionID: "prm_1", SourceKey: file.Key, SourceVersion: 1, ExpectedDigest: file.Digest,
			ComputedDigest: file.Digest, ProofKey: vec.ProofKey, ProofDigest: proofDigest, Tier: tier, Operator: "ops"}
	}
	placed := promotion.Placed{PromotionID: "prm_1", SourceKey: file.Key, Object: catalog.ObjectRef{Zone: catalog.ZoneGolden, Key: "g/" + file.Key, Digest: file.Digest}}
	proof := []byte(vec.Proof)
	blobs := map[string][]byte{digestOf(proof): proof}
	otherKey := basePolicy(strings.Repeat("00", 31) + "01")
	sealedExp := created.AddDate(7, 0, 0)
	for _, tc := range []struct {
		rule   string
		policy map[string]any
		steps  []auditStep // the last one breaks the rule
	}{
		{"retention.hold", basePolicy(keyHex), []auditStep{pkg("pkg_h", "transient", "", exp),
			{retention.TypeHoldApplied, "legal", "acme", retention.HoldApplied{PackageID: "pkg_h", HoldID: "hold_1", Reason: "case"}},
			deletion("pkg_h", true)}},
		{"retention.expiry", basePolicy(keyHex), []auditStep{pkg("pkg_e", "transient", "", exp), deletion("pkg_e", false)}},
		{"retention.compliance", basePolicy(keyHex), []auditStep{pkg("pkg_c", "sealed", catalog.ModeCompliance, sealedExp), deletion("pkg_c", true)}},
		{"promotion.golden", basePolicy(keyHex), []auditStep{{promotion.TypePromoted, "ops", "acme", placed}}},
		{"promotion.verified", basePolicy(keyHex), []auditStep{{promotion.TypeVerified, "ops", "acme", func() promotion.Check {
			c := check(promotion.TierBasic, "")
			c.ComputedDigest = "sha256:" + strings.Repeat("0", 64)
			return c
		}()}}},
		{"promotion.tier", otherKey, []auditStep{{promotion.TypeVerified, "ops", "acme", check(promotion.TierSigned, digestOf(proof))}}},
		{"promotion.mask-rules", basePolicy(keyHex), []auditStep{{promotion.TypeVerified, "ops", "acme", check(promotion.TierMasked, digestOf(proof))},
			{promotion.TypeMasked, "ops", "acme", promotion.Masked{PromotionID: "prm_1", SourceKey: file.Key, Object: placed.Object, OriginalDigest: file.Digest,
				MaskedDigest: file.Digest, Rules: []string{"not-configured"}, RulesDigest: "sha256:" + strings.Repeat("ab", 32)}}}},
		{"quarantine.separation", basePolicy(keyHex), []auditStep{
			{catalog.TypeObjectPut, "alice", "acme", catalog.ObjectPut{ObjectRef: catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: "in/x.txt", Digest: file.Digest}}},
			{promotion.TypeQuarantined, "ops", "acme", promotion.Placed{PromotionID: "prm_2", SourceKey: "in/x.txt", QuarantineID: "qtn_1",
				Object: catalog.ObjectRef{Zone: catalog.ZoneQuarantine, Key: "x.txt", Digest: file.Digest}}},
			{promotion.TypeApproved, "alice", "acme", promotion.Decision{QuarantineID: "qtn_1", Reason: "mine", SeparationOfDuties: true}}}},
		{"export.forward", basePolicy(keyHex), []auditStep{
			{exports.TypeIngested, "ci", "beta", map[string]any{"idempotencyKey": "k1", "status": "succeeded", "previousStatus": ""}},
			{exports.TypeStatusChanged, "ci", "beta", map[string]any{"idempotencyKey": "k1", "status": "running", "previousStatus": "succeeded"}}}},
		{"export.signatures", basePolicy(keyHex), []auditStep{
			{exports.TypeIngested, "ci", "acme", map[string]any{"idempotencyKey": "k2", "status": "running", "previousStatus": ""}}}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			// Without its last auditStep the history passes.
			ok, vkey := violatingBundle(t, tc.policy, tc.steps[:len(tc.steps)-1], blobs)
			if out, err := run(t.Context(), "policy", "audit", "--bundle", ok, "--key", vkey); err != nil {
				t.Fatalf("the history before the violation: %v\n%s", err, out)
			}
			if _, err := run(t.Context(), "policy", "audit", "--bundle", ok, "--key", basePolicyOtherVKey(t)); err == nil || !strings.Contains(err.Error(), "checkpoint") {
				t.Fatalf("audit of a bundle against another log's key: %v", err)
			}
			bad, vkey := violatingBundle(t, tc.policy, tc.steps, blobs)
			index := len(tc.steps) // entry 0 is the policy
			out, err := run(t.Context(), "policy", "audit", "--bundle", bad, "--key", vkey)
			if err == nil || !strings.Contains(err.Error(), "1 policy violations") {
				t.Fatalf("audit of a history breaking %s: %v\n%s", tc.rule, err, out)
			}
			want := fmt.Sprintf("VIOLATION at entry %d (%s), rule %s:", index, tc.steps[len(tc.steps)-1].typ, tc.rule)
			if !strings.Contains(out, want) {
				t.Fatalf("the report does not say %q:\n%s", want, out)
			}
			var rep struct {
				Violations []struct {
					Index uint64
					Rule  string
				}
			}
			js, _ := run(t.Context(), "policy", "audit", "--bundle", bad, "--key", vkey, "--json")
			if err := json.Unmarshal([]byte(js), &rep); err != nil || len(rep.Violations) != 1 || rep.Violations[0].Index != uint64(index) || rep.Violations[0].Rule != tc.rule {
				t.Fatalf("--json report %s: %v", js, err)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// promotionVector is testdata/promotion/verification-proof.json.
type promotionVector struct {
	Files []struct {
		Key, Content, Digest string
	} `json:"files"`
	Proof    json.RawMessage `json:"verification_proof_json"`
	ProofKey string          `json:"verification_proof_key"`
}

func loadPromotionVector(t *testing.T) promotionVector {
	t.Helper()
	var v promotionVector
	if err := json.Unmarshal(mustRead(t, "../../testdata/promotion/verification-proof.json"), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPolicyAuditOfServedHistory makes a history of every kind of decision
// through `assay serve` (signed and masked promotions, a quarantine
// approval by a reviewer, a basic promotion, a held, released, extended and
// early-deleted package, signed job exports moving forward), then audits
// it three ways: a bundle with its blobs (offline), the live log (GET
// /v1/policy/audit) and the stopped server's data directory. Each passes
// with every rule checked.
func TestPolicyAuditOfServedHistory(t *testing.T) {
	vec := loadPromotionVector(t)
	data, keys := t.TempDir(), t.TempDir()
	if _, err := run(t.Context(), "keys", "generate", "--name", "signer", "--out", keys, "--key-name", "producer-1"); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--dev", "--data", data, "--promotion-trust", "test-key-1=../../testdata/promotion/test-key-1.pub.hex",
		"--mask-rules", "../../testdata/promotion/mask-rules.yaml",
		"--export-trust", "dev="+filepath.Join(keys, "signer.vkey"), "--export-require-signatures", "dev")
	stopped := false
	defer func() {
		if !stopped {
			s.stop(t)
		}
	}()
	cli := cliOf(t, s, s.token)
	dir := t.TempDir()
	write := func(name string, content []byte) string {
		p := filepath.Join(dir, strings.ReplaceAll(name, "/", "_"))
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, f := range vec.Files {
		cli("put", write(f.Key, []byte(f.Content)), "--key", f.Key)
	}
	cli("put", write(vec.ProofKey, vec.Proof), "--key", vec.ProofKey)
	cli("promote", "raw/incoming/run-7/", "golden/run-7/", "--tier", "signed", "--wait", "--poll", "1ms")
	cli("promote", "raw/incoming/run-7/", "golden/masked/", "--tier", "masked", "--wait", "--poll", "1ms")
	cli("put", write("extra", []byte("not in the proof")), "--key", "incoming/run-7/extra.txt")
	if _, err := run(t.Context(), "promote", "raw/incoming/run-7/extra.txt", "golden/extra/", "--tier", "signed", "--wait", "--poll", "1ms",
		"--server", s.url, "--token", s.token); err == nil {
		t.Fatal("the promotion of an object the proof does not list passed")
	}
	reviewer, err := run(t.Context(), "token", "create", "--data", data, "--name", "reviewer", "--tenant", devTenant, "--scope", "promotions:review")
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		Items []struct{ ID string } `json:"items"`
	}
	mustJSON(t, cli("quarantine", "list"), &q)
	if len(q.Items) != 1 {
		t.Fatalf("quarantine: %+v", q)
	}
	cliOf(t, s, strings.TrimSpace(reviewer))("quarantine", "approve", q.Items[0].ID, "--reason", "false-positive")
	cli("put", write("plain", []byte("plain bytes")), "--key", "plain/a.txt")
	cli("promote", "raw/plain/a.txt", "golden/plain/", "--tier", "basic", "--wait", "--poll", "1ms")

	var p struct{ ID string }
	mustJSON(t, cli("package", "create", "--name", "evidence", "--retention", "transient"), &p)
	files := filepath.Join(dir, "pkg")
	if err := os.MkdirAll(files, 0o700); err != nil {
		t.Fatal(err)
	}
	write("pkg/report.txt", []byte("report"))
	if err := os.WriteFile(filepath.Join(files, "report.txt"), []byte("report"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("package", "upload", p.ID, files)
	cli("package", "finalize", p.ID)
	var h struct {
		HoldID string `json:"hold_id"`
	}
	mustJSON(t, cli("retention", "hold", p.ID, "--reason", "litigation"), &h)
	cli("retention", "release", p.ID, h.HoldID, "--reason", "settled")
	cli("retention", "extend", p.ID, "--duration", "30d", "--reason", "audit season")
	cli("retention", "delete", p.ID, "--reason", "early, by retention:admin")

	runID, art := "5b1f0c3e-2a4d-4e6f-8a9b-0c1d2e3f4a5b", "sha256:"+strings.Repeat("d4", 32)
	for _, status := range []string{"running", "succeeded"} {
		doc, _ := json.Marshal(map[string]string{"runId": runID, "artifactHash": art, "startedAt": "2026-12-01T00:00:00Z",
			"status": status, "tenantId": devTenant, "idempotencyKey": exports.IdempotencyKey(runID, art, devTenant)})
		cli("export", "submit", write("export-"+status, doc), "--sign", filepath.Join(keys, "signer.key"))
	}

	must := []string{"policy.digest", "policy.index", "retention.class", "retention.extension", "retention.hold", "retention.expiry",
		"retention.compliance", "promotion.verified", "promotion.golden", "promotion.tier", "promotion.mask-rules", "quarantine.separation",
		"export.forward", "export.signatures"}
	checkReport := func(how string, rep map[string]any) {
		t.Helper()
		checked, _ := rep["checked"].(map[string]any)
		for _, r := range must {
			if n, _ := checked[r].(float64); n < 1 {
				t.Errorf("%s: rule %s checked %v times: %v", how, r, checked[r], rep)
			}
		}
		if v, _ := rep["violations"].([]any); len(v) != 0 {
			t.Errorf("%s: violations in a history the server made: %v", how, v)
		}
	}

	// Offline, over a bundle with its blobs (the proofs re-verified).
	b := filepath.Join(dir, "all.bundle")
	cli("bundle", "export", "--from", "0", "--blobs", "--allow-missing", "--out", b)
	out, err := run(t.Context(), "policy", "audit", "--bundle", b, "--key", s.vkey, "--json")
	if err != nil {
		t.Fatalf("policy audit of the bundle: %v\n%s", err, out)
	}
	var rep map[string]any
	mustJSON(t, out, &rep)
	checkReport("bundle", rep)
	if n, _ := rep["unproven_proofs"].(float64); n != 0 {
		t.Errorf("%v proof checks without their proof's bytes in a bundle carrying blobs", n)
	}
	if text, err := run(t.Context(), "policy", "audit", "--bundle", b, "--key", s.vkey); err != nil || !strings.Contains(text, ", 0 violations") {
		t.Fatalf("text report: %v\n%s", err, text)
	}

	// Online, over the live log.
	var online map[string]any
	getJSON(t, s.url+"/v1/policy/audit", s.token, &online)
	checkReport("online", online)
	if code, m := get(t, s.url+"/metrics", s.token); code != 200 || !strings.Contains(string(m), "assay_policy_violations_found_total 0") {
		t.Fatalf("metrics: %d", code)
	}
	if out := cli("policy", "show"); !strings.Contains(out, "policy.applied at index 0") || !strings.Contains(out, `"separation_of_duties": true`) {
		t.Fatalf("policy show:\n%s", out)
	}

	// Offline, over the stopped server's data directory.
	s.stop(t)
	stopped = true
	out, err = run(t.Context(), "policy", "audit", "--data", data, "--origin", devOrigin, "--json")
	if err != nil {
		t.Fatalf("policy audit of the data directory: %v\n%s", err, out)
	}
	rep = nil
	mustJSON(t, out, &rep)
	checkReport("data directory", rep)
}

// basePolicyOtherVKey is the verifier key of a log that signed nothing here.
func basePolicyOtherVKey(t *testing.T) string {
	t.Helper()
	_, vkey, err := note.GenerateKey(rand.Reader, ledgertest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}
