package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"

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
	// The layout before the strata files: a Badger key per stratum of
	// the first 10 blocks, and the marker.
	oldSize, _ := old.Head()
	wb := old.db.NewWriteBatchAt(commitTs(oldSize))
	err = old.viewAt(commitTs(oldSize), func(txn *badger.Txn) error {
		for b := range uint64(10) {
			s, err := buildStratum(txn, b)
			if err != nil {
				return err
			}
			if err := wb.Set(u64Key(nsOldStratum, b), s); err != nil {
				return err
			}
		}
		return wb.Set(strataKey, binary.BigEndian.AppendUint64(nil, 10))
	})
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	if n := countPrefix(t, old, nsOldStratum); n != 10 {
		t.Fatalf("%d strata keys written", n)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.noStrata = false
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	size, rootB := l.Head()
	if got := l.strata.Load(); got != size/TileWidth {
		t.Fatalf("after the migration %d strata, want %d", got, size/TileWidth)
	}
	if n := countPrefix(t, l, nsOldStratum); n != 0 {
		t.Fatalf("%d strata keys left in Badger after the migration", n)
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

	// Files lost, cut in the middle of a stratum, or with a stratum
	// altered beyond what a sync recorded: the next open writes them again.
	for _, damage := range []struct {
		name   string
		before func(t *testing.T) // on the open log
		after  func(t *testing.T) // on its files, closed
	}{
		{"lost", nil, func(t *testing.T) {
			for _, f := range []string{"strata0", "strata1"} {
				if err := os.Remove(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"cut", nil, func(t *testing.T) {
			if err := os.Truncate(filepath.Join(dir, "strata0"), 7*stratumBytes+100); err != nil {
				t.Fatal(err)
			}
		}},
		{"unsynced", func(t *testing.T) {
			size, _ := l.Head()
			s, err := l.strataf.blocks()
			if err != nil || s != size/TileWidth {
				t.Fatalf("%d strata in the file (%v), want %d", s, err, size/TileWidth)
			}
			txn := l.db.NewTransactionAt(math.MaxUint64, true) // as if the last sync had covered 3
			defer txn.Discard()
			if err := txn.Set(strataKey, binary.BigEndian.AppendUint64(nil, 3)); err != nil {
				t.Fatal(err)
			}
			if err := txn.CommitAt(openTs(size), nil); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T) {
			f, err := os.OpenFile(filepath.Join(dir, "strata0"), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, stratumBytes), 4*stratumBytes); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(damage.name, func(t *testing.T) {
			if damage.before != nil {
				damage.before(t)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			damage.after(t)
			if l, err = Open(cfg); err != nil {
				t.Fatal(err)
			}
			if n, _ := l.Head(); l.strata.Load() != n/TileWidth {
				t.Fatalf("%d strata for a log of %d", l.strata.Load(), n)
			}
			for _, i := range []uint64{0, 4*TileWidth + 17, 7*TileWidth + 200, size - 1} {
				check(i)
			}
		})
	}
}

// countPrefix counts the keys of namespace ns in l's Badger, every version.
func countPrefix(t *testing.T, l *Log, ns byte) int {
	t.Helper()
	n := 0
	err := l.viewAt(math.MaxUint64, func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{ns}, AllVersions: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// subtreeRoot is the RFC 6962 root of leaf hashes, computed with SHA-256
// here rather than with the ledger's code.
func subtreeRoot(leaves [][32]byte) [32]byte {
	if len(leaves) == 1 {
		return leaves[0]
	}
	l, r := subtreeRoot(leaves[:len(leaves)/2]), subtreeRoot(leaves[len(leaves)/2:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// TestLevelOneStrata: once a block of 65,536 entries is complete, a level-1
// tile is one read and holds the roots of its 256 blocks; inclusion and
// consistency proofs verify with sumdb/tlog in at most 2 reads each once
// the nodes above level 16 are cached; and a log reopened without its
// level-1 file writes it again.
func TestLevelOneStrata(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 70,000 entries")
	}
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { l.Close() }()
	const n = 70_000
	fill(t, l, n, 64)
	fill(t, l, 1, 1) // a later batch writes the last strata
	size, rootB := l.Head()
	var root tlog.Hash
	copy(root[:], rootB)
	r0 := l.Stats().Reads
	tile, err := l.Tile(1, 0, TileWidth)
	if err != nil {
		t.Fatal(err)
	}
	if reads := l.Stats().Reads - r0; reads != 1 {
		t.Fatalf("a full level-1 tile took %d reads", reads)
	}
	for _, j := range []int{0, 1, 100, 255} {
		leaves := make([][32]byte, TileWidth)
		for k := range leaves {
			e, err := l.Entry(uint64(j*TileWidth + k))
			if err != nil {
				t.Fatal(err)
			}
			leaves[k] = tlog.RecordHash(e)
		}
		if want := subtreeRoot(leaves); string(tile[j*32:(j+1)*32]) != string(want[:]) {
			t.Fatalf("level-1 tile hash %d is not the root of block %d", j, j)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	proofs := func(count int) float64 {
		r0 := l.Stats().Reads
		for range count {
			i := rng.Uint64N(size)
			p, err := l.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			e, err := l.Entry(i)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(toTLog(t, p), int64(size), root, int64(i), tlog.RecordHash(e)); err != nil {
				t.Fatalf("inclusion of %d: %v", i, err)
			}
			old := 1 + rng.Uint64N(size-1)
			c, err := l.ConsistencyProof(old, size)
			if err != nil {
				t.Fatal(err)
			}
			oldRoot, err := l.RootAt(old)
			if err != nil {
				t.Fatal(err)
			}
			var or tlog.Hash
			copy(or[:], oldRoot)
			if err := tlog.CheckTree(toTLog(t, c), int64(size), root, int64(old), or); err != nil {
				t.Fatalf("consistency of %d: %v", old, err)
			}
		}
		return float64(l.Stats().Reads-r0-uint64(count)) / float64(count) // less the entry reads
	}
	proofs(200) // warm the cache of upper nodes
	per := proofs(300)
	t.Logf("%.2f reads per inclusion and consistency proof and root", per)
	if per > 6 {
		t.Fatalf("%.2f reads for an inclusion proof, a consistency proof and an older root: want at most 2 each", per)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, "strata1"), 0); err != nil { // the level-1 file lost
		t.Fatal(err)
	}
	if l, err = Open(cfg); err != nil {
		t.Fatal(err)
	}
	again, err := l.Tile(1, 0, TileWidth)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(tile) {
		t.Fatal("the level-1 tile changed across a reopen")
	}
}
