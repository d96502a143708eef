package ledger

import (
	"bytes"
	"math/bits"
	"math/rand/v2"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tlogTree recomputes a log's hashes with golang.org/x/mod/sumdb/tlog only,
// so that our proofs are checked by code that shares nothing with ours.
type tlogTree struct{ stored []tlog.Hash }

func newTLogTree(t testing.TB, l *Log) *tlogTree {
	t.Helper()
	size, _ := l.Head()
	entries, err := l.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	tr := &tlogTree{}
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, tr)
		if err != nil {
			t.Fatal(err)
		}
		tr.stored = append(tr.stored, hs...)
	}
	return tr
}

func (tr *tlogTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = tr.stored[x]
	}
	return out, nil
}

func (tr *tlogTree) root(t testing.TB, n uint64) tlog.Hash {
	h, err := tlog.TreeHash(int64(n), tr)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func toTLog(t testing.TB, hs [][]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		if len(h) != tlog.HashSize {
			t.Fatalf("hash %d has %d bytes", i, len(h))
		}
		copy(out[i][:], h)
	}
	return out
}

func checkInclusion(t *testing.T, l *Log, tr *tlogTree, index, size uint64) {
	p, err := l.InclusionProof(index, size)
	if err != nil {
		t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
	}
	e, err := l.Entry(index)
	if err != nil {
		t.Fatal(err)
	}
	if err := tlog.CheckRecord(toTLog(t, p), int64(size), tr.root(t, size), int64(index), tlog.RecordHash(e)); err != nil {
		t.Fatalf("tlog rejects inclusion of %d in %d: %v", index, size, err)
	}
}

func checkConsistency(t *testing.T, l *Log, tr *tlogTree, first, second uint64) {
	p, err := l.ConsistencyProof(first, second)
	if err != nil {
		t.Fatalf("ConsistencyProof(%d, %d): %v", first, second, err)
	}
	if first == second {
		if len(p) != 0 {
			t.Fatalf("ConsistencyProof(%d, %d) has %d hashes, want none", first, second, len(p))
		}
		return
	}
	if err := tlog.CheckTree(toTLog(t, p), int64(second), tr.root(t, second), int64(first), tr.root(t, first)); err != nil {
		t.Fatalf("tlog rejects consistency %d -> %d: %v", first, second, err)
	}
}

func TestIndependentVerificationExhaustive(t *testing.T) {
	l, k := newTestLog(t)
	const n = 300
	fill(t, l, n, 8)
	tr := newTLogTree(t, l)
	for size := uint64(1); size <= n; size++ {
		root, err := l.RootAt(size)
		if err != nil {
			t.Fatal(err)
		}
		if want := tr.root(t, size); !bytes.Equal(root, want[:]) {
			t.Fatalf("RootAt(%d) = %x, tlog says %x", size, root, want)
		}
		for index := range size {
			checkInclusion(t, l, tr, index, size)
		}
		for first := uint64(1); first <= size; first++ {
			checkConsistency(t, l, tr, first, size)
		}
	}
	checkCheckpointWithNote(t, l, k, tr)
}

// checkCheckpointWithNote opens the latest checkpoint with sumdb/note and
// compares its tree hash with tlog's, parsing the body by hand.
func checkCheckpointWithNote(t *testing.T, l *Log, k testKeys, tr *tlogTree) {
	v, err := note.NewVerifier(k.vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(l.Checkpoint(), note.VerifierList(v))
	if err != nil {
		t.Fatalf("sumdb/note rejects our checkpoint: %v", err)
	}
	size, _ := l.Head()
	tree, err := tlog.ParseTree([]byte("go.sum database tree\n" + n.Text[len(testOrigin)+1:]))
	if err != nil {
		t.Fatalf("checkpoint body %q: %v", n.Text, err)
	}
	if tree.N != int64(size) || tree.Hash != tr.root(t, size) {
		t.Fatalf("checkpoint says (%d, %v), tlog says (%d, %v)", tree.N, tree.Hash, size, tr.root(t, size))
	}
}

func TestIndependentVerificationRandomLarge(t *testing.T) {
	n := uint64(100_000)
	if testing.Short() {
		n = 10_000
	}
	l, k := newTestLog(t)
	fill(t, l, int(n), 64)
	tr := newTLogTree(t, l)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		size := 1 + rng.Uint64N(n)
		checkInclusion(t, l, tr, rng.Uint64N(size), size)
		checkConsistency(t, l, tr, 1+rng.Uint64N(size), size)
	}
	checkCheckpointWithNote(t, l, k, tr)

	// A proof reads one stored node per level plus, where the tree is not a
	// perfect one, the perfect subtrees that make up its right edge: at most
	// 2*log2(n) for inclusion, 3*log2(n) for consistency, whatever n is.
	bound := 2 * uint64(bits.Len64(n))
	for range 100 {
		index := rng.Uint64N(n)
		before := l.Stats().Reads
		if _, err := l.InclusionProof(index, n); err != nil {
			t.Fatal(err)
		}
		if got := l.Stats().Reads - before; got > bound {
			t.Fatalf("inclusion proof of %d in %d took %d reads, bound %d", index, n, got, bound)
		}
		before = l.Stats().Reads
		if _, err := l.ConsistencyProof(1+index, n); err != nil {
			t.Fatal(err)
		}
		if got := l.Stats().Reads - before; got > 3*bound/2 {
			t.Fatalf("consistency proof %d -> %d took %d reads, bound %d", 1+index, n, got, 3*bound/2)
		}
	}
}
