package ledger

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/transparency-dev/merkle/compact"

	"github.com/assay-ledger/assay/verifier"
)

// maxBatchBytes caps the encoded entries of one batch, well below Badger's
// transaction size limit with the default 64 MiB memtable.
const maxBatchBytes = 4 << 20

// Appended is the answer to a successful Append: where the entry stands and
// the signed checkpoint of the batch that committed it. Returned only once
// that batch is durable.
type Appended struct {
	Record     *Record
	LeafHash   []byte
	TreeSize   uint64 // size of the tree the batch produced
	Checkpoint []byte // signed checkpoint note at TreeSize
}

type request struct {
	p    *prepared
	done chan result
}

type result struct {
	a   Appended
	err error
}

// Append adds one entry. It returns after the entry's batch, its projection
// writes and the batch's signed checkpoint are committed to disk, or with the
// error of the entry's Applier (nothing of the entry is written then). A
// context cancelled before the sequencer takes the entry abandons it; once
// taken, Append waits for the batch so that its answer is definite.
func (l *Log) Append(ctx context.Context, e Entry) (Appended, error) {
	p, err := prepare(e)
	if err != nil {
		return Appended{}, err
	}
	req := &request{p: p, done: make(chan result, 1)}
	select {
	case l.reqs <- req:
	case <-ctx.Done():
		return Appended{}, ctx.Err()
	case <-l.quit:
		return Appended{}, ErrClosed
	}
	r := <-req.done
	return r.a, r.err
}

// run is the sequencer: it takes every request waiting at that moment (up to
// the batch limits) and commits them together, so that concurrent callers
// share one fsync.
func (l *Log) run() {
	defer close(l.stopped)
	for {
		var first *request
		select {
		case first = <-l.reqs:
		case <-l.quit:
			return
		}
		batch := []*request{first}
		n := len(first.p.head) + len(first.p.tail)
	fill:
		for len(batch) < l.cfg.MaxBatch && n < maxBatchBytes {
			select {
			case r := <-l.reqs:
				batch = append(batch, r)
				n += len(r.p.head) + len(r.p.tail)
			default:
				break fill
			}
		}
		l.commit(batch)
	}
}

// commit applies, writes and durably commits one batch, publishes the new
// tree head and only then answers the callers.
func (l *Log) commit(batch []*request) {
	results := make([]result, len(batch))
	defer func() {
		for i, r := range batch {
			r.done <- results[i]
		}
	}()
	l.mu.RLock()
	size0 := l.size
	rng, err := l.fact.NewRange(0, size0, append([][]byte(nil), l.rng.Hashes()...))
	l.mu.RUnlock()
	if err != nil {
		failAll(results, fmt.Errorf("%w: %w", ErrCommit, err))
		return
	}
	txn := l.db.NewTransaction(true)
	defer txn.Discard()
	w := &batchWriter{txn: txn}
	size, accepted := l.applyBatch(batch, results, txn, rng, w, size0)
	if size == size0 {
		return // every entry was rejected: nothing to commit
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		w.fail(err)
	}
	cp, err := l.sign(size, root)
	if err != nil {
		w.fail(err)
	}
	w.set(checkpointKey(size), cp)
	w.set(headKey, head{size: size, root: root, hashes: rng.Hashes()}.marshal())
	if w.err == nil {
		w.err = txn.Commit()
	}
	if w.err != nil {
		l.cfg.Logger.Error("ledger batch commit failed", "entries", len(accepted), "err", w.err)
		for _, i := range accepted {
			results[i] = result{err: fmt.Errorf("%w: %w", ErrCommit, w.err)}
		}
		return
	}
	l.mu.Lock()
	l.size, l.root, l.rng, l.latestCP = size, root, rng, cp
	l.mu.Unlock()
	for _, i := range accepted {
		results[i].a.TreeSize, results[i].a.Checkpoint = size, cp
	}
}

// applyBatch runs each request through its Applier and stages the accepted
// entries, their leaf index and tree nodes. It returns the new size and the
// positions of the accepted requests.
func (l *Log) applyBatch(batch []*request, results []result, txn *badger.Txn, rng *compact.Range, w *batchWriter, size uint64) (uint64, []int) {
	now := l.cfg.Now().UTC()
	ts := now.Format(TimeFormat)
	tx := &Tx{txn: txn, batch: map[string][]byte{}, reads: &l.reads}
	visit := func(id compact.NodeID, h []byte) { w.set(nodeKey(id), h) }
	var accepted []int
	for i, r := range batch {
		data := r.p.encode(size, ts)
		rec := &Record{Index: size, Type: r.p.typ, Time: now, Actor: r.p.actor, Tenant: r.p.tenant, Body: r.p.body, Bytes: data}
		if err := tx.apply(l.cfg.Appliers[r.p.typ], rec); err != nil {
			results[i].err = err
			continue
		}
		lh := verifier.LeafHash(data)
		w.set(entryKey(size), data)
		w.set(leafKey(lh), binary.BigEndian.AppendUint64(nil, size))
		if err := rng.Append(lh, visit); err != nil {
			w.fail(err)
		}
		results[i].a = Appended{Record: rec, LeafHash: lh}
		accepted = append(accepted, i)
		size++
	}
	for k, v := range tx.batch {
		if v == nil {
			w.fail(txn.Delete(projKey([]byte(k))))
		} else {
			w.set(projKey([]byte(k)), v)
		}
	}
	return size, accepted
}

// batchWriter stages Badger writes and keeps the first error.
type batchWriter struct {
	txn *badger.Txn
	err error
}

func (w *batchWriter) set(k, v []byte) { w.fail(w.txn.Set(k, v)) }

func (w *batchWriter) fail(err error) {
	if w.err == nil && err != nil {
		w.err = err
	}
}

func failAll(rs []result, err error) {
	for i := range rs {
		rs[i].err = err
	}
}
