package ledger

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/transparency-dev/merkle/compact"

	"github.com/assay-ledger/assay/verifier"
)

// Badger key layout. Every key starts with a one-byte namespace so that
// prefixes never overlap:
//
//	e <index:8>          count:1, count tree node hashes, entry bytes (the leaf)
//	h <leaf hash:32>     index:8 of the leaf with that hash
//	c <size:8>           signed checkpoint note of the tree of that size
//	m head               tree head: size:8, root:32, compact range hashes
//	p <key...>           projection keys written by Appliers
//	m strata             next:8, strata of blocks [0, next) are durable in the strata files (strata.go)
//	x <key...>           side data beside the tree (side.go): witness cosignatures
const (
	nsEntry      = 'e'
	nsLeaf       = 'h'
	nsCheckpoint = 'c'
	nsMeta       = 'm'
	nsProjection = 'p'
	nsSide       = 'x'
)

var headKey = []byte{nsMeta, 'h', 'e', 'a', 'd'}

func u64Key(ns byte, n uint64) []byte {
	k := make([]byte, 9)
	k[0] = ns
	binary.BigEndian.PutUint64(k[1:], n)
	return k
}

func entryKey(i uint64) []byte      { return u64Key(nsEntry, i) }
func checkpointKey(n uint64) []byte { return u64Key(nsCheckpoint, n) }

func leafKey(h []byte) []byte { return append([]byte{nsLeaf}, h...) }

// Tree nodes live in entry values. Appending leaf i completes the perfect
// subtrees (levels 0..t) whose right-most leaf is i, so entry i stores their
// hashes, level 0 (its leaf hash) first: one Badger key per entry instead of
// one per node, and node (level k, index j) is hash k of entry (j+1)*2^k - 1.

// entryValue lays out the value of an entry key.
func entryValue(nodes [][]byte, data []byte) []byte {
	v := make([]byte, 1, 1+len(nodes)*verifier.HashSize+len(data))
	v[0] = byte(len(nodes))
	for _, h := range nodes {
		v = append(v, h...)
	}
	return append(v, data...)
}

// entryData returns the entry bytes of an entry value.
func entryData(v []byte) ([]byte, error) {
	if len(v) == 0 || len(v) < 1+int(v[0])*verifier.HashSize {
		return nil, fmt.Errorf("entry record of %d bytes is corrupt", len(v))
	}
	return v[1+int(v[0])*verifier.HashSize:], nil
}

// nodeLocation returns the entry that stores a node and the node's position
// in that entry's hashes.
func nodeLocation(id compact.NodeID) (uint64, int) {
	return (id.Index+1)<<id.Level - 1, int(id.Level)
}

// entryNode returns hash k of an entry value.
func entryNode(v []byte, k int) ([]byte, error) {
	if len(v) == 0 || int(v[0]) <= k || len(v) < 1+int(v[0])*verifier.HashSize {
		return nil, fmt.Errorf("entry record holds no tree node at level %d", k)
	}
	return v[1+k*verifier.HashSize : 1+(k+1)*verifier.HashSize], nil
}

func projKey(k []byte) []byte { return append([]byte{nsProjection}, k...) }

// head is the durable tree state written with every batch.
type head struct {
	size   uint64
	root   []byte
	hashes [][]byte // the compact range [0, size), to resume appending
}

func (h head) marshal() []byte {
	b := make([]byte, 8, 8+32*(1+len(h.hashes)))
	binary.BigEndian.PutUint64(b, h.size)
	b = append(b, h.root...)
	for _, x := range h.hashes {
		b = append(b, x...)
	}
	return b
}

func unmarshalHead(b []byte) (head, error) {
	if len(b) < 40 || (len(b)-8)%32 != 0 {
		return head{}, fmt.Errorf("tree head record of %d bytes is corrupt", len(b))
	}
	h := head{size: binary.BigEndian.Uint64(b), root: b[8:40]}
	for r := b[40:]; len(r) > 0; r = r[32:] {
		h.hashes = append(h.hashes, r[:32])
	}
	return h, nil
}

// readCounter counts point reads of Badger keys, exposed through Stats so
// that operators (and tests) can see proofs cost O(log n) reads.
type readCounter struct{ n atomic.Uint64 }

func (c *readCounter) add(n int) { c.n.Add(uint64(n)) }
