package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// s3Args starts versitygw with a bucket and returns the serve flags that
// use it; credentials reach the store through the environment only.
func s3Args(t *testing.T) []string {
	t.Helper()
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	if err := os.Mkdir(filepath.Join(g.Root, "evidence"), 0o700); err != nil { // a posix bucket is a directory
		t.Fatal(err)
	}
	return []string{"--store", "s3", "--s3-endpoint", g.Endpoint, "--s3-bucket", "evidence", "--s3-prefix", "assay/",
		"--s3-region", g.Region, "--s3-path-style"}
}

// TestCatalogCLI runs `assay serve` with each backend and drives it with
// the package, put and get commands: a directory tree goes in with its
// relative paths, comes back byte for byte, and the manifest checks out.
func TestCatalogCLI(t *testing.T) {
	backends := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"local", func(*testing.T) []string { return nil }},
		{"local-compressed", func(*testing.T) []string { return []string{"--store-compress"} }},
		{"s3", s3Args},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			srv := startServe(t, append([]string{"--dev", "--data", t.TempDir()}, b.args(t)...)...)
			defer srv.stop(t)
			exerciseCatalog(t, srv)
		})
	}
}

// exerciseCatalog creates, uploads, finalizes and downloads through the
// CLI against srv.
func exerciseCatalog(t *testing.T, srv *serving) {
	t.Helper()
	ctx := t.Context()
	cli := func(args ...string) string {
		t.Helper()
		out, err := run(ctx, append(args, "--server", srv.url, "--token", srv.token)...)
		if err != nil {
			t.Fatalf("assay %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	dir := t.TempDir()
	files := map[string][]byte{"reports/report.md": []byte("# ok\n"), "logs/a/b.log": castest.Data(1, 3<<20), "top.json": []byte("{}")}
	for p, b := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o700)
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var p catalog.Package
	mustJSON(t, cli("package", "create", "--name", "build", "--producer", "ci", "--retention", "summary-evidence", "--attr", "repo_slug=acme/x"), &p)
	var added []catalog.File
	mustJSON(t, cli("package", "upload", p.ID, dir), &added)
	if len(added) != len(files) {
		t.Fatalf("uploaded %d files, want %d", len(added), len(files))
	}
	mustJSON(t, cli("package", "finalize", p.ID), &p)
	var m catalog.Manifest
	mustJSON(t, cli("package", "manifest", p.ID), &m)
	for _, f := range m.Files {
		out := filepath.Join(t.TempDir(), "out")
		cli("get", f.FileID, "-o", out)
		if got, _ := os.ReadFile(out); !bytes.Equal(got, files[f.Path]) {
			t.Fatalf("%s came back as %d bytes, want %d", f.Path, len(got), len(files[f.Path]))
		}
	}
	cli("put", filepath.Join(dir, "top.json"), "--key", "evidence/top.json", "--metadata", `{"k":"v"}`)
	if got := cli("get", "--object", "raw/evidence/top.json"); got != "{}" {
		t.Fatalf("object = %q", got)
	}
	if out := cli("scrub", "--full"); !strings.HasPrefix(out, "checked 3 blobs: 0 corrupt") {
		t.Fatalf("scrub: %s", out)
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}

// TestScrubDetectsFlippedBytes stores 100 blobs, flips a random byte in
// each blob file and expects `assay scrub` to report all 100 as corrupt
// and to log a scrub.finding for each.
func TestScrubDetectsFlippedBytes(t *testing.T) {
	const n = 100
	data := t.TempDir()
	srv := startServe(t, "--dev", "--data", data)
	defer srv.stop(t)
	c, err := (&serverFlags{server: srv.url, token: srv.token}).transferClient()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	var digests []cas.Digest
	for i := range n {
		b := castest.Data(uint64(i), 1+rng.IntN(64<<10))
		o, err := c.PutObject(t.Context(), "blob/"+string(rune('a'+i%26))+"/"+cas.DigestOf(b).Hex(), bytes.NewReader(b), int64(len(b)), "", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := cas.ParseDigest(o.Digest)
		digests = append(digests, d)
	}
	for _, d := range digests {
		h := d.Hex()
		castest.FlipByte(t, filepath.Join(data, "blobs", "sha256", h[:2], h[2:4], h), rng)
	}
	before, err := c.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t.Context(), "scrub", "--server", srv.url, "--token", srv.token)
	if err == nil || !strings.HasPrefix(out, "checked 100 blobs: 100 corrupt, 0 missing, 0 unreadable") {
		t.Fatalf("scrub = %v:\n%s", err, out)
	}
	after, _ := c.Checkpoint(t.Context())
	if sizeOf(t, after)-sizeOf(t, before) != n+1 {
		t.Fatalf("log grew from %d to %d, want %d findings and a summary", sizeOf(t, before), sizeOf(t, after), n)
	}
}

// sizeOf reads the tree size of a checkpoint note.
func sizeOf(t *testing.T, cp []byte) int {
	t.Helper()
	lines := strings.Split(string(cp), "\n")
	var n int
	if err := json.Unmarshal([]byte(lines[1]), &n); err != nil {
		t.Fatalf("checkpoint %q: %v", cp, err)
	}
	return n
}

// TestServeCatalogFlags checks that --retention changes a class's period
// (and the recorded policy) and that --object-read-events=false stops
// downloads from adding entries.
func TestServeCatalogFlags(t *testing.T) {
	srv := startServe(t, "--dev", "--data", t.TempDir(), "--retention", "raw-evidence=30d", "--retention", "audit=10y",
		"--object-read-events=false")
	defer srv.stop(t)
	ctx := t.Context()
	c, err := (&serverFlags{server: srv.url, token: srv.token}).transferClient()
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreatePackage(ctx, map[string]any{"name": "n", "retention_class": "audit"})
	if err != nil || p.Retention.Period != "10y" || !p.Retention.ExpiresAt.Equal(p.CreatedAt.AddDate(10, 0, 0)) {
		t.Fatalf("package %+v, %v: want a 10y class", p.Retention, err)
	}
	o, err := c.PutObject(ctx, "k", strings.NewReader("k"), 1, "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := c.Checkpoint(ctx)
	d, err := c.GetObject(ctx, "raw", o.Key, "")
	if err != nil {
		t.Fatal(err)
	}
	d.Body.Close()
	after, _ := c.Checkpoint(ctx)
	if sizeOf(t, after) != sizeOf(t, before) {
		t.Fatalf("a download added entries with --object-read-events=false")
	}
	policy, err := c.Entry(ctx, 0)
	if err != nil || !strings.Contains(string(policy.Entry), `"raw-evidence":"30d"`) || !strings.Contains(string(policy.Entry), `"permanent-record":"none"`) {
		t.Fatalf("policy entry %s, %v: want the retention classes", policy.Entry, err)
	}
}

// TestServeSweepsStaleTemporaries leaves a temporary of a dead Put in the
// local store and checks serve removes it at start, keeping a fresh one.
func TestServeSweepsStaleTemporaries(t *testing.T) {
	data := t.TempDir()
	tmp := filepath.Join(data, "blobs", "tmp")
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(tmp, "put-stale"), filepath.Join(tmp, "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * tempGrace)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	srv := startServe(t, "--dev", "--data", data)
	srv.stop(t)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh temporary removed: %v", err)
	}
}
