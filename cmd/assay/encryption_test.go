package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// canceled returns a canceled context: a `serve` run with it that gets
// past its checks returns at once instead of serving until the test ends.
func canceled(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	return ctx
}

// writeKey writes n random bytes to a fresh file and returns its path.
func writeKey(t *testing.T, n int) string {
	t.Helper()
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("key-%d", n))
	if err := os.WriteFile(p, k, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// policyEncryption returns the encryption part of the policy.applied entry
// at index i.
func policyEncryption(t *testing.T, c *client.Client, i uint64) map[string]string {
	t.Helper()
	e, err := c.Entry(t.Context(), i)
	if err != nil {
		t.Fatal(err)
	}
	var entry struct {
		Type   string `json:"type"`
		Policy struct {
			Encryption map[string]string `json:"encryption"`
		} `json:"policy"`
	}
	if err := json.Unmarshal(e.Entry, &entry); err != nil || entry.Type != ledger.PolicyType {
		t.Fatalf("entry %d %s (%v): want a policy.applied entry", i, e.Entry, err)
	}
	return entry.Policy.Encryption
}

// TestDevEncryptsStoreAtRest starts the server as `make run` does, uploads
// a file with a known plaintext and checks that the download returns it,
// that no file of the blob store holds it, and that a restart reuses the
// store key the first start created.
func TestDevEncryptsStoreAtRest(t *testing.T) {
	data := t.TempDir()
	srv := startServe(t, "--dev", "--data", data)
	keyPath := filepath.Join(data, "keys", "store.key")
	key, err := os.ReadFile(keyPath)
	if err != nil || len(key) != 32 {
		t.Fatalf("store key: %d bytes, %v; want 32", len(key), err)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Fatalf("store key mode %v, want 0600", fi.Mode().Perm())
	}
	c, err := client.New(srv.url, srv.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	secret := ledgertest.Marker(t, "bytes")
	plain := []byte(strings.Repeat(secret+"\n", 5000)) // several AEAD chunks
	p, err := c.CreatePackage(ctx, map[string]any{"name": "n", "retention_class": "transient"})
	if err != nil {
		t.Fatal(err)
	}
	files, err := c.UploadFiles(ctx, p.ID, []client.UploadFile{{Path: "secret.txt", Body: bytes.NewReader(plain)}})
	if err != nil {
		t.Fatal(err)
	}
	download := func(c *client.Client) []byte {
		t.Helper()
		d, err := c.DownloadFile(ctx, files[0].FileID, "")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Body.Close()
		b, err := io.ReadAll(d.Body)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if got := download(c); !bytes.Equal(got, plain) {
		t.Fatalf("download returned %d bytes, want the %d uploaded", len(got), len(plain))
	}
	h := strings.TrimPrefix(files[0].Digest, "sha256:")
	if fi, err := os.Stat(filepath.Join(data, "blobs", "sha256", h[:2], h[2:4], h)); err != nil || fi.Size() <= int64(len(plain)) {
		t.Fatalf("blob file: %v, %v; want one larger than the plaintext", fi, err)
	}
	if hits := ledgertest.FilesHolding(t, filepath.Join(data, "blobs"), ledgertest.Pieces(secret)...); len(hits) > 0 {
		t.Fatalf("%v under blobs/ hold the plaintext", hits)
	}
	if enc := policyEncryption(t, c, 0); enc["store"] != "aes-256-gcm" || enc["ledger"] != "none" || len(enc) != 2 {
		t.Fatalf("policy encryption %v, want store aes-256-gcm, ledger none", enc)
	}
	size := sizeOfServer(t, srv)
	srv.stop(t)

	again := startServe(t, "--dev", "--data", data)
	defer again.stop(t)
	again.token = srv.token // printed on the first start only
	if k, _ := os.ReadFile(keyPath); !bytes.Equal(k, key) {
		t.Fatal("the restart replaced the store key")
	}
	if got := sizeOfServer(t, again); got != size {
		t.Fatalf("log grew from %d to %d over a restart with the same policy", size, got)
	}
	c2, _ := client.New(again.url, srv.token, nil)
	if got := download(c2); !bytes.Equal(got, plain) {
		t.Fatal("after the restart the download differs")
	}
}

// TestServeLedgerKey runs the server with --ledger-key-file: the policy
// says so, an entry reads back, the ledger's files do not hold it, and
// the ledger refuses to open without the key or with another.
func TestServeLedgerKey(t *testing.T) {
	data, key := t.TempDir(), writeKey(t, 32)
	srv := startServe(t, "--dev", "--data", data, "--ledger-key-file", key)
	c, err := client.New(srv.url, srv.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	secret := ledgertest.Marker(t, "metadata")
	meta, _ := json.Marshal(map[string]string{"note": secret})
	if _, err := c.PutObject(t.Context(), "evidence/x", strings.NewReader("x"), 1, "", "", meta); err != nil {
		t.Fatal(err)
	}
	put := sizeOfServer(t, srv) - 1 // the object.put entry
	e, err := c.Entry(t.Context(), put)
	if err != nil || !strings.Contains(string(e.Entry), secret) {
		t.Fatalf("entry %d = %s, %v: want the metadata", put, e.Entry, err)
	}
	if enc := policyEncryption(t, c, 0); fmt.Sprint(enc) != "map[ledger:aes-256 store:aes-256-gcm]" {
		t.Fatalf("policy encryption %v, want ledger aes-256, store aes-256-gcm", enc)
	}
	if hits := ledgertest.FilesHolding(t, filepath.Join(data, "ledger"), ledgertest.Pieces(secret)...); len(hits) > 0 {
		t.Fatalf("ledger files %v of the running server hold the entry's plaintext", hits)
	}
	srv.stop(t)
	if hits := ledgertest.FilesHolding(t, filepath.Join(data, "ledger"), ledgertest.Pieces(secret)...); len(hits) > 0 {
		t.Fatalf("ledger files %v hold the entry's plaintext", hits)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"without the key", nil, "is encrypted; open it with its key"},
		{"with another key", []string{"--ledger-key-file", writeKey(t, 32)}, "encrypted with another key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(canceled(t), append([]string{"serve", "--dev", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...)
			if !errors.Is(err, ledger.ErrEncryptionKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve: %v, want %q", err, tc.want)
			}
		})
	}
	// Without --dev, with the key: DATA/keys/store.key is still used, so
	// the policy is unchanged.
	again := startServe(t, "--data", data, "--origin", devOrigin, "--ledger-key-file", key)
	defer again.stop(t)
	again.token = srv.token
	c, _ = client.New(again.url, srv.token, nil)
	if e, err := c.Entry(t.Context(), put); err != nil || !strings.Contains(string(e.Entry), secret) {
		t.Fatalf("after reopening with the key, entry %d = %s, %v", put, e.Entry, err)
	}
	if got := sizeOfServer(t, again); got != put+1 {
		t.Fatalf("size %d after the restart, want %d (no new policy)", got, put+1)
	}
}

// TestEncryptionFlagsRefuseBadInput checks that bad key files and flags
// are refused with an error naming the problem before anything is
// written: the data directory is not even created.
func TestEncryptionFlagsRefuseBadInput(t *testing.T) {
	hexKey := filepath.Join(t.TempDir(), "hex")
	os.WriteFile(hexKey, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ledger key of 31 bytes", []string{"--ledger-key-file", writeKey(t, 31)}, "31 bytes: want 16, 24 or 32 raw bytes"},
		{"ledger key as hex", []string{"--ledger-key-file", hexKey}, "65 bytes: want 16, 24 or 32 raw bytes"},
		{"missing ledger key", []string{"--ledger-key-file", missing}, "--ledger-key-file: open " + missing},
		{"store key of 16 bytes", []string{"--store-key-file", writeKey(t, 16)}, "16 bytes: want 32 raw bytes or 64 hex digits"},
		{"missing store key", []string{"--store-key-file", missing}, "--store-key-file: read key file"},
		{"store key with s3", []string{"--store", "s3", "--s3-bucket", "b", "--store-key-file", writeKey(t, 32)}, "encrypts the local store only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			_, err := run(canceled(t), append([]string{"serve", "--dev", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("serve: %v, want an error holding %q", err, tc.want)
			}
			if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the refused start created %s (%v)", data, err)
			}
		})
	}
	t.Run("bundle import", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		_, err := run(t.Context(), "bundle", "import", "none.tar.zst", "--data", data, "--origin", "m.test", "--key", "k",
			"--ledger-key-file", writeKey(t, 20))
		if err == nil || !strings.Contains(err.Error(), "20 bytes: want 16, 24 or 32 raw bytes") {
			t.Fatalf("bundle import: %v", err)
		}
		if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the refused import created %s (%v)", data, err)
		}
	})
}

