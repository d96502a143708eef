package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestPromoteCLI serves with test-key-1 trusted for tier signed, lands the
// shared verification-proof vector with assay put, promotes it with assay
// promote, and checks the policy records the tier's key.
func TestPromoteCLI(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/promotion/verification-proof.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		Files    []struct{ Key, Content string }
		Proof    json.RawMessage `json:"verification_proof_json"`
		ProofKey string          `json:"verification_proof_key"`
	}
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--dev", "--data", t.TempDir(), "--promotion-trust", "test-key-1=../../testdata/promotion/test-key-1.pub.hex")
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	dir := t.TempDir()
	land := func(key string, content []byte) {
		p := filepath.Join(dir, strings.ReplaceAll(key, "/", "_"))
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		cli("put", p, "--key", key)
	}
	for _, f := range vec.Files {
		land(f.Key, []byte(f.Content))
	}
	land(vec.ProofKey, vec.Proof)

	var v wire.PromotionView
	mustJSON(t, cli("promote", "raw/incoming/run-7/", "golden/run-7/", "--tier", "signed", "--wait", "--poll", "1ms"), &v)
	if v.Status != "completed" || v.Promoted != 2 || v.Quarantined != 0 {
		t.Fatalf("promotion %+v", v.Promotion)
	}
	var page wire.QuarantinePage
	mustJSON(t, cli("quarantine", "list", "--prefix", "run-7/"), &page)
	if len(page.Items) != 0 {
		t.Fatalf("quarantine %+v", page)
	}
	// A second promotion, of an object the proof does not list,
	// quarantines; the lists select.
	land("incoming/run-7/extra.txt", []byte("not in the proof"))
	if _, err := run(t.Context(), "promote", "raw/incoming/run-7/extra.txt", "golden/bare/", "--wait", "--poll", "1ms", "--tier", "signed",
		"--server", s.url, "--token", s.token); err == nil {
		t.Fatal("promote --wait of an object the proof does not list succeeded")
	}
	mustJSON(t, cli("quarantine", "list", "--tier", "signed", "--reason", "subject-missing"), &page)
	if len(page.Items) != 1 || page.Items[0].SourceKey != "incoming/run-7/extra.txt" {
		t.Fatalf("quarantine by reason subject-missing: %+v", page)
	}
	mustJSON(t, cli("quarantine", "list", "--tier", "basic"), &page)
	if len(page.Items) != 0 {
		t.Fatalf("quarantine of tier basic: %+v", page)
	}
	var proms wire.PromotionsPage
	mustJSON(t, cli("promotion", "list", "--status", "failed", "--prefix", "raw/incoming/run-7/extra"), &proms)
	if len(proms.Promotions) != 1 || proms.Promotions[0].Source != "raw/incoming/run-7/extra.txt" {
		t.Fatalf("failed promotions: %+v", proms)
	}
	mustJSON(t, cli("promotion", "list", "--prefix", "raw/incoming/"), &proms)
	if len(proms.Promotions) != 2 {
		t.Fatalf("promotions under raw/incoming/: %+v", proms)
	}
	if _, err := run(t.Context(), "promote", "raw/incoming/", "golden/x/", "--tier", "masking", "--server", s.url, "--token", s.token); err == nil ||
		!strings.Contains(err.Error(), "tier") {
		t.Fatalf("unknown tier: %v", err)
	}
	// The policy names the signed tier's key.
	found := false
	for i := range sizeOfServer(t, s) {
		var e wire.LogEntry
		mustJSON(t, cli("log", "entry", fmt.Sprint(i)), &e)
		if strings.Contains(string(e.Entry), `"type":"policy.applied"`) {
			found = strings.Contains(string(e.Entry), `"test-key-1":"d5754a3223cc46657a0b295c00998c364eb26e8b307f0ddae3d52505b7f92a5d"`) &&
				strings.Contains(string(e.Entry), `"separation_of_duties":true`)
		}
	}
	if !found {
		t.Fatal("policy.applied does not record the promotion tiers")
	}
}
