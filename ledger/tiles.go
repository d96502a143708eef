package ledger

import (
	"encoding/binary"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
)

// Tiles after C2SP tlog-tiles: a tile of level L and index N holds the hashes
// of the perfect subtrees at tree level 8L with indexes [256N, 256N+W); an
// entry bundle of index N holds entries [256N, 256N+W). W is 256 for a full
// tile and 1..255 for a partial one at the right edge of the tree.
const (
	TileHeight = 8
	TileWidth  = 1 << TileHeight
)

// tileRange checks that the W nodes of a tile at tree level treeLevel are all
// complete in the published tree, and returns their node IDs' first index.
func (l *Log) tileRange(treeLevel uint, index uint64, width int) (uint64, error) {
	if width < 1 || width > TileWidth {
		return 0, fmt.Errorf("%w: tile width %d, want 1..%d", ErrInvalidRange, width, TileWidth)
	}
	if treeLevel >= 64 || index > (1<<(64-TileHeight))-1 {
		return 0, fmt.Errorf("%w: tile at level %d, index %d is beyond any tree", ErrNotFound, treeLevel, index)
	}
	first := index * TileWidth
	size, _ := l.Head()
	have := size >> treeLevel // complete nodes at that level
	if have < first+uint64(width) {
		return 0, fmt.Errorf("%w: tile needs %d nodes at tree level %d, the tree of size %d has %d",
			ErrNotFound, first+uint64(width), treeLevel, size, have)
	}
	return first, nil
}

// Tile returns the concatenated 32-byte hashes of the tile of the given tile
// level, index and width. A tile's content never changes once all its W
// nodes exist, so it can be cached for ever.
func (l *Log) Tile(level uint, index uint64, width int) ([]byte, error) {
	treeLevel := level * TileHeight
	first, err := l.tileRange(treeLevel, index, width)
	if err != nil {
		return nil, err
	}
	ids := make([]compact.NodeID, width)
	for i := range ids {
		ids[i] = compact.NewNodeID(treeLevel, first+uint64(i))
	}
	hashes, err := l.readNodes(ids)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(hashes)*32)
	for _, h := range hashes {
		out = append(out, h...)
	}
	return out, nil
}

// EntryBundle returns entries [256*index, 256*index+width), each preceded by
// its length as a big-endian uint16, the tlog-tiles entry bundle format.
func (l *Log) EntryBundle(index uint64, width int) ([]byte, error) {
	first, err := l.tileRange(0, index, width)
	if err != nil {
		return nil, err
	}
	entries, err := l.Entries(first, first+uint64(width))
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, e := range entries {
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}