// TestBundleImportLedgerKey imports a bundle into a mirror encrypted with
// --ledger-key-file: the entries are there, the mirror's files do not hold
// them, and a later import needs the key.
func TestBundleImportLedgerKey(t *testing.T) {
	ts := newTestServer(t, 3)
	secret := ledgertest.Marker(t, "entry")
	body, _ := json.Marshal(map[string]string{"note": secret})
	if _, err := ts.log.Append(t.Context(), ledger.Entry{Type: "test.entry", Actor: "t", Body: body}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := filepath.Join(dir, "b.tar.zst")
	mustRun(t, "bundle", "export", "--from", "0", "--out", b, "--server", ts.url, "--token", ts.token)
	mirror, key := filepath.Join(dir, "mirror"), writeKey(t, 24)
	mustRun(t, "keys", "generate", "--name", "checkpoint", "--out", filepath.Join(mirror, "keys"), "--key-name", "mirror.test")
	imp := func(args ...string) (string, error) {
		return run(t.Context(), append([]string{"bundle", "import", b, "--data", mirror, "--origin", "mirror.test", "--key", ts.vkey}, args...)...)
	}
	if out, err := imp("--ledger-key-file", key); err != nil || !strings.Contains(out, "imported 4 entries") {
		t.Fatalf("import: %q, %v", out, err)
	}
	if hits := ledgertest.FilesHolding(t, filepath.Join(mirror, "ledger"), ledgertest.Pieces(secret)...); len(hits) > 0 {
		t.Fatalf("mirror ledger files %v hold the entry's plaintext", hits)
	}
	if _, err := imp(); !errors.Is(err, ledger.ErrEncryptionKey) {
		t.Fatalf("import without the key: %v", err)
	}
	if out, err := imp("--ledger-key-file", key); err != nil || !strings.Contains(out, "imported 0 entries") {
		t.Fatalf("import again with the key: %q, %v", out, err)
	}
}

// TestServeS3SSEPolicy starts a --dev server on the S3 store with
// --s3-sse: the policy records the SSE mode and no store key is made (the
// local store's key has nothing to encrypt).
func TestServeS3SSEPolicy(t *testing.T) {
	data := t.TempDir()
	srv := startServe(t, append([]string{"--dev", "--data", data, "--s3-sse", "AES256"}, s3Args(t)...)...)
	defer srv.stop(t)
	c, err := client.New(srv.url, srv.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	if enc := policyEncryption(t, c, 0); fmt.Sprint(enc) != "map[ledger:none s3_sse:AES256 store:none]" {
		t.Fatalf("policy encryption %v, want s3_sse AES256", enc)
	}
	if _, err := os.Stat(filepath.Join(data, "keys", "store.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("store key with the S3 store: %v", err)
	}
}
