package ledger

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"

	"github.com/transparency-dev/merkle/compact"
)

// Badger key layout. Every key starts with a one-byte namespace so that
// prefixes never overlap:
//
//	e <index:8>          leaf hash:32 then the entry bytes (the Merkle leaf);
//	                     the leaf hash doubles as the tree node (0, index)
//	h <leaf hash:32>     index:8 of the leaf with that hash
//	n <level:1><index:8> hash of the perfect subtree at (level >= 1, index)
//	c <size:8>           signed checkpoint note of the tree of that size
//	m head               tree head: size:8, root:32, compact range hashes
//	p <key...>           projection keys written by Appliers
const (
	nsEntry      = 'e'
	nsLeaf       = 'h'
	nsNode       = 'n'
	nsCheckpoint = 'c'
	nsMeta       = 'm'
	nsProjection = 'p'
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

func nodeKey(id compact.NodeID) []byte {
	k := make([]byte, 10)
	k[0] = nsNode
	k[1] = byte(id.Level)
	binary.BigEndian.PutUint64(k[2:], id.Index)
	return k
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
