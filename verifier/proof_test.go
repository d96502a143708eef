package verifier

import (
	"errors"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// tlogTree builds a tree with golang.org/x/mod/sumdb/tlog, independent of the
// transparency-dev code that VerifyInclusion and VerifyConsistency wrap.
type tlogTree struct{ stored []tlog.Hash }

func (tr *tlogTree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = tr.stored[x]
	}
	return out, nil
}

func buildTree(t *testing.T, n int) *tlogTree {
	tr := &tlogTree{}
	for i := range n {
		hs, err := tlog.StoredHashes(int64(i), fmt.Appendf(nil, "entry %d", i), tr)
		if err != nil {
			t.Fatal(err)
		}
		tr.stored = append(tr.stored, hs...)
	}
	return tr
}

func (tr *tlogTree) root(t *testing.T, n int64) []byte {
	h, err := tlog.TreeHash(n, tr)
	if err != nil {
		t.Fatal(err)
	}
	return h[:]
}

func slices(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = append([]byte(nil), hs[i][:]...)
	}
	return out
}

// flipEach calls fn once per bit of every hash in hs, with that bit flipped.
func flipEach(hs [][]byte, fn func(desc string)) {
	for i := range hs {
		for bit := range 8 * len(hs[i]) {
			hs[i][bit/8] ^= 1 << (bit % 8)
			fn(fmt.Sprintf("hash[%d]-bit-@%d", i, bit))
			hs[i][bit/8] ^= 1 << (bit % 8)
		}
	}
}

func TestVerifyInclusionAgainstTLog(t *testing.T) {
	const n = 37
	tr := buildTree(t, n)
	for _, tc := range []struct{ index, size int64 }{{0, 1}, {0, 2}, {1, 2}, {5, 8}, {6, 7}, {20, 37}, {36, 37}} {
		t.Run(fmt.Sprintf("%d-in-%d", tc.index, tc.size), func(t *testing.T) {
			p, err := tlog.ProveRecord(tc.size, tc.index, tr)
			if err != nil {
				t.Fatal(err)
			}
			leaf := LeafHash(fmt.Appendf(nil, "entry %d", tc.index))
			root := tr.root(t, tc.size)
			hashes := slices(p)
			if err := VerifyInclusion(uint64(tc.index), uint64(tc.size), leaf, hashes, root); err != nil {
				t.Fatalf("valid proof rejected: %v", err)
			}
			all := append([][]byte{leaf, root}, hashes...)
			flipEach(all, func(desc string) {
				if err := VerifyInclusion(uint64(tc.index), uint64(tc.size), all[0], all[2:], all[1]); !errors.Is(err, ErrProof) {
					t.Fatalf("modified-%s accepted (err %v)", desc, err)
				}
			})
			for name, bad := range map[string]func() error{
				"wrong-index": func() error { return VerifyInclusion(uint64(tc.index+1), uint64(tc.size), leaf, hashes, root) },
				"wrong-size":  func() error { return VerifyInclusion(uint64(tc.index), uint64(2*tc.size+1), leaf, hashes, root) },
				"extra-hash": func() error {
					return VerifyInclusion(uint64(tc.index), uint64(tc.size), leaf, append(hashes, root), root)
				},
				"short-hash":      func() error { return VerifyInclusion(uint64(tc.index), uint64(tc.size), leaf, hashes, root[:31]) },
				"index-past-size": func() error { return VerifyInclusion(uint64(tc.size), uint64(tc.size), leaf, hashes, root) },
			} {
				if err := bad(); !errors.Is(err, ErrProof) {
					t.Errorf("%s accepted (err %v)", name, err)
				}
			}
		})
	}
}

func TestVerifyConsistencyAgainstTLog(t *testing.T) {
	const n = 37
	tr := buildTree(t, n)
	for _, tc := range []struct{ first, second int64 }{{1, 2}, {1, 37}, {3, 7}, {4, 8}, {7, 8}, {16, 37}, {36, 37}} {
		t.Run(fmt.Sprintf("%d-to-%d", tc.first, tc.second), func(t *testing.T) {
			p, err := tlog.ProveTree(tc.second, tc.first, tr)
			if err != nil {
				t.Fatal(err)
			}
			r1, r2, hashes := tr.root(t, tc.first), tr.root(t, tc.second), slices(p)
			if err := VerifyConsistency(uint64(tc.first), uint64(tc.second), hashes, r1, r2); err != nil {
				t.Fatalf("valid proof rejected: %v", err)
			}
			all := append([][]byte{r1, r2}, hashes...)
			flipEach(all, func(desc string) {
				if err := VerifyConsistency(uint64(tc.first), uint64(tc.second), all[2:], all[0], all[1]); !errors.Is(err, ErrProof) {
					t.Fatalf("modified-%s accepted (err %v)", desc, err)
				}
			})
			if err := VerifyConsistency(uint64(tc.second), uint64(tc.first), hashes, r2, r1); !errors.Is(err, ErrProof) {
				t.Errorf("swapped sizes accepted (err %v)", err)
			}
		})
	}
}
