package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/verifier"
)

const origin = "assay.test/source"

// counter is a state machine for the tests: it counts entries per tenant in
// a projection, so replay must reproduce the counts.
func counter(tx *ledger.Tx, rec *ledger.Record) error {
	k := []byte("count/" + rec.Tenant)
	n := 0
	if v, err := tx.Get(k); err == nil {
		fmt.Sscan(string(v), &n)
	}
	tx.Set(k, fmt.Appendf(nil, "%d", n+1))
	return nil
}

type keys struct{ skey, vkey string }

func newKeys(t testing.TB, name string) keys {
	s, v, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	return keys{s, v}
}

func openLog(t testing.TB, k keys, org string) *ledger.Log {
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l, _ := ledgertest.Open(t, t.TempDir(), ledgertest.Options{Origin: org, Key: k.skey,
		Now: func() time.Time { return clock }, Modules: []ledger.Module{{Name: "test", Appliers: map[string]ledger.Applier{"test.count": counter}}}})
	return l
}

// grow appends n entries from 16 goroutines.
func grow(t testing.TB, l *ledger.Log, n int) {
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 16 {
				e := ledger.Entry{Type: "test.count", Tenant: fmt.Sprintf("t%d", i%3), Body: fmt.Appendf(nil, `{"i":%d}`, i)}
				if _, err := l.Append(context.Background(), e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// export writes the bundle [from, to) of l, to being its current size.
func export(t testing.TB, l *ledger.Log, from uint64) []byte {
	to, _ := l.Head()
	base, err := l.CompactRange(from)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := l.ConsistencyProof(from, to)
	if err != nil {
		t.Fatal(err)
	}
	es, err := l.Entries(from, to)
	if err != nil {
		t.Fatal(err)
	}
	c := Contents{Header: Header{Origin: l.Origin(), From: from, To: to}, Checkpoint: l.Checkpoint(), BaseRange: base, Consistency: proof}
	return writeBundle(t, c, es)
}

// writeBundle writes a bundle of c with the entries es.
func writeBundle(t testing.TB, c Contents, es [][]byte) []byte {
	var buf bytes.Buffer
	next := func() ([]byte, error) {
		if len(es) == 0 {
			return nil, io.EOF
		}
		e := es[0]
		es = es[1:]
		return e, nil
	}
	if err := Write(&buf, c, next, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func opener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

func TestExportVerifyImportChain(t *testing.T) {
	k := newKeys(t, origin)
	src := openLog(t, k, origin)
	grow(t, src, 5000)
	first := export(t, src, 0)
	grow(t, src, 3000)
	second := export(t, src, 5000)
	opts := Options{Key: k.vkey, Origin: origin}

	v, err := Verify(bytes.NewReader(second), opts)
	if err != nil || v.Entries != 3000 || v.Checkpoint.Size != 8000 {
		t.Fatalf("Verify second: %+v, %v", v, err)
	}
	dst := openLog(t, newKeys(t, "mirror"), "assay.test/mirror")
	if _, err := Import(t.Context(), opener(second), dst, opts, nil); !errors.Is(err, ledger.ErrImport) {
		t.Fatalf("importing 5000->8000 into an empty log: %v, want a base mismatch", err)
	}
	for i, b := range [][]byte{first, second, second, first} {
		res, err := Import(t.Context(), opener(b), dst, opts, nil)
		if err != nil {
			t.Fatalf("import %d: %v", i, err)
		}
		if want := []uint64{5000, 3000, 0, 0}[i]; res.Added != want {
			t.Fatalf("import %d added %d, want %d", i, res.Added, want)
		}
	}
	size, root := dst.Head()
	srcSize, srcRoot := src.Head()
	if size != srcSize || !bytes.Equal(root, srcRoot) {
		t.Fatalf("mirror (%d, %x), source (%d, %x)", size, root, srcSize, srcRoot)
	}
	for _, tenant := range []string{"t0", "t1", "t2"} {
		a, _ := src.Projection([]byte("count/" + tenant))
		b, _ := dst.Projection([]byte("count/" + tenant))
		if !bytes.Equal(a, b) {
			t.Fatalf("projection count/%s: source %s, mirror %s", tenant, a, b)
		}
	}
	// With the trusted checkpoint at 5000, the second bundle chains on it.
	base, _ := verifier.ParseCheckpoint(firstCheckpointText(t, first, k))
	if _, err := Verify(bytes.NewReader(second), Options{Key: k.vkey, Base: &base}); err != nil {
		t.Fatalf("verify with the base checkpoint: %v", err)
	}
	wrong := base
	wrong.Root = bytes.Repeat([]byte{1}, 32)
	if _, err := Verify(bytes.NewReader(second), Options{Key: k.vkey, Base: &wrong}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("verify against another base: %v", err)
	}
}

func firstCheckpointText(t *testing.T, b []byte, k keys) string {
	v, err := Verify(bytes.NewReader(b), Options{Key: k.vkey})
	if err != nil {
		t.Fatal(err)
	}
	return v.Checkpoint.Text()
}

// members decompresses a bundle into its members, in order.
func members(t *testing.T, b []byte) (names []string, data [][]byte) {
	zr, err := zstd.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, data
		}
		if err != nil {
			t.Fatal(err)
		}
		d, _ := io.ReadAll(tr)
		names, data = append(names, h.Name), append(data, d)
	}
}

// pack writes members as a bundle, with a fresh manifest when fix is set.
func pack(t *testing.T, names []string, data [][]byte, typ byte) []byte {
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(data[i])), Typeflag: typ}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data[i])
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// withManifest replaces the manifest by one matching the other members.
func withManifest(names []string, data [][]byte) [][]byte {
	tw := &tarWriter{tw: tar.NewWriter(io.Discard), files: map[string]string{}}
	for i, n := range names[:len(names)-1] {
		tw.bytes(n, data[i])
	}
	out := append([][]byte(nil), data...)
	b, _ := json.Marshal(manifest{Files: tw.files})
	out[len(out)-1] = b
	return out
}

func TestTamperedBundlesRefused(t *testing.T) {
	k := newKeys(t, origin)
	src := openLog(t, k, origin)
	grow(t, src, 300)
	good := export(t, src, 0)
	names, data := members(t, good)
	entriesAt := 4
	flip := func(fix bool) []byte {
		d := append([][]byte(nil), data...)
		d[entriesAt] = bytes.Clone(d[entriesAt])
		d[entriesAt][100] ^= 1
		if fix {
			d = withManifest(names, d)
		}
		return pack(t, names, d, tar.TypeReg)
	}
	other := newKeys(t, origin)
	otherLog := openLog(t, other, origin)
	grow(t, otherLog, 300)
	foreign := export(t, otherLog, 0)
	bomb := zeroBomb(t)
	for name, b := range map[string][]byte{
		"truncated":                  good[:len(good)/2],
		"entry byte flipped":         flip(false),
		"entry flipped, manifest ok": flip(true),
		"checkpoint of another key":  foreign,
		"extra member":               pack(t, append(append([]string(nil), names...), "extra"), append(append([][]byte(nil), data...), []byte("x")), tar.TypeReg),
		"path traversal":             pack(t, append([]string{"../header.json"}, names[1:]...), data, tar.TypeReg),
		"symlink member":             pack(t, names, data, tar.TypeSymlink),
		"members reordered":          pack(t, []string{names[1], names[0], names[2], names[3], names[4], names[5]}, [][]byte{data[1], data[0], data[2], data[3], data[4], data[5]}, tar.TypeReg),
		"not zstd":                   []byte("plain text, not a bundle"),
		"zstd bomb":                  bomb,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Verify(bytes.NewReader(b), Options{Key: k.vkey, MaxBytes: 16 << 20}); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify: %v, want ErrInvalid", err)
			}
			dst := openLog(t, newKeys(t, "m"), "m")
			if _, err := Import(context.Background(), opener(b), dst, Options{Key: k.vkey, MaxBytes: 16 << 20}, nil); err == nil {
				t.Fatal("import accepted a bad bundle")
			}
			if size, _ := dst.Head(); size != 0 {
				t.Fatalf("a refused bundle imported %d entries", size)
			}
		})
	}
}

func TestDecompressedSizeCap(t *testing.T) {
	k := newKeys(t, origin)
	src := openLog(t, k, origin)
	grow(t, src, 300)
	good := export(t, src, 0)
	if _, err := Verify(bytes.NewReader(good), Options{Key: k.vkey, MaxBytes: 4096}); !errors.Is(err, errTooBig) {
		t.Fatalf("a bundle decompressing past MaxBytes: %v, want errTooBig", err)
	}
	if _, err := Verify(bytes.NewReader(good), Options{Key: k.vkey}); err != nil {
		t.Fatalf("the same bundle within the default cap: %v", err)
	}
}

// zeroBomb is a small zstd stream that decompresses to 1 GiB of zeros.
func zeroBomb(t *testing.T) []byte {
	var buf bytes.Buffer
	zw, _ := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	zeros := make([]byte, 1<<20)
	for range 1024 {
		zw.Write(zeros)
	}
	zw.Close()
	if buf.Len() > 1<<20 {
		t.Fatalf("bomb is %d bytes", buf.Len())
	}
	return buf.Bytes()
}
