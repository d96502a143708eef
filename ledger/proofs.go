package ledger

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"

	"github.com/assay-ledger/assay/verifier"
)

// InclusionProof returns the RFC 6962 audit path of the entry at index in the
// tree of the given size, leaf to root. It reads O(log size) stored nodes.
// The returned hashes may be shared with the node cache: do not modify them.
func (l *Log) InclusionProof(index, size uint64) ([][]byte, error) {
	if err := l.checkSize(size); err != nil {
		return nil, err
	}
	if index >= size {
		return nil, fmt.Errorf("%w: index %d not below tree size %d", ErrInvalidRange, index, size)
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRange, err)
	}
	return l.rehash(nodes)
}

// ConsistencyProof returns the RFC 6962 proof that the tree of size first is
// a prefix of the tree of size second. It is empty when first is 0 or equals
// second. It reads O(log second) stored nodes.
// The returned hashes may be shared with the node cache: do not modify them.
func (l *Log) ConsistencyProof(first, second uint64) ([][]byte, error) {
	if first > second {
		return nil, fmt.Errorf("%w: first %d is greater than second %d", ErrInvalidRange, first, second)
	}
	if err := l.checkSize(second); err != nil {
		return nil, err
	}
	if first == 0 || first == second {
		return [][]byte{}, nil
	}
	nodes, err := proof.Consistency(first, second)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRange, err)
	}
	return l.rehash(nodes)
}

// RootAt returns the root hash of the tree of the given size, folded from the
// O(log size) perfect subtrees that cover it.
func (l *Log) RootAt(size uint64) ([]byte, error) {
	if err := l.checkSize(size); err != nil {
		return nil, err
	}
	if cur, root := l.Head(); size == cur {
		return root, nil
	}
	if size == 0 {
		return verifier.EmptyRoot(), nil
	}
	hashes, err := l.CompactRange(size)
	if err != nil {
		return nil, err
	}
	root := hashes[len(hashes)-1]
	for i := len(hashes) - 2; i >= 0; i-- {
		root = verifier.NodeHash(hashes[i], root)
	}
	return root, nil
}

// CompactRange returns the hashes of the perfect subtrees that cover the
// tree [0, size), left to right: what a verifier needs to extend that tree
// with later entries (bundles carry it). O(log size) reads.
// The returned hashes may be shared with the node cache: do not modify them.
func (l *Log) CompactRange(size uint64) ([][]byte, error) {
	if err := l.checkSize(size); err != nil {
		return nil, err
	}
	return l.readNodes(compact.RangeNodes(0, size, nil))
}

// edgeNodes maps the perfect subtrees of a tree's compact range, the
// nodes of its right edge that no stratum holds yet, to their hashes. The
// log builds it once per published tree (setEdge), not once per proof.
type edgeNodes map[compact.NodeID][]byte

// setEdge records the right edge of the tree of size whose compact range
// is rng, for readNodes. A perfect subtree's hash never changes, so a
// reader of an older tree may use the newer map.
func (l *Log) setEdge(size uint64, rng *compact.Range) {
	hashes := rng.Hashes()
	ids := compact.RangeNodes(0, size, nil)
	edge := make(edgeNodes, len(ids))
	if len(ids) == len(hashes) {
		for i, id := range ids {
			edge[id] = hashes[i]
		}
	}
	l.edge.Store(&edge)
}

func (l *Log) rehash(nodes proof.Nodes) ([][]byte, error) {
	hashes, err := l.readNodes(nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, verifier.NodeHash)
}

// readNodes reads the stored hashes of the given perfect subtrees: upper
// nodes from the node cache, the right edge of the published tree from
// memory, nodes of tree levels 0..16 of complete blocks from their strata
// (one read per stratum, see strata.go), others with one point read each
// of the entry that stores the node, in one read transaction.
func (l *Log) readNodes(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	var missing []int
	type stratum struct {
		t int
		n uint64
	}
	type node struct{ i, off int }
	var strata map[stratum][]node
	blocks := l.strata.Load() // the snapshot view reads is at least as new
	var edge edgeNodes
	if e := l.edge.Load(); e != nil {
		edge = *e
	}
	for i, id := range ids {
		if out[i] = l.nodes.get(id); out[i] != nil {
			continue
		}
		if h, ok := edge[id]; ok { // the right edge of the published tree, in memory
			out[i] = h
			continue
		}
		if t, n, off, ok := stratumOf(id, blocks); ok {
			if strata == nil {
				strata = map[stratum][]node{}
			}
			strata[stratum{t, n}] = append(strata[stratum{t, n}], node{i, off})
			continue
		}
		missing = append(missing, i)
	}
	l.reads.add(len(missing) + len(strata))
	for s, nodes := range strata {
		lo, hi := stratumBytes, 0
		for _, n := range nodes {
			lo, hi = min(lo, n.off), max(hi, n.off+verifier.HashSize)
		}
		b, err := l.strataf.read(s.t, s.n, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("read tree nodes: %w", err)
		}
		for _, n := range nodes {
			out[n.i] = b[n.off-lo : n.off-lo+verifier.HashSize : n.off-lo+verifier.HashSize]
			l.nodes.put(ids[n.i], out[n.i])
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	err := l.view(func(txn *badger.Txn) error {
		for _, i := range missing {
			index, k := nodeLocation(ids[i])
			item, err := txn.Get(entryKey(index))
			if err != nil {
				return fmt.Errorf("node (level %d, index %d): %w", ids[i].Level, ids[i].Index, err)
			}
			err = item.Value(func(v []byte) error {
				h, err := entryNode(v, k)
				out[i] = append([]byte(nil), h...)
				return err
			})
			if err != nil {
				return err
			}
			l.nodes.put(ids[i], out[i])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read tree nodes: %w", err)
	}
	return out, nil
}
