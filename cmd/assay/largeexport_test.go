package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/ledger/exports"
)

// TestLargeExportBundleReplay submits a job export of about 1 MiB, whose
// payload is kept in the content store beside its entry, exports the log
// as a bundle with its blobs, and imports it into a mirror: the bundle
// carries the payload, and the mirror has the same root and the payload in
// its own store.
func TestLargeExportBundleReplay(t *testing.T) {
	src := t.TempDir()
	s := startServe(t, "--dev", "--data", src)
	runID, art := "5d7e9a1c-2b3f-4c6d-8e0a-1f2b3c4d5e6f", "sha256:"+strings.Repeat("5a", 32)
	doc, err := json.Marshal(map[string]string{"runId": runID, "artifactHash": art, "startedAt": "2025-12-02T00:00:00Z",
		"status": "running", "tenantId": "dev", "idempotencyKey": exports.IdempotencyKey(runID, art, "dev"),
		"jobType": strings.Repeat("j", exports.MaxBodyBytes-1024)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "large.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, "export", "submit", file, "--server", s.url, "--token", s.token)
	var rc struct {
		Entry json.RawMessage `json:"entry"`
	}
	mustJSON(t, out, &rc)
	var entry struct {
		PayloadDigest string   `json:"payloadDigest"`
		Detached      []string `json:"detached"`
	}
	mustJSON(t, string(rc.Entry), &entry)
	if !slices.Equal(entry.Detached, []string{"jobType"}) {
		t.Fatalf("entry %.300s: want jobType detached", rc.Entry)
	}
	b := filepath.Join(dir, "all.tar.zst")
	mustRun(t, "bundle", "export", "--from", "0", "--out", b, "--key", s.vkey, "--blobs", "--allow-missing", "--server", s.url, "--token", s.token)
	s.stop(t)

	mirror := filepath.Join(dir, "mirror")
	mustRun(t, "keys", "generate", "--name", "checkpoint", "--out", filepath.Join(mirror, "keys"), "--key-name", "mirror.test")
	mustRun(t, "bundle", "verify", b, "--key", s.vkey)
	mustRun(t, "bundle", "import", b, "--data", mirror, "--origin", "mirror.test", "--key", s.vkey)
	srcLog, dstLog := openAny(t, filepath.Join(src, "ledger")), openAny(t, filepath.Join(mirror, "ledger"))
	sa, ra := srcLog.Head()
	sb, rb := dstLog.Head()
	if sa != sb || !bytes.Equal(ra, rb) {
		t.Fatalf("mirror (%d, %x), source (%d, %x)", sb, rb, sa, ra)
	}
	if !slices.Contains(blobSet(t, filepath.Join(src, "blobs")), entry.PayloadDigest) {
		t.Fatalf("the source store lacks the payload %s", entry.PayloadDigest)
	}
	if !slices.Contains(blobSet(t, filepath.Join(mirror, "blobs")), entry.PayloadDigest) {
		t.Fatalf("the mirror store lacks the payload %s", entry.PayloadDigest)
	}
}
