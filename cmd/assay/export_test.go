package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/exports"
)

func TestExportSubmitSignedAndGet(t *testing.T) {
	data, keys := t.TempDir(), t.TempDir()
	if _, err := run(t.Context(), "keys", "generate", "--name", "signer", "--out", keys, "--key-name", "producer-1"); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--dev", "--data", data,
		"--export-trust", "dev="+filepath.Join(keys, "signer.vkey"), "--export-require-signatures", "dev")
	defer s.stop(t)

	runID, art := "3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", "sha256:"+strings.Repeat("c4", 32)
	doc, _ := json.Marshal(map[string]string{"runId": runID, "artifactHash": art, "startedAt": "2025-12-02T00:00:00Z",
		"status": "succeeded", "tenantId": "dev", "idempotencyKey": exports.IdempotencyKey(runID, art, "dev"),
		"jobType": "scan <nightly> & more"})
	file := filepath.Join(t.TempDir(), "export.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := []string{"--server", s.url, "--token", s.token}
	if _, err := run(t.Context(), append([]string{"export", "submit", file}, srv...)...); err == nil || !strings.Contains(err.Error(), "accepts only signed exports") {
		t.Fatalf("unsigned submit to a tenant that requires signatures: %v", err)
	}
	out, err := run(t.Context(), append([]string{"export", "submit", file, "--sign", filepath.Join(keys, "signer.key"), "--key", s.vkey}, srv...)...)
	if err != nil {
		t.Fatalf("signed submit: %v\n%s", err, out)
	}
	var rc wire.ExportReceipt
	if err := json.Unmarshal([]byte(out), &rc); err != nil || rc.Type != exports.TypeIngested || rc.Index != 1 {
		t.Fatalf("receipt %s (%v)", out, err)
	}
	if !strings.Contains(string(rc.Entry), `"keyId":"producer-1"`) || !strings.Contains(string(rc.Entry), `"scan <nightly> & more"`) {
		t.Fatalf("entry %s lacks the signature by producer-1 or changed the jobType", rc.Entry)
	}
	if _, err := run(t.Context(), append([]string{"export", "submit", file, "--sign", filepath.Join(keys, "signer.key")}, srv...)...); err == nil || !strings.Contains(err.Error(), "already recorded") {
		t.Fatalf("second submit: %v, want a duplicate", err)
	}
	out, err = run(t.Context(), append([]string{"export", "get", rc.IdempotencyKey, "--key", s.vkey}, srv...)...)
	if err != nil || !strings.Contains(out, `"index":1,`) {
		t.Fatalf("export get: %v\n%s", err, out)
	}
	policy, err := run(t.Context(), "log", "entry", "0", "--server", s.url, "--token", s.token)
	vkey, _ := os.ReadFile(filepath.Join(keys, "signer.vkey"))
	if err != nil || !strings.Contains(policy, strings.TrimSpace(string(vkey))) || !strings.Contains(policy, `"require_signatures":true`) {
		t.Fatalf("policy entry %s (%v) lacks the trusted export key", policy, err)
	}
}
