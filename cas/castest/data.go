package castest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/zeebo/blake3"

	"github.com/assay-ledger/assay/cas"
)

// Data returns n deterministic pseudo-random bytes for seed.
func Data(seed uint64, n int) []byte {
	b := make([]byte, n)
	NewReader(seed, int64(n)).Read(b)
	return b
}

// NewReader streams n deterministic pseudo-random bytes for seed without
// holding them in memory; Data(seed, n) returns the same bytes.
func NewReader(seed uint64, n int64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return io.LimitReader(rand.NewChaCha8(s), n)
}

// Expect computes, independently of the cas package, the Info a store must
// report for b.
func Expect(b []byte) cas.Info {
	b3 := blake3.Sum256(b)
	return cas.Info{Digest: cas.FromSHA256(sha256.Sum256(b)), Size: int64(len(b)), BLAKE3: hex.EncodeToString(b3[:])}
}

// FlipByte XORs one byte of the file at path, chosen with rng, with a
// non-zero value. It works on read-only files.
func FlipByte(t testing.TB, path string, rng *rand.Rand) {
	t.Helper()
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() == 0 {
		t.Fatalf("flip a byte of %s: size %d, %v", path, fi.Size(), err)
	}
	off := rng.Int64N(fi.Size())
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= byte(rng.IntN(255) + 1)
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// heapSampler wraps a reader and records the peak HeapInuse seen every
// `every` bytes read, so that a streaming Put or Get can be checked for
// bounded memory without timers.
type heapSampler struct {
	r           io.Reader
	every, next int64
	read        int64
	peak        uint64
}

func newHeapSampler(r io.Reader, every int64) *heapSampler {
	return &heapSampler{r: r, every: every, next: every}
}

func (s *heapSampler) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.read += int64(n)
	if s.read >= s.next || err != nil {
		s.sample()
		s.next += s.every
	}
	return n, err
}

func (s *heapSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.peak = max(s.peak, ms.HeapInuse)
}

// heapBaseline collects garbage and returns HeapInuse.
func heapBaseline() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// mib formats a byte count in MiB.
func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
