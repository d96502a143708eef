package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/exports"
)

// sizedExport returns e signed by test-key-1 with a jobType that makes the
// body exactly n bytes.
func sizedExport(t *testing.T, f *exportFixture, e export, n int) []byte {
	t.Helper()
	base := len(e.with("jobType", "").signed(t, f.key, "test-key-1"))
	body := e.with("jobType", strings.Repeat("j", n-base)).signed(t, f.key, "test-key-1")
	if len(body) != n {
		t.Fatalf("body of %d bytes, want %d", len(body), n)
	}
	return body
}

// TestLargeExport submits a signed export of exactly the contract's 1 MiB:
// it is accepted, its entry keeps the short fields and names the long one
// detached, its canonical payload is in the content store under its
// payloadDigest, and its receipt verifies with golang.org/x/mod/sumdb/tlog.
// One byte more is refused with 413, and nothing is written.
func TestLargeExport(t *testing.T) {
	blobs := filepath.Join(t.TempDir(), "blobs")
	store, err := local.Open(local.Config{Root: blobs})
	if err != nil {
		t.Fatal(err)
	}
	f := newExportFixture(t, func(c *exports.ServiceConfig) { c.Store = store })
	body := sizedExport(t, f, newExport("acme", 1, "running"), exports.MaxBodyBytes)
	r := f.post(f.writer, "acme", body)
	if r.status != http.StatusCreated {
		t.Fatalf("1 MiB export: %d %.300s", r.status, r.body)
	}
	var rc wire.ExportReceipt
	if err := json.Unmarshal(r.body, &rc); err != nil {
		t.Fatal(err)
	}
	var entry struct {
		JobType       *string  `json:"jobType"`
		RunID         string   `json:"runId"`
		Detached      []string `json:"detached"`
		PayloadDigest string   `json:"payloadDigest"`
	}
	if err := json.Unmarshal(rc.Entry, &entry); err != nil {
		t.Fatal(err)
	}
	if len(rc.Entry) > 4<<10 || entry.JobType != nil || entry.RunID == "" || len(entry.Detached) != 1 || entry.Detached[0] != "jobType" {
		t.Fatalf("entry of %d bytes: %.300s; want the short fields and jobType detached", len(rc.Entry), rc.Entry)
	}

	// The payload in the store is the canonical payload of the body.
	d, err := cas.ParseDigest(entry.PayloadDigest)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := store.Get(t.Context(), d, 0, -1)
	if err != nil {
		t.Fatalf("payload %s not in the store: %v", d, err)
	}
	payload, err := io.ReadAll(rd)
	rd.Close()
	if err != nil {
		t.Fatal(err)
	}
	sub, canonical, err := exports.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(payload); !bytes.Equal(payload, canonical) || "sha256:"+hex.EncodeToString(sum[:]) != entry.PayloadDigest {
		t.Fatalf("stored payload of %d bytes does not match the canonical payload of %d bytes", len(payload), len(canonical))
	}
	trusted := map[string]ed25519.PublicKey{"test-key-1": f.key.Public().(ed25519.PublicKey)}
	if err := exports.VerifySignatures(sub, payload, trusted); err != nil {
		t.Fatalf("the stored payload does not verify: %v", err)
	}

	// The owner reads the payload back, whole, from the store; a small
	// export's payload is re-derived from its entry.
	if r := f.get(f.writer, wire.ExportsPath+"/"+rc.IdempotencyKey+"/payload"); r.status != http.StatusOK || !bytes.Equal(r.body, canonical) {
		t.Fatalf("payload of the 1 MiB export: %d, %d bytes, want the %d canonical bytes", r.status, len(r.body), len(canonical))
	}
	small := newExport("acme", 3, "running").signed(t, f.key, "test-key-1")
	if r := f.post(f.writer, "acme", small); r.status != http.StatusCreated {
		t.Fatalf("small export: %d %s", r.status, r.body)
	}
	_, smallCanonical, err := exports.Decode(small)
	if err != nil {
		t.Fatal(err)
	}
	smallKey := newExport("acme", 3, "running")["idempotencyKey"].(string)
	if r := f.get(f.writer, wire.ExportsPath+"/"+smallKey+"/payload"); r.status != http.StatusOK || !bytes.Equal(r.body, smallCanonical) {
		t.Fatalf("payload of a small export: %d %s, want %s", r.status, r.body, smallCanonical)
	}
	for path, want := range map[string]int{
		"/sha256:" + strings.Repeat("0", 64) + "/payload": http.StatusNotFound,
		"/sha256:xyz/payload":                             http.StatusBadRequest,
	} {
		if r := f.get(f.writer, wire.ExportsPath+path); r.status != want || r.problem(t).Status != want {
			t.Fatalf("GET %s: %d %s, want %d", path, r.status, r.body, want)
		}
	}

	// The receipt verifies with sumdb/tlog against the signed checkpoint.
	v, err := note.NewVerifier(f.vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(rc.Checkpoint), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n") // origin, size, root (C2SP tlog-checkpoint)
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size != int64(rc.TreeSize) {
		t.Fatalf("checkpoint size %q, receipt tree_size %d", lines[1], rc.TreeSize)
	}
	var root tlog.Hash
	if b, err := base64.StdEncoding.DecodeString(lines[2]); err != nil || copy(root[:], b) != len(root) {
		t.Fatalf("checkpoint root %q: %v", lines[2], err)
	}
	proof := make(tlog.RecordProof, len(rc.InclusionProof))
	for i, h := range rc.InclusionProof {
		copy(proof[i][:], h)
	}
	if err := tlog.CheckRecord(proof, size, root, int64(rc.Index), tlog.RecordHash(rc.Entry)); err != nil {
		t.Fatalf("receipt: %v", err)
	}

	// One byte over the limit: 413, nothing written.
	before, files := f.size(), blobFiles(t, blobs)
	over := sizedExport(t, f, newExport("acme", 2, "running"), exports.MaxBodyBytes+1)
	if r := f.post(f.writer, "acme", over); r.status != http.StatusRequestEntityTooLarge || r.problem(t).Type != wire.ProblemBase+"export-too-large" {
		t.Fatalf("1 MiB + 1 export: %d %.300s", r.status, r.body)
	}
	if f.size() != before || blobFiles(t, blobs) != files {
		t.Fatalf("the refused export wrote: size %d -> %d, blobs %d -> %d", before, f.size(), files, blobFiles(t, blobs))
	}
}

// blobFiles counts the blobs of a local store.
func blobFiles(t *testing.T, root string) int {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(root, "sha256", "*", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(m)
}
