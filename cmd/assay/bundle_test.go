package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
)

// TestBundleCommandsEndToEnd exports 0->N and N->M bundles from a server,
// verifies them with no server, imports them into a fresh data directory and
// compares the mirror with the source.
func TestBundleCommandsEndToEnd(t *testing.T) {
	ctx := t.Context()
	ts := newTestServer(t, 700)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "0.tar.zst"), filepath.Join(dir, "1.tar.zst")
	srv := []string{"--server", ts.url, "--token", ts.token}
	mustRun(t, append([]string{"bundle", "export", "--from", "0", "--out", first, "--key", ts.vkey}, srv...)...)
	base := filepath.Join(dir, "base.checkpoint")
	if err := os.WriteFile(base, ts.log.Checkpoint(), 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		body := json.RawMessage(fmt.Sprintf(`{"later":%d}`, i))
		if _, err := ts.log.Append(ctx, ledger.Entry{Type: "test.entry", Actor: "t", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, append([]string{"bundle", "export", "--from", "700", "--out", second}, srv...)...)

	out := mustRun(t, "bundle", "verify", second, "--key", ts.vkey, "--base-checkpoint", base)
	if !strings.Contains(out, "entries [700, 1000)") {
		t.Fatalf("verify said %q", out)
	}
	mirror := filepath.Join(dir, "mirror")
	mustRun(t, "keys", "generate", "--name", "checkpoint", "--out", filepath.Join(mirror, "keys"), "--key-name", "mirror.test")
	imp := func(file string) (string, error) {
		return run(ctx, "bundle", "import", file, "--data", mirror, "--origin", "mirror.test", "--key", ts.vkey)
	}
	if _, err := imp(second); err == nil {
		t.Fatal("700->1000 imported into an empty mirror")
	}
	for i, want := range []string{"imported 700 entries", "imported 300 entries", "imported 0 entries"} {
		out, err := imp([]string{first, second, first}[i])
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("import %d: %q, %v; want %q", i, out, err, want)
		}
	}
	tampered := filepath.Join(dir, "bad.tar.zst")
	b, _ := os.ReadFile(second)
	os.WriteFile(tampered, b[:len(b)-40], 0o600)
	if _, err := run(ctx, "bundle", "verify", tampered, "--key", ts.vkey); err == nil {
		t.Fatal("a truncated bundle verified")
	}
	if _, err := imp(tampered); err == nil {
		t.Fatal("a truncated bundle imported")
	}
	compareMirror(t, ts.log, filepath.Join(mirror, "ledger"))
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t.Context(), args...)
	if err != nil {
		t.Fatalf("assay %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// compareMirror opens the mirror's ledger and checks size, root and entries.
func compareMirror(t *testing.T, src *ledger.Log, dir string) {
	skey, _, _ := note.GenerateKey(rand.Reader, "any")
	s, _ := note.NewSigner(skey)
	m, err := ledger.Open(ledger.Config{Dir: dir, Origin: "mirror.test", Signer: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	size, root := m.Head()
	srcSize, srcRoot := src.Head()
	if size != srcSize || !bytes.Equal(root, srcRoot) {
		t.Fatalf("mirror (%d, %x), source (%d, %x)", size, root, srcSize, srcRoot)
	}
	a, _ := src.Entries(0, size)
	b, _ := m.Entries(0, size)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("entry %d differs", i)
		}
	}
}

// TestBundleExportRefusals checks the errors bundle export gives when the
// client refuses a bundle: they name the flag to change.
func TestBundleExportRefusals(t *testing.T) {
	ts := newTestServer(t, 5)
	out := filepath.Join(t.TempDir(), "b.tar.zst")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "6"}, "--from 6 is beyond the checkpoint's size 5"},
		{[]string{"--blobs"}, "5 digests and 0 cas:// paths the entries name are not in the store; --allow-missing lists them in the bundle instead"},
	} {
		args := append([]string{"bundle", "export", "--out", out, "--server", ts.url, "--token", ts.token}, tc.args...)
		if _, err := run(t.Context(), args...); err == nil || err.Error() != tc.want {
			t.Fatalf("assay %s: %v, want %q", strings.Join(args, " "), err, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a refused export left %s: %v", out, err)
	}
}
