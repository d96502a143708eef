package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/domains"
)

// BenchmarkMirrorCatchUp measures how fast a mirror catches up with a
// primary b.N*20,000 entries ahead (assay mirror --once over loopback),
// beside the baseline of the same run: bundle import of the same entries
// from a file already exported. Both replay every entry through the state
// machine; the mirror adds fetching and writing the bundle (make bench).
func BenchmarkMirrorCatchUp(b *testing.B) {
	n := 20_000 * b.N
	src := b.TempDir()
	s := startServe(b, "--dev", "--data", src)
	token, vkey := s.token, s.vkey
	s.stop(b)
	signer, _, err := loadKeyPair(dataDir(src).keys(), "checkpoint")
	if err != nil {
		b.Fatal(err)
	}
	lg, err := ledger.Open(ledger.Config{Dir: dataDir(src).ledger(), Origin: devOrigin, Signer: signer, Modules: domains.Modules(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"pad":"` + strings.Repeat("x", 400) + `"}`)
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := w; i < n; i += 64 {
				if _, err := lg.Append(context.Background(), ledger.Entry{Type: "bench.entry", Actor: "bench", Body: body}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	size, _ := lg.Head()
	if err := lg.Close(); err != nil {
		b.Fatal(err)
	}
	s = startServe(b, "--dev", "--data", src)
	defer s.stop(b)
	newMirror := func() string {
		d := b.TempDir()
		if _, err := run(b.Context(), "keys", "generate", "--name", "checkpoint", "--out", filepath.Join(d, "keys"), "--key-name", "mirror.bench"); err != nil {
			b.Fatal(err)
		}
		return d
	}
	b.ResetTimer()
	t0 := time.Now()
	if _, err := run(b.Context(), "mirror", "--once", "--server", s.url, "--token", token, "--data", newMirror(), "--origin", "mirror.bench", "--key", vkey); err != nil {
		b.Fatal(err)
	}
	mirror := time.Since(t0)
	b.StopTimer()
	file := filepath.Join(b.TempDir(), "all.tar.zst")
	if _, err := run(b.Context(), "bundle", "export", "--from", "0", "--out", file, "--server", s.url, "--token", token); err != nil {
		b.Fatal(err)
	}
	t0 = time.Now()
	if _, err := run(b.Context(), "bundle", "import", file, "--data", newMirror(), "--origin", "mirror.bench", "--key", vkey); err != nil {
		b.Fatal(err)
	}
	imp := time.Since(t0)
	b.ReportMetric(float64(size)/mirror.Seconds(), "entries/s_mirror")
	b.ReportMetric(float64(size)/imp.Seconds(), "entries/s_bundle_import")
	b.ReportMetric(imp.Seconds()/mirror.Seconds(), "ratio")
}
