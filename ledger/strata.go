package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/dgraph-io/badger/v4"
	"github.com/transparency-dev/merkle/compact"

	"github.com/assay-ledger/assay/verifier"
)

// Strata: the tree nodes of every complete block of 256 entries (a C2SP
// level-0 tile and the nodes above it up to the block's root, tree levels
// 0..8), and of every complete block of 65,536 entries (a level-1 tile and
// the nodes above it, tree levels 8..16), each 511 hashes laid out level by
// level, lowest first. A proof takes the nodes below level 16 from at most
// two strata, a full tile of level 0 or 1 is one read, and nodes above
// level 16 (a few hundred at ten million entries) stay in the node cache.
//
// Strata are not in Badger but in two files beside its own, stratum n of
// level t at offset n*stratumBytes of strata<t>, read with pread: Badger
// maps its files and a read through a map keeps the pages it touches (and
// the kernel's fault-around of 64 KiB each) in the process, while pread
// copies 16 KiB out of the page cache. They hold hashes only, which every
// reader may fetch as tiles, so they are not encrypted with the ledger.
//
//	m strata     next:8, level-0 strata [0, next) are durable in their file
//
// The sequencer writes the strata of the blocks the published tree has
// completed, a few per batch, from the block's 256 entry values read in the
// batch's transaction (so from committed data only), and a level-1 stratum
// with the level-0 stratum that completes its block. The files are synced
// every releaseInterval (maintain), and a batch records as durable only
// what the last sync covered: a crash loses at most the strata written
// since, which the next open writes again from the entries, as it writes
// those of every block of a data directory from before the files (whose
// strata were Badger keys, `s <block:8>`, removed then).
const (
	// strataPerBatch bounds the strata one batch writes, so that catching
	// up never delays a batch by much.
	strataPerBatch = 4
	stratumHashes  = 2*TileWidth - 1
	stratumBytes   = stratumHashes * verifier.HashSize
	nsOldStratum   = 's'
)

var strataKey = []byte{nsMeta, 's', 't', 'r', 'a', 't', 'a'}

// strataFiles are the two files of strata (level 0 and level 1).
type strataFiles struct {
	f       [2]*os.File
	written atomic.Uint64 // level-0 strata [0, written) are in the file
	synced  atomic.Uint64 // and [0, synced) on disk
}

func openStrata(dir string) (*strataFiles, error) {
	s := &strataFiles{}
	for t := range s.f {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("strata%d", t)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("open strata: %w", err)
		}
		s.f[t] = f
	}
	return s, nil
}

// blocks returns the level-0 strata the files hold whole, or 0 if the
// level-1 file lacks any stratum they complete.
func (s *strataFiles) blocks() (uint64, error) {
	var n [2]uint64
	for t, f := range s.f {
		fi, err := f.Stat()
		if err != nil {
			return 0, fmt.Errorf("strata: %w", err)
		}
		n[t] = uint64(fi.Size()) / stratumBytes
	}
	if n[1] < n[0]/TileWidth {
		return 0, nil
	}
	return n[0], nil
}

// sync makes every stratum written so far durable.
func (s *strataFiles) sync() error {
	n := s.written.Load()
	for _, f := range s.f {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync strata: %w", err)
		}
	}
	for { // never backwards: an import's sync may race maintain's
		cur := s.synced.Load()
		if n <= cur || s.synced.CompareAndSwap(cur, n) {
			return nil
		}
	}
}

func (s *strataFiles) close() error {
	var errs []error
	for _, f := range s.f {
		if f != nil {
			errs = append(errs, f.Close())
		}
	}
	return errors.Join(errs...)
}

// read reads bytes [lo, hi) of stratum n of level t.
func (s *strataFiles) read(t int, n uint64, lo, hi int) ([]byte, error) {
	buf := make([]byte, hi-lo)
	if _, err := s.f[t].ReadAt(buf, int64(n)*stratumBytes+int64(lo)); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("stratum %d of level %d: %w", n, t, err)
	}
	return buf, nil
}

// put writes level-0 stratum b and, if b completes a block of 65,536
// entries, that block's level-1 stratum from the roots of its 256 level-0
// strata.
func (s *strataFiles) put(b uint64, stratum []byte) error {
	if _, err := s.f[0].WriteAt(stratum, int64(b)*stratumBytes); err != nil {
		return fmt.Errorf("write stratum %d: %w", b, err)
	}
	if (b+1)%TileWidth == 0 {
		top, err := s.level1(b / TileWidth)
		if err != nil {
			return err
		}
		if _, err := s.f[1].WriteAt(top, int64(b/TileWidth)*stratumBytes); err != nil {
			return fmt.Errorf("write level-1 stratum %d: %w", b/TileWidth, err)
		}
	}
	s.written.Store(b + 1)
	return nil
}

