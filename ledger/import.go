package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"

	"github.com/assay-ledger/assay/verifier"
)

// Errors of Import and of appends to a mirror.
var (
	ErrImport = errors.New("import refused")
	ErrMirror = errors.New("this ledger is a mirror: it takes entries only by import")
)

// mirrorKey marks a ledger that has imported: a mirror of another log.
var mirrorKey = []byte("ledger/mirror")

// importChunk bounds the entries committed in one transaction of an import.
const importChunk = 4096

// ImportResult says what an Import did.
type ImportResult struct {
	Added uint64 // entries appended; 0 when the log had them all already
	Size  uint64 // tree size after the import
	Root  []byte // root hash after the import
}

type importJob struct {
	first    uint64
	entries  [][]byte
	baseRoot []byte // root of the source tree at first
	root     []byte // root of the source tree at first+len(entries)
	done     chan importResult
}

type importResult struct {
	res ImportResult
	err error
}

// Import replays entries [first, first+len(entries)) that another ledger
// encoded, byte for byte, through the same Appliers, so the projections come
// out as the source's. The caller has verified the entries against a signed
// checkpoint: baseRoot and root are the source's roots at first and at the
// end. The log must hold a prefix of that history: its root at first must be
// baseRoot, and entries it has already must be the same bytes (a crashed
// import resumes; a repeated one adds nothing). Before anything is written
// the entries must carry their indexes, hash to root over this log's tree,
// and pass every Applier; otherwise ErrImport and nothing changes. The
// entries are committed in chunks, each a valid prefix of the source, and
// the log becomes a mirror (see ErrMirror).
func (l *Log) Import(ctx context.Context, first uint64, entries [][]byte, baseRoot, root []byte) (ImportResult, error) {
	job := &importJob{first: first, entries: entries, baseRoot: baseRoot, root: root, done: make(chan importResult, 1)}
	select {
	case l.imports <- job:
	case <-ctx.Done():
		return ImportResult{}, ctx.Err()
	case <-l.quit:
		return ImportResult{}, ErrClosed
	}
	r := <-job.done
	return r.res, r.err
}

// runImport runs in the sequencer with no batch in flight.
func (l *Log) runImport(job *importJob) importResult {
	err := l.brokenErr()
	var recs []*Record
	if err == nil {
		recs, err = l.importable(job)
	}
	if err == nil && len(recs) > importChunk {
		// More than one transaction: a rejection must come before the first
		// commit. One chunk is one transaction, discarded on a rejection.
		err = l.dryRun(recs)
	}
	var added uint64
	for err == nil && len(recs) > 0 {
		n := min(len(recs), importChunk)
		if err = l.commitImported(recs[:n]); err == nil {
			added += uint64(n)
		}
		recs = recs[n:]
	}
	size, root := l.Head()
	return importResult{ImportResult{Added: added, Size: size, Root: root}, err}
}

// importable checks the job against the log and returns the records still
// to append: parsed, carrying their indexes, and hashing to the job's root.
func (l *Log) importable(job *importJob) ([]*Record, error) {
	size, rng, err := l.publishedRange()
	if err != nil {
		return nil, err
	}
	end := job.first + uint64(len(job.entries))
	if job.first > size || end < job.first {
		return nil, fmt.Errorf("%w: entries start at index %d, the log has %d", ErrImport, job.first, size)
	}
	if r, err := l.RootAt(job.first); err != nil || !bytes.Equal(r, job.baseRoot) {
		return nil, fmt.Errorf("%w: the log's root at size %d is not the source's: another history", ErrImport, job.first)
	}
	if end <= size {
		if r, err := l.RootAt(end); err != nil || !bytes.Equal(r, job.root) {
			return nil, fmt.Errorf("%w: the log has another root at size %d", ErrImport, end)
		}
		return nil, nil // imported already
	}
	have, err := l.Entries(job.first, size)
	if err != nil {
		return nil, err
	}
	for i, e := range have {
		if !bytes.Equal(e, job.entries[i]) {
			return nil, fmt.Errorf("%w: entry %d differs from the log's", ErrImport, job.first+uint64(i))
		}
	}
	todo := job.entries[size-job.first:]
	recs := make([]*Record, len(todo))
	for i, e := range todo {
		rec, err := ParseRecord(e)
		if err != nil || rec.Index != size+uint64(i) || len(e) > MaxEntrySize {
			return nil, fmt.Errorf("%w: entry at index %d is not a valid entry carrying its index", ErrImport, size+uint64(i))
		}
		if err := rng.Append(verifier.LeafHash(e), nil); err != nil {
			return nil, err
		}
		recs[i] = rec
	}
	if r, err := rng.GetRootHash(nil); err != nil || !bytes.Equal(r, job.root) {
		return nil, fmt.Errorf("%w: entries %d..%d do not hash to the source's root", ErrImport, job.first, end)
	}
	return recs, nil
}

// dryRun applies recs to a throw-away overlay of the published state, so a
// bundle the state machine rejects is refused before anything is written.
func (l *Log) dryRun(recs []*Record) error {
	txn := l.db.NewTransactionAt(l.readTs.Load(), false)
	defer txn.Discard()
	tx := l.newTx(txn, nil)
	for _, rec := range recs {
		if err := tx.apply(l.appliers[rec.Type], rec); err != nil {
			return fmt.Errorf("%w: entry %d (%s) rejected by the state machine: %w", ErrImport, rec.Index, rec.Type, err)
		}
	}
	return nil
}

// commitImported commits one chunk of imported records durably, with the
// tree nodes, projections, mirror mark, head and a checkpoint of this log's
// own signer, and publishes it.
func (l *Log) commitImported(recs []*Record) error {
	size, rng, err := l.publishedRange()
	if err != nil {
		return err
	}
	st := &staged{base: size, txn: l.db.NewTransactionAt(l.readTs.Load(), true)}
	defer st.txn.Discard()
	tx := l.newTx(st.txn, nil)
	for _, rec := range recs {
		if _, err := l.stageRecord(st, tx, rng, rec, EntryDigests(rec.Body), l.entryAttrs(rec.Type, rec.Body)); err != nil {
			return fmt.Errorf("%w: entry %d: %w", ErrImport, rec.Index, err)
		}
	}
	st.stageProjections(tx)
	st.set(projKey(mirrorKey), []byte{1})
	st.strata = l.stageStrata(st, l.strata.Load(), size, -1, true) // every block the published tree completes
	l.seal(st, rng, size+uint64(len(recs)))
	if st.werr != nil {
		return fmt.Errorf("%w: %w", ErrCommit, st.werr)
	}
	if err := st.txn.CommitAt(commitTs(st.head.size), nil); err != nil {
		l.stop(err)
		return fmt.Errorf("%w: %w", ErrCommit, err)
	}
	l.publish(st)
	l.mirror.Store(true)
	return nil
}

// publishedRange returns the published size and a copy of its compact range.
func (l *Log) publishedRange() (uint64, *compact.Range, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	rng, err := l.fact.NewRange(0, l.size, append([][]byte(nil), l.rng.Hashes()...))
	return l.size, rng, err
}
