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

// landVector lands the shared verification-proof vector with assay put and
// returns the proof's file and the files' digests.
func landVector(t *testing.T, cli func(...string) string) (string, []string) {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/promotion/verification-proof.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		Files    []struct{ Key, Content, Digest string }
		Proof    json.RawMessage `json:"verification_proof_json"`
		ProofKey string          `json:"verification_proof_key"`
	}
	if err := json.Unmarshal(raw, &vec); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	land := func(key string, content []byte) string {
		p := filepath.Join(dir, strings.ReplaceAll(key, "/", "_"))
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
		cli("put", p, "--key", key)
		return p
	}
	var digests []string
	for _, f := range vec.Files {
		land(f.Key, []byte(f.Content))
		digests = append(digests, f.Digest)
	}
	return land(vec.ProofKey, vec.Proof), digests
}

// TestPermitCLI: assay permit prints a permission for the vector's files
// (by digest and by landed key) and a denial for a digest its proof does
// not list; assay promote --tier masked --permission then places masked
// copies, and the policy records the rules file.
func TestPermitCLI(t *testing.T) {
	s := startServe(t, "--dev", "--data", t.TempDir(), "--promotion-trust", "test-key-1=../../testdata/promotion/test-key-1.pub.hex",
		"--mask-rules", "../../testdata/promotion/mask-rules.yaml")
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	proof, digests := landVector(t, cli)

	var ok wire.PermitResponse
	mustJSON(t, cli("permit", "--tier", "signed", "--proof", proof, "--digest", digests[0], "--key", "raw/incoming/run-7/report.md"), &ok)
	if !ok.Permitted || !strings.HasPrefix(ok.PermissionID, "pmt_") || ok.Type != "upload.permitted" || len(ok.InclusionProof) == 0 {
		t.Fatalf("permit: %+v", ok)
	}
	var no wire.PermitResponse
	mustJSON(t, cli("permit", "--tier", "signed", "--proof", proof, "--digest", "sha256:"+strings.Repeat("0", 64)), &no)
	if no.Permitted || no.Reason != "subject-missing" || no.Type != "upload.denied" {
		t.Fatalf("denial: %+v", no)
	}
	if _, err := run(t.Context(), "permit", "--tier", "signed", "--server", s.url, "--token", s.token); err == nil {
		t.Fatal("permit without digests or keys succeeded")
	}

	var v wire.PromotionView
	mustJSON(t, cli("promote", "raw/incoming/run-7/", "golden/run-7/", "--tier", "masked", "--permission", ok.PermissionID, "--wait", "--poll", "10ms"), &v)
	if v.Promoted != 2 || v.Masked != 2 || v.PermissionID != ok.PermissionID {
		t.Fatalf("masked promotion %+v", v.Promotion)
	}
	rules, err := os.ReadFile("../../testdata/promotion/mask-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(string(rules))
	found := false
	for i := range sizeOfServer(t, s) {
		var e wire.LogEntry
		mustJSON(t, cli("log", "entry", fmt.Sprint(i)), &e)
		if strings.Contains(string(e.Entry), `"type":"policy.applied"`) {
			found = strings.Contains(string(e.Entry), `"rules_file":`+string(want)) && strings.Contains(string(e.Entry), `"rules_digest":"sha256:`)
		}
	}
	if !found {
		t.Fatal("policy.applied does not record the masking rules")
	}
}
