package ledger

import (
	"sync/atomic"

	"github.com/transparency-dev/merkle/compact"
)

// Proofs for random leaves share their upper nodes. A perfect subtree's hash
// never changes once it exists, so those nodes are cached with no
// invalidation: a fixed-size direct-mapped table (a collision just replaces
// the slot), lock-free, about 4 MiB whatever the log's size.
const (
	cacheMinLevel = 8 // nodes covering at least 256 leaves
	cacheSlots    = 1 << 16
)

type cachedNode struct {
	id   compact.NodeID
	hash []byte
}

type nodeCache struct {
	slots [cacheSlots]atomic.Pointer[cachedNode]
}

func (c *nodeCache) slot(id compact.NodeID) *atomic.Pointer[cachedNode] {
	h := id.Index*0x9E3779B97F4A7C15 ^ uint64(id.Level)*0xC2B2AE3D27D4EB4F
	return &c.slots[h>>48]
}

// get returns the cached hash of id, or nil.
func (c *nodeCache) get(id compact.NodeID) []byte {
	if id.Level < cacheMinLevel {
		return nil
	}
	if n := c.slot(id).Load(); n != nil && n.id == id {
		return n.hash
	}
	return nil
}

// put caches the hash of id (callers must not modify it afterwards).
func (c *nodeCache) put(id compact.NodeID, hash []byte) {
	if id.Level >= cacheMinLevel {
		c.slot(id).Store(&cachedNode{id: id, hash: hash})
	}
}