// level1 lays out level-1 stratum n: its 256 nodes of tree level 8 (the
// roots of level-0 strata 256n..256n+255) and the levels above them.
func (s *strataFiles) level1(n uint64) ([]byte, error) {
	out := make([]byte, stratumBytes)
	root := stratumOffset(TileHeight, 0)
	for j := range uint64(TileWidth) {
		h, err := s.read(0, n*TileWidth+j, root, root+verifier.HashSize)
		if err != nil {
			return nil, err
		}
		copy(out[j*verifier.HashSize:], h)
	}
	for k := uint(1); k <= TileHeight; k++ {
		for j := range uint64(TileWidth >> k) {
			l := out[stratumOffset(k-1, 2*j):][:verifier.HashSize]
			r := out[stratumOffset(k-1, 2*j+1):][:verifier.HashSize]
			copy(out[stratumOffset(k, j):], verifier.NodeHash(l, r))
		}
	}
	return out, nil
}

// stratumOffset is the position in a stratum of the node of level (0..8,
// above the stratum's base) and in-block index j.
func stratumOffset(level uint, j uint64) int {
	off := 0
	for m := range level {
		off += TileWidth >> m
	}
	return (off + int(j)) * verifier.HashSize
}

// stratumOf returns the stratum that holds node id, given the level-0
// strata [0, blocks) written: its level t, its index and the node's offset
// in it, or false if none does. A level-1 stratum is preferred for the
// nodes of tree level 8 it holds: a proof's nodes of levels 8..15 are then
// all in one.
func stratumOf(id compact.NodeID, blocks uint64) (t int, n uint64, off int, ok bool) {
	if id.Level >= TileHeight && id.Level <= 2*TileHeight {
		k := id.Level - TileHeight
		if n := (id.Index << k) >> TileHeight; n < blocks/TileWidth {
			return 1, n, stratumOffset(k, id.Index-n*(TileWidth>>k)), true
		}
	}
	if id.Level <= TileHeight {
		if n := (id.Index << id.Level) >> TileHeight; n < blocks {
			return 0, n, stratumOffset(id.Level, id.Index-n*(TileWidth>>id.Level)), true
		}
	}
	return 0, 0, 0, false
}

// buildStratum reads the 256 entry values of block b in txn and lays out
// the nodes they store.
func buildStratum(txn *badger.Txn, b uint64) ([]byte, error) {
	out := make([]byte, stratumBytes)
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

// stageStrata writes the strata of the blocks from next that the published
// tree of size published completes (at most limit, or all when limit < 0),
// records in st those a sync made durable (syncing them first when sync is
// set, as an import does), and returns the next block without a stratum.
func (l *Log) stageStrata(st *staged, next, published uint64, limit int, sync bool) uint64 {
	if l.cfg.noStrata {
		return 0
	}
	for n := 0; (limit < 0 || n < limit) && (next+1)*TileWidth <= published; n++ {
		s, err := buildStratum(st.txn, next)
		if err == nil {
			err = l.strataf.put(next, s)
		}
		if err != nil {
			st.fail(err)
			return next
		}
		next++
	}
	if sync {
		st.fail(l.strataf.sync())
	}
	st.set(strataKey, binary.BigEndian.AppendUint64(nil, min(l.strataf.synced.Load(), next)))
	return next
}

// migrateStrata writes, at open, the strata of every complete block of
// the tree of size that its file lacks or that no sync recorded (all of
// them in a data directory from before the files, whose Badger keys of
// strata it then removes), marks them durable at version ts, and returns
// the next block without one.
func (l *Log) migrateStrata(size, ts uint64, skip bool) (uint64, error) {
	if skip {
		return 0, nil
	}
	var next uint64
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
	if err != nil {
		return 0, err
	}
	have, err := l.strataf.blocks()
	if err != nil {
		return 0, err
	}
	old := next > 0 && have == 0 // strata as Badger keys, from before the files
	if have < next {
		next = 0 // the files lost strata a sync had covered (or never had them): write them all
	}
	from := next
	err = l.viewAt(ts, func(txn *badger.Txn) error {
		for ; (next+1)*TileWidth <= size; next++ {
			s, err := buildStratum(txn, next)
			if err != nil {
				return err
			}
			if err := l.strataf.put(next, s); err != nil {
				return err
			}
		}
		return nil
	})
	l.strataf.written.Store(next)
	if err == nil {
		err = l.strataf.sync()
	}
	if err == nil {
		wb := l.db.NewWriteBatchAt(ts)
		defer wb.Cancel()
		if err = wb.Set(strataKey, binary.BigEndian.AppendUint64(nil, next)); err == nil {
			err = wb.Flush()
		}
	}
	if err != nil {
		return from, fmt.Errorf("write the strata of blocks %d to %d: %w", from, next, err)
	}
	if old {
		if err := l.db.DropPrefix([]byte{nsOldStratum}); err != nil {
			return next, fmt.Errorf("remove the strata kept in Badger: %w", err)
		}
	}
	if next > from {
		l.cfg.Logger.Info("ledger strata written", "blocks", next-from, "migrated", old)
	}
	return next, nil
}
