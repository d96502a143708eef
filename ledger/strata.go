package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/transparency-dev/merkle/compact"

	"github.com/assay-ledger/assay/verifier"
)

// Strata: the tree nodes of every complete block of 256 entries (a C2SP
// level-0 tile and the nodes above it up to the block's root) stored
// together under one key, so that the nodes of a proof or a tile below
// tree level 8 cost one read per block instead of one per node. Entries
// keep their own nodes too (the right edge of the tree, and blocks whose
// stratum is not written yet, are read from them).
//
//	s <block:8>     the 511 hashes of the block's levels 0..8, level 0 first
//	m strata        next:8, the first block without a stratum
//
// The sequencer writes the strata of the blocks the published tree has
// completed, in the transaction of a later batch (a few per batch), from
// the block's 256 entry values, so appends read only committed data; the
// log's first open after an upgrade writes those of every complete block
// (the migration from the layout without strata).
const (
	nsStratum = 's'
	// strataPerBatch bounds the strata one batch writes, so that catching
	// up never delays a batch by much.
	strataPerBatch = 4
	stratumHashes  = 2*TileWidth - 1
)

var strataKey = []byte{nsMeta, 's', 't', 'r', 'a', 't', 'a'}

func stratumKey(block uint64) []byte { return u64Key(nsStratum, block) }

// stratumOffset is the position in a stratum of the node of level (0..8)
// and in-block index j.
func stratumOffset(level uint, j uint64) int {
	off := 0
	for m := range level {
		off += TileWidth >> m
	}
	return (off + int(j)) * verifier.HashSize
}

// buildStratum reads the 256 entry values of block b in txn and lays out
// the nodes they store.
func buildStratum(txn *badger.Txn, b uint64) ([]byte, error) {
	out := make([]byte, stratumHashes*verifier.HashSize)
	it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: []byte{nsEntry}})
	defer it.Close()
	first := b * TileWidth
	n := uint64(0)
	for it.Seek(entryKey(first)); it.Valid() && n < TileWidth; it.Next() {
		idx := first + n
		if k := it.Item().Key(); len(k) != 9 || binary.BigEndian.Uint64(k[1:]) != idx {
			return nil, fmt.Errorf("stratum of block %d: entry %d missing", b, idx)
		}
		err := it.Item().Value(func(v []byte) error {
			for k := uint(0); k <= TileHeight; k++ {
				if (idx+1)&(1<<k-1) != 0 { // entry idx completes no node of level k
					break
				}
				h, err := entryNode(v, int(k))
				if err != nil {
					return err
				}
				j := (idx+1)>>k - 1 - b*(TileWidth>>k)
				copy(out[stratumOffset(k, j):], h)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("stratum of block %d, entry %d: %w", b, idx, err)
		}
		n++
	}
	if n != TileWidth {
		return nil, fmt.Errorf("stratum of block %d: %d of %d entries", b, n, TileWidth)
	}
	return out, nil
}

// stageStrata writes into st the strata of the blocks from next that the
// published tree of size published completes (at most limit, or all when
// limit < 0), and returns the next block without one.
func (l *Log) stageStrata(st *staged, next, published uint64, limit int) uint64 {
	if l.cfg.noStrata {
		return 0
	}
	for n := 0; (limit < 0 || n < limit) && (next+1)*TileWidth <= published; n++ {
		s, err := buildStratum(st.txn, next)
		if err != nil {
			st.fail(err)
			return next
		}
		st.set(stratumKey(next), s)
		next++
	}
	st.set(strataKey, binary.BigEndian.AppendUint64(nil, next))
	return next
}

// migrateStrata writes, at open, the strata of every complete block of
// the tree of size that has none (a data directory from before strata),
// at version ts, and returns the next block without one.
func (l *Log) migrateStrata(size, ts uint64, skip bool) (uint64, error) {
	var next uint64
	if skip {
		return 0, nil
	}
	err := l.viewAt(ts, func(txn *badger.Txn) error {
		item, err := txn.Get(strataKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("strata marker of %d bytes", len(v))
			}
			next = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	if err != nil || (next+1)*TileWidth > size {
		return next, err
	}
	from := next
	wb := l.db.NewWriteBatchAt(ts)
	defer wb.Cancel()
	err = l.viewAt(ts, func(txn *badger.Txn) error {
		for ; (next+1)*TileWidth <= size; next++ {
			s, err := buildStratum(txn, next)
			if err != nil {
				return err
			}
			if err := wb.Set(stratumKey(next), s); err != nil {
				return err
			}
		}
		return wb.Set(strataKey, binary.BigEndian.AppendUint64(nil, next))
	})
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		return from, fmt.Errorf("write the strata of blocks %d to %d: %w", from, next, err)
	}
	l.cfg.Logger.Info("ledger strata written", "blocks", next-from)
	return next, nil
}

// stratumBlock returns the block whose stratum holds node id, and whether
// one can (nodes of tree levels 0..8).
func stratumBlock(id compact.NodeID) (uint64, bool) {
	if id.Level > TileHeight {
		return 0, false
	}
	return (id.Index << id.Level) >> TileHeight, true
}
