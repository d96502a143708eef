package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/assay-ledger/assay/verifier"
)

// uniqueLogs returns a source log of n entries, with projections written by
// uniqueApplier, and an empty log with the same Applier to import into.
func uniqueLogs(t *testing.T, n int) (src, dst *Log) {
	appliers := map[string]Applier{"test.unique": uniqueApplier}
	src = openLog(t, t.TempDir(), newKeys(t), appliers)
	dst = openLog(t, t.TempDir(), newKeys(t), appliers)
	t.Cleanup(func() { src.Close(); dst.Close() })
	for i := range n {
		if _, err := src.Append(t.Context(), Entry{Type: "test.unique", Body: fmt.Appendf(nil, `{"key":"k%d"}`, i)}); err != nil {
			t.Fatal(err)
		}
	}
	return src, dst
}

func root(t *testing.T, l *Log, size uint64) []byte {
	r, err := l.RootAt(size)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func entries(t *testing.T, l *Log, a, b uint64) [][]byte {
	es, err := l.Entries(a, b)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestImportReplaysIntoSameState(t *testing.T) {
	src, dst := uniqueLogs(t, 10_000) // more than two import chunks
	ctx := t.Context()
	steps := []struct {
		a, b  uint64
		added uint64
	}{{0, 600, 600}, {600, 10_000, 9400}, {0, 10_000, 0}, {300, 700, 0}}
	for _, s := range steps {
		res, err := dst.Import(ctx, s.a, entries(t, src, s.a, s.b), root(t, src, s.a), root(t, src, s.b))
		if err != nil {
			t.Fatalf("import [%d, %d): %v", s.a, s.b, err)
		}
		if res.Added != s.added {
			t.Fatalf("import [%d, %d) added %d, want %d", s.a, s.b, res.Added, s.added)
		}
	}
	size, r := dst.Head()
	srcSize, srcRoot := src.Head()
	if size != srcSize || !bytes.Equal(r, srcRoot) {
		t.Fatalf("mirror at (%d, %x), source at (%d, %x)", size, r, srcSize, srcRoot)
	}
	for _, k := range []string{"unique/k0", "unique/k599", "unique/k9999"} {
		a, err1 := src.Projection([]byte(k))
		b, err2 := dst.Projection([]byte(k))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Fatalf("projection %s: source %q (%v), mirror %q (%v)", k, a, err1, b, err2)
		}
	}
	for i := uint64(0); i < size; i += 997 {
		p, err := dst.InclusionProof(i, size)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := dst.Entry(i)
		if err := verifier.VerifyInclusion(i, size, verifier.LeafHash(e), p, srcRoot); err != nil {
			t.Fatal(err)
		}
	}
}

func TestImportResumesAndMirrors(t *testing.T) {
	src, dst := uniqueLogs(t, 1000)
	ctx := t.Context()
	if _, err := dst.Import(ctx, 0, entries(t, src, 0, 400), root(t, src, 0), root(t, src, 400)); err != nil {
		t.Fatal(err)
	}
	res, err := dst.Import(ctx, 0, entries(t, src, 0, 1000), root(t, src, 0), root(t, src, 1000))
	if err != nil || res.Added != 600 || res.Size != 1000 {
		t.Fatalf("resumed import: %+v, %v", res, err)
	}
	if _, err := dst.Append(ctx, Entry{Type: "test.entry"}); !errors.Is(err, ErrMirror) {
		t.Fatalf("append to a mirror: %v, want ErrMirror", err)
	}
	if added, err := dst.ApplyPolicy(ctx, "system", map[string]string{"a": "b"}); added || err != nil {
		t.Fatalf("ApplyPolicy on a mirror: %v, %v", added, err)
	}
}

func TestMirrorSurvivesReopenAndCanAllowWrites(t *testing.T) {
	src := openLog(t, t.TempDir(), newKeys(t), nil)
	defer src.Close()
	fill(t, src, 10, 1)
	dir, k := t.TempDir(), newKeys(t)
	dst := openLog(t, dir, k, nil)
	if _, err := dst.Import(t.Context(), 0, entries(t, src, 0, 10), root(t, src, 0), root(t, src, 10)); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	dst = openLog(t, dir, k, nil)
	if _, err := dst.Append(t.Context(), Entry{Type: "test.entry"}); !errors.Is(err, ErrMirror) {
		t.Fatalf("append to a reopened mirror: %v", err)
	}
	dst.Close()
	s, _ := newSigner(k)
	open, err := Open(Config{Dir: dir, Origin: testOrigin, Signer: s, Logger: discardLogger(), MirrorWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.Append(t.Context(), Entry{Type: "test.entry"}); err != nil {
		t.Fatalf("append with MirrorWrites: %v", err)
	}
}

func TestImportRefusalsWriteNothing(t *testing.T) {
	src, _ := uniqueLogs(t, 50)
	// A log whose entries break the unique rule: its own appends had no
	// Applier, so the mirror's state machine must refuse them.
	loose := openLog(t, t.TempDir(), newKeys(t), nil)
	defer loose.Close()
	for range 3 {
		if _, err := loose.Append(t.Context(), Entry{Type: "test.unique", Body: []byte(`{"key":"same"}`)}); err != nil {
			t.Fatal(err)
		}
	}
	es := entries(t, src, 0, 50)
	flipped := append([][]byte(nil), es...)
	flipped[7] = bytes.Clone(flipped[7])
	flipped[7][len(flipped[7])-3] ^= 1
	swapped := append([][]byte(nil), es...)
	swapped[3], swapped[4] = swapped[4], swapped[3]
	r0, r50 := root(t, src, 0), root(t, src, 50)
	for name, tc := range map[string]struct {
		first          uint64
		entries        [][]byte
		baseRoot, root []byte
	}{
		"flipped byte":                  {0, flipped, r0, r50},
		"swapped entries":               {0, swapped, r0, r50},
		"wrong root":                    {0, es, r0, root(t, src, 49)},
		"wrong base root":               {0, es, r50, r50},
		"gap":                           {10, es[10:], root(t, src, 10), r50},
		"rejected by the state machine": {0, entries(t, loose, 0, 3), r0, root(t, loose, 3)},
	} {
		t.Run(name, func(t *testing.T) {
			dst := openLog(t, t.TempDir(), newKeys(t), map[string]Applier{"test.unique": uniqueApplier})
			defer dst.Close()
			if _, err := dst.Import(t.Context(), tc.first, tc.entries, tc.baseRoot, tc.root); !errors.Is(err, ErrImport) {
				t.Fatalf("got %v, want ErrImport", err)
			}
			if size, r := dst.Head(); size != 0 || !bytes.Equal(r, verifier.EmptyRoot()) {
				t.Fatalf("refused import left size %d", size)
			}
			if _, err := dst.Append(t.Context(), Entry{Type: "test.entry"}); err != nil {
				t.Fatalf("a refused import made the log a mirror: %v", err)
			}
		})
	}
	t.Run("another history", func(t *testing.T) {
		other, _ := uniqueLogs(t, 0)
		fill(t, other, 5, 1)
		if _, err := other.Import(t.Context(), 0, es, r0, r50); !errors.Is(err, ErrImport) {
			t.Fatalf("import over another history: %v", err)
		}
		if size, _ := other.Head(); size != 5 {
			t.Fatalf("size %d after a refused import", size)
		}
	})
}
