package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// treeHash computes the RFC 6962 root of leaves independently of the
// ledger and of transparency-dev/merkle, with sumdb/tlog's hashing.
func treeHash(leaves []tlog.Hash) tlog.Hash {
	switch len(leaves) {
	case 0:
		return tlog.Hash(sha256.Sum256(nil))
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return tlog.NodeHash(treeHash(leaves[:k]), treeHash(leaves[k:]))
}

func toTlog(t *testing.T, h []byte) tlog.Hash {
	t.Helper()
	if len(h) != tlog.HashSize {
		t.Fatalf("hash of %d bytes", len(h))
	}
	return tlog.Hash(h)
}

func toTlogs(t *testing.T, hs []wire.Hash) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = toTlog(t, h)
	}
	return out
}

// leaves fetches every entry over HTTP and hashes it with sumdb/tlog.
func leaves(t *testing.T, f *fixture) []tlog.Hash {
	var p wire.EntriesPage
	f.getJSON("/v1/log/entries", &p)
	out := make([]tlog.Hash, len(p.Entries))
	for i, e := range p.Entries {
		out[i] = tlog.RecordHash(e.Entry)
	}
	return out
}

func TestInclusionProofsVerifyWithTlog(t *testing.T) {
	const n = 17
	f := newFixture(t, n)
	ls := leaves(t, f)
	for size := 1; size <= n; size++ {
		root := treeHash(ls[:size])
		for i := 0; i < size; i++ {
			byIndex := fmt.Sprintf("/v1/log/proof/inclusion?index=%d&tree_size=%d", i, size)
			byHash := fmt.Sprintf("/v1/log/proof/inclusion?leaf_hash=%x&tree_size=%d", ls[i][:], size)
			for _, path := range []string{byIndex, byHash} {
				var p wire.InclusionProof
				f.getJSON(path, &p)
				if p.Index != uint64(i) || p.TreeSize != uint64(size) || toTlog(t, p.LeafHash) != ls[i] || toTlog(t, p.RootHash) != root {
					t.Fatalf("%s: header fields %+v do not match leaf %v root %v", path, p, ls[i], root)
				}
				if err := tlog.CheckRecord(toTlogs(t, p.Hashes), int64(size), root, int64(i), ls[i]); err != nil {
					t.Fatalf("%s: tlog.CheckRecord: %v", path, err)
				}
			}
		}
	}
}

func TestInclusionDefaultsToCurrentSize(t *testing.T) {
	f := newFixture(t, 6)
	var p wire.InclusionProof
	f.getJSON("/v1/log/proof/inclusion?index=2", &p)
	root := treeHash(leaves(t, f))
	if p.TreeSize != 6 || toTlog(t, p.RootHash) != root {
		t.Fatalf("tree size %d root %x, want 6 and %v", p.TreeSize, []byte(p.RootHash), root)
	}
}

func TestConsistencyProofsVerifyWithTlog(t *testing.T) {
	const n = 17
	f := newFixture(t, n)
	ls := leaves(t, f)
	for second := 0; second <= n; second++ {
		for first := 0; first <= second; first++ {
			path := fmt.Sprintf("/v1/log/proof/consistency?first=%d&second=%d", first, second)
			var p wire.ConsistencyProof
			f.getJSON(path, &p)
			r1, r2 := treeHash(ls[:first]), treeHash(ls[:second])
			if p.First != uint64(first) || p.Second != uint64(second) || toTlog(t, p.FirstRoot) != r1 || toTlog(t, p.SecondRoot) != r2 {
				t.Fatalf("%s: header fields %+v do not match roots %v %v", path, p, r1, r2)
			}
			if first == 0 {
				if len(p.Hashes) != 0 {
					t.Fatalf("%s: %d hashes from the empty tree, want none", path, len(p.Hashes))
				}
				continue // tlog.CheckTree takes no empty tree
			}
			if err := tlog.CheckTree(toTlogs(t, p.Hashes), int64(second), r2, int64(first), r1); err != nil {
				t.Fatalf("%s: tlog.CheckTree: %v", path, err)
			}
		}
	}
	var p wire.ConsistencyProof
	f.getJSON("/v1/log/proof/consistency?first=4", &p)
	if p.Second != n || toTlog(t, p.SecondRoot) != treeHash(ls) {
		t.Fatalf("default second: %+v, want %d", p, n)
	}
}

func TestHashesAreLowercaseHex(t *testing.T) {
	f := newFixture(t, 5)
	r := f.get("/v1/log/proof/consistency?first=2&second=5")
	if bytes.ContainsAny(r.body, "ABCDEF") {
		t.Fatalf("upper-case hex in %s", r.body)
	}
	if !bytes.Contains(r.body, []byte(`"hashes":["`)) {
		t.Fatalf("hashes not an array of strings: %s", r.body)
	}
	r = f.get("/v1/log/proof/consistency?first=5&second=5")
	if !bytes.Contains(r.body, []byte(`"hashes":[]`)) {
		t.Fatalf("empty proof not encoded as []: %s", r.body)
	}
}
