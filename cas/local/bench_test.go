package local

import (
	"crypto/sha256"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/internal/durable"
)

// benchSize is the file BenchmarkLocalPut stores.
const benchSize = 256 << 20

// BenchmarkLocalPut puts a 256 MiB file and reports its throughput beside
// two limits measured on the same file in the same process: the hash limit
// (`openssl dgst -sha256 FILE`, or crypto/sha256 without openssl) and the
// disk's write limit (`cp FILE DIR && sync`, or copy+fsync without cp).
// "ratio" is put throughput over the slower of the two; the goal is >= 0.7.
// Each side is its best run (three for the baselines, b.N for the put, so
// run with -benchtime 3x or more), which keeps noise from other processes
// out of the comparison; ns/op stays the mean.
func BenchmarkLocalPut(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "input")
	writeBenchFile(b, file)
	hashName, hashRate := bestRate(b, hashBaseline(file))
	copyName, copyRate := bestRate(b, copyBaseline(b, file, filepath.Join(dir, "copy")))
	limit := min(hashRate, copyRate)
	b.Logf("limits on %d MiB: %s %.0f MB/s, %s %.0f MB/s", benchSize>>20, hashName, hashRate, copyName, copyRate)
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			key := ""
			if m.encrypt {
				key = writeKeyFile(b, dir)
			}
			b.SetBytes(benchSize)
			rate := 0.0
			for i := range b.N {
				root := filepath.Join(dir, "store", m.name, string(rune('a'+i%26)))
				d := timedPut(b, Config{Root: root, Compress: m.compress, KeyFile: key}, file)
				rate = max(rate, mbps(benchSize, d))
			}
			b.ReportMetric(rate, "put-MB/s")
			b.ReportMetric(hashRate, "sha256-MB/s")
			b.ReportMetric(copyRate, "cp+sync-MB/s")
			b.ReportMetric(rate/limit, "ratio")
		})
	}
}

// timedPut opens a fresh store, flushes earlier writes, and times one Put
// of file; the store is removed afterwards, untimed.
func timedPut(b *testing.B, cfg Config, file string) time.Duration {
	b.StopTimer()
	l, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	syscall.Sync()
	b.StartTimer()
	start := time.Now()
	if _, err := l.Put(b.Context(), f, cas.Digest{}); err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	b.StopTimer()
	f.Close()
	if err := os.RemoveAll(cfg.Root); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return d
}

// writeBenchFile writes benchSize incompressible bytes and flushes them,
// so that no baseline pays for them.
func writeBenchFile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, castest.NewReader(1, benchSize)); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	syscall.Sync()
}

// writeKeyFile writes a fixed test key.
func writeKeyFile(b *testing.B, dir string) string {
	p := filepath.Join(dir, "key")
	if err := os.WriteFile(p, make([]byte, keySize), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// baseline is a named operation on the benchmark file.
type baseline struct {
	name string
	run  func() error
}

// hashBaseline hashes the file with openssl, or crypto/sha256 without it.
func hashBaseline(file string) baseline {
	if p, err := exec.LookPath("openssl"); err == nil {
		return baseline{"openssl dgst -sha256", func() error { return exec.Command(p, "dgst", "-sha256", file).Run() }}
	}
	return baseline{"crypto/sha256", func() error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(sha256.New(), f)
		return err
	}}
}

// copyBaseline copies the file into a fresh directory and syncs, with cp
// and sync, or with io.Copy and fsync without them.
func copyBaseline(b *testing.B, file, dst string) baseline {
	fresh := func() {
		if err := os.RemoveAll(dst); err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(dst, 0o700); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := exec.LookPath("cp"); err == nil {
		return baseline{"cp FILE DIR && sync", func() error {
			fresh()
			return exec.Command("sh", "-c", `cp "$1" "$2" && sync`, "sh", file, dst).Run()
		}}
	}
	return baseline{"copy+fsync", func() error {
		fresh()
		in, err := os.Open(file)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dst, "input"))
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		return durable.SyncDir(dst)
	}}
}

// bestRate runs a baseline three times, each after flushing earlier
// writes, and returns the best throughput in MB/s.
func bestRate(b *testing.B, bl baseline) (string, float64) {
	best := 0.0
	for range 3 {
		syscall.Sync()
		start := time.Now()
		if err := bl.run(); err != nil {
			b.Fatalf("%s: %v", bl.name, err)
		}
		best = max(best, mbps(benchSize, time.Since(start)))
	}
	return bl.name, best
}

// mbps is bytes over duration in MB/s (10^6 bytes), as go test reports.
func mbps(n int64, d time.Duration) float64 { return float64(n) / 1e6 / d.Seconds() }
