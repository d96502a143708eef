package ledger

import (
	"math/rand/v2"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestStrata: a log written without strata (as before them) gets them at
// its next open; proofs then verify with sumdb/tlog reading at most 3 keys
// each on average once the upper nodes are cached; new blocks get their
// strata from later batches; a full level-0 tile is one read and holds
// the leaf hashes.
func TestStrata(t *testing.T) {
	dir := t.TempDir()
	k := newKeys(t)
	cfg := testConfig(t, dir)
	s, err := newSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Signer = s
	cfg.noStrata = true
	old, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, old, 5000, 16)
	if n := old.strata.Load(); n != 0 {
		t.Fatalf("a log without strata has %d", n)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.noStrata = false
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	size, rootB := l.Head()
	if got := l.strata.Load(); got != size/TileWidth {
		t.Fatalf("after the migration %d strata, want %d", got, size/TileWidth)
	}
	var root tlog.Hash
	copy(root[:], rootB)
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(i uint64) {
		t.Helper()
		p, err := l.InclusionProof(i, size)
		if err != nil {
			t.Fatal(err)
		}
		hs := make(tlog.RecordProof, len(p))
		for j := range p {
			copy(hs[j][:], p[j])
		}
		e, err := l.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(hs, int64(size), root, int64(i), tlog.RecordHash(e)); err != nil {
			t.Fatalf("proof of %d: %v", i, err)
		}
	}
	for range 300 { // warm the cache of upper nodes
		check(rng.Uint64N(size))
	}
	r0 := l.Stats().Reads
	const proofs = 500
	for range proofs {
		check(rng.Uint64N(size))
	}
	per := float64(l.Stats().Reads-r0) / proofs
	t.Logf("%.2f reads per proof", per)
	if per > 3 {
		t.Fatalf("%.2f reads per proof, want at most 3", per)
	}
	// A full tile: one read, the leaf hashes.
	r0 = l.Stats().Reads
	tile, err := l.Tile(0, 3, TileWidth)
	if err != nil {
		t.Fatal(err)
	}
	if n := l.Stats().Reads - r0; n != 1 {
		t.Fatalf("a full tile took %d reads", n)
	}
	for j := range TileWidth {
		e, err := l.Entry(uint64(3*TileWidth + j))
		if err != nil {
			t.Fatal(err)
		}
		h := tlog.RecordHash(e)
		if string(tile[j*32:(j+1)*32]) != string(h[:]) {
			t.Fatalf("tile hash %d differs from the entry's leaf hash", j)
		}
	}
	// New blocks get strata from later batches.
	fill(t, l, 600, 4)
	fill(t, l, 10, 1)
	if n, _ := l.Head(); l.strata.Load() != n/TileWidth {
		t.Fatalf("%d strata for a log of %d", l.strata.Load(), n)
	}
}
