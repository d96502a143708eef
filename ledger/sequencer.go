package ledger

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"

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
	TreeSize   uint64   // size of the tree the batch produced
	Checkpoint []byte   // signed checkpoint note at TreeSize
	Proof      [][]byte // inclusion proof of the entry in the tree of TreeSize
}

type request struct {
	p     *prepared
	attrs []Attr // the entry's module history attributes
	done  chan result
}

type result struct {
	a     Appended
	err   error
	nodes batchNodes // of the entry's batch, for its inclusion proof
}

// batchNodes maps the tree nodes a batch can prove its entries with to
// their hashes: the perfect subtrees covering the tree the batch was staged
// on, and every node its entries completed. An inclusion proof of an entry
// of the batch in the batch's tree needs no other node, so each caller
// computes its own proof from memory, in its own goroutine, without a read.
type batchNodes map[compact.NodeID][]byte

// proof returns the inclusion proof of the entry at index in the tree of
// size, or false if a node it needs is not in the map (the entry is not in
// the batch the map belongs to).
func (b batchNodes) proof(index, size uint64) ([][]byte, bool) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, false
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		if hashes[i] = b[id]; hashes[i] == nil {
			return nil, false
		}
	}
	p, err := nodes.Rehash(hashes, verifier.NodeHash)
	return p, err == nil
}

// staged is a batch applied and written into its Badger transaction, waiting
// for the committer.
type staged struct {
	batch    []*request
	results  []result
	accepted []int
	txn      *badger.Txn
	werr     error             // first staging error; fails the batch
	base     uint64            // tree size the batch was staged on
	head     head              // tree after the batch
	rng      *compact.Range    // compact range after the batch
	cp       []byte            // signed checkpoint of head
	overlay  map[string][]byte // the batch's projection writes
	strata   uint64            // the first block without a stratum after the batch
	nodes    batchNodes        // for the inclusion proofs of the batch's entries; nil for imports
	barrier  chan struct{}     // when set, not a batch: closed by the committer when reached
	stats    BatchStats        // for Config.Observer; the committer adds Entries and Commit
}

// pipeline is the sequencer's working state: the published tree plus the
// batches staged but not yet committed.
type pipeline struct {
	size     uint64
	rng      *compact.Range
	strata   uint64 // the first block without a stratum, as staged
	inflight []*staged
}

// Append adds one entry. It returns after the entry's batch, its projection
// writes and the batch's signed checkpoint are committed to disk, with the
// entry's inclusion proof against that checkpoint, or with the error of the
// entry's Applier (nothing of the entry is written then). A
// context cancelled before the sequencer takes the entry abandons it; once
// taken, Append waits for the batch so that its answer is definite.
func (l *Log) Append(ctx context.Context, e Entry) (Appended, error) {
	p, err := Prepare(e)
	if err != nil {
		return Appended{}, err
	}
	return l.AppendPrepared(ctx, p)
}

// Prepared is an entry that Prepare checked and encoded, all but its index
// and time, ready for AppendPrepared.
type Prepared struct{ p *prepared }

// Prepare checks an entry and encodes it, as Append does first. Splitting
// the two lets a caller do this CPU work while it holds a slot of its own
// admission control, and release the slot before waiting for the commit.
func Prepare(e Entry) (*Prepared, error) {
	p, err := prepare(e)
	if err != nil {
		return nil, err
	}
	return &Prepared{p}, nil
}

// AppendPrepared is Append of an entry that Prepare checked.
func (l *Log) AppendPrepared(ctx context.Context, e *Prepared) (Appended, error) {
	if l.mirror.Load() && !l.cfg.MirrorWrites {
		return Appended{}, ErrMirror
	}
	if err := l.brokenErr(); err != nil {
		return Appended{}, err
	}
	req := &request{p: e.p, attrs: l.entryAttrs(e.p.typ, e.p.body), done: make(chan result, 1)}
	l.waiting.Add(1)
	select {
	case l.reqs <- req:
		l.waiting.Add(-1)
	case <-ctx.Done():
		l.waiting.Add(-1)
		return Appended{}, ctx.Err()
	case <-l.quit:
		l.waiting.Add(-1)
		return Appended{}, ErrClosed
	}
	r := <-req.done
	if r.err != nil {
		return r.a, r.err
	}
	var ok bool
	if r.a.Proof, ok = r.nodes.proof(r.a.Record.Index, r.a.TreeSize); !ok {
		// Not reached while batchNodes holds what it documents
		// (TestAppendProofs); reading the nodes is the safe answer.
		var err error
		if r.a.Proof, err = l.InclusionProof(r.a.Record.Index, r.a.TreeSize); err != nil {
			return r.a, fmt.Errorf("entry %d committed, but its inclusion proof failed: %w", r.a.Record.Index, err)
		}
	}
	return r.a, nil
}

// run is the sequencer: it takes every request waiting at that moment (up to
// the batch limits), on a busy log also those that arrive while it lingers
// (linger.go), and stages them as one batch, so that concurrent callers share
// one fsync. Staging the next batch overlaps the commit of the last.
func (l *Log) run() {
	commits := make(chan *staged, 1)
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		for st := range commits {
			if st.barrier != nil {
				close(st.barrier)
				continue
			}
			l.commit(st)
		}
	}()
	defer func() {
		close(commits)
		<-committed
		close(l.stopped)
	}()
	l.mu.RLock()
	w := &pipeline{size: l.size, rng: l.rng, strata: l.strata.Load()}
	l.mu.RUnlock()
	var last [2]int // entries of the previous two batches
	for {
		var first *request
		select {
		case first = <-l.reqs:
		case job := <-l.imports:
			barrier := make(chan struct{})
			commits <- &staged{barrier: barrier}
			<-barrier // every staged batch is committed or failed
			job.done <- l.runImport(job)
			l.mu.RLock()
			w = &pipeline{size: l.size, rng: l.rng, strata: l.strata.Load()}
			l.mu.RUnlock()
			continue
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
		var lingered time.Duration
		if l.cfg.Linger > 0 {
			batch, n, lingered = l.linger(batch, n, last[0]+last[1])
		}
		last[0], last[1] = last[1], len(batch)
		st := l.stage(w, batch)
		st.stats = BatchStats{Requests: len(batch), Bytes: n, Lingered: lingered}
		commits <- st
	}
}

// stage applies a batch on top of the published tree and the batches still
// in flight, and writes it into a new Badger transaction with the tree nodes,
// the new head and its signed checkpoint.
func (l *Log) stage(w *pipeline, batch []*request) *staged {
	l.mu.RLock()
	published, readTs := l.size, l.readTs.Load()
	l.mu.RUnlock()
	for len(w.inflight) > 0 && w.inflight[0].head.size <= published {
		w.inflight = w.inflight[1:]
	}
	st := &staged{batch: batch, results: make([]result, len(batch)), base: w.size, txn: l.db.NewTransactionAt(readTs, true)}
	baseHashes := append([][]byte(nil), w.rng.Hashes()...)
	rng, err := l.fact.NewRange(0, w.size, baseHashes)
	if err != nil {
		st.werr = err
		return st
	}
	st.nodes = batchNodes{}
	for i, id := range compact.RangeNodes(0, w.size, nil) {
		st.nodes[id] = baseHashes[i]
	}
	overlays := make([]map[string][]byte, len(w.inflight))
	for i, p := range w.inflight {
		overlays[len(overlays)-1-i] = p.overlay // newest first
	}
	size := l.applyBatch(st, rng, overlays)
	if size == w.size {
		return st // every entry was rejected: nothing to write
	}
	st.strata = l.stageStrata(st, w.strata, published, strataPerBatch, false)
	w.strata = st.strata
	l.seal(st, rng, size)
	w.size, w.rng = size, rng
	w.inflight = append(w.inflight, st)
	return st
}

// applyBatch runs each request through its Applier and stages the accepted
// entries, their leaf index and tree nodes. It returns the new tree size.
func (l *Log) applyBatch(st *staged, rng *compact.Range, overlays []map[string][]byte) uint64 {
	now := l.cfg.Now().UTC()
	ts := now.Format(TimeFormat)
	tx := l.newTx(st.txn, overlays)
	size := st.base
	for i, r := range st.batch {
		data := r.p.encode(size, ts)
		rec := &Record{Index: size, Type: r.p.typ, Time: now, Actor: r.p.actor, Tenant: r.p.tenant, Body: r.p.body, Bytes: data}
		lh, err := l.stageRecord(st, tx, rng, rec, r.p.digests, r.attrs)
		if err != nil {
			st.results[i].err = err
			continue
		}
		st.results[i].a = Appended{Record: rec, LeafHash: lh}
		st.accepted = append(st.accepted, i)
		size++
	}
	st.stageProjections(tx)
	return size
}

// stageRecord runs one record through its Applier and, if accepted, writes
// the entry, its leaf index, the tree nodes it completes and the index of
// the digests its body names and its history attributes. Appends and
// imports share it, so a replayed entry is stored and indexed exactly as
// the original.
func (l *Log) stageRecord(st *staged, tx *Tx, rng *compact.Range, rec *Record, digests []string, attrs []Attr) ([]byte, error) {
	if err := tx.apply(l.appliers[rec.Type], rec); err != nil {
		return nil, err
	}
	var nodes [][]byte // the subtrees this leaf completes, level 0 first
	lh := verifier.LeafHash(rec.Bytes)
	st.fail(rng.Append(lh, func(id compact.NodeID, h []byte) {
		nodes = append(nodes, h)
		if st.nodes != nil {
			st.nodes[id] = h
		}
	}))
	st.set(entryKey(rec.Index), entryValue(nodes, rec.Bytes))
	st.set(leafKey(lh), binary.BigEndian.AppendUint64(nil, rec.Index))
	st.indexDigests(rec.Index, digests)
	st.indexHistory(rec, attrs)
	return lh, nil
}

// stageProjections writes the batch's accepted projection writes.
func (st *staged) stageProjections(tx *Tx) {
	for k, v := range tx.batch {
		if v == nil {
			st.fail(st.txn.Delete(projKey([]byte(k))))
		} else {
			st.set(projKey([]byte(k)), v)
		}
	}
	st.overlay = tx.batch
	tx.filter.add(tx.batch) // before the batch commits, so readers of it find its keys
}

// commit makes a staged batch durable, publishes its tree head and answers
// its callers. A failed commit stops the log: it fails the batch and every
// later one until the log is reopened. Badger may have applied part of the
// failed transaction in memory, and the next batch, staged again on the
// published tree, would commit at a lower version than those writes, which
// could then shadow its own. On reopen, Badger keeps only whole
// transactions.
func (l *Log) commit(st *staged) {
	defer st.txn.Discard()
	err := l.brokenErr()
	if err == nil {
		if err = st.werr; err == nil && len(st.accepted) > 0 {
			start := time.Now()
			err = st.txn.CommitAt(commitTs(st.head.size), nil)
			st.stats.Commit = time.Since(start)
		}
		if err != nil {
			l.stop(err) // the batches staged on this one cannot commit either
		}
	}
	if err != nil {
		for i := range st.results {
			st.results[i] = result{err: fmt.Errorf("%w: %w", ErrCommit, err)}
		}
	} else if len(st.accepted) > 0 {
		l.publish(st)
		for _, i := range st.accepted {
			st.results[i].a.TreeSize, st.results[i].a.Checkpoint = st.head.size, st.cp
			st.results[i].nodes = st.nodes
		}
		if l.cfg.Observer != nil {
			st.stats.Entries = len(st.accepted)
			l.cfg.Observer.ObserveBatch(st.stats)
		}
	}
	for i, r := range st.batch {
		r.done <- st.results[i]
	}
}

// seal writes the tree head of size (with rng's root) and its signed
// checkpoint into the batch.
func (l *Log) seal(st *staged, rng *compact.Range, size uint64) {
	root, err := rng.GetRootHash(nil)
	st.fail(err)
	st.head = head{size: size, root: root, hashes: rng.Hashes()}
	st.cp, err = l.sign(size, root)
	st.fail(err)
	st.set(checkpointKey(size), st.cp)
	st.set(headKey, st.head.marshal())
	st.rng = rng
}

// publish makes a committed batch's tree the one readers see. The version
// readers use changes under the same lock as the size, so that stage never
// drops the overlay of a batch its read version does not show yet.
func (l *Log) publish(st *staged) {
	l.mu.Lock()
	l.size, l.root, l.rng, l.latestCP = st.head.size, st.head.root, st.rng, st.cp
	l.setEdge(st.head.size, st.rng)
	l.strata.Store(st.strata)
	l.publishTs(commitTs(st.head.size))
	next := make(chan struct{})
	close(*l.grown.Swap(&next))
	l.mu.Unlock()
}

// closedChan is a channel that is always closed.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Grown returns a channel that is closed once the published log holds more
// than size entries (at once if it does already), so that a follower such
// as a live stream waits for new entries without polling and without a
// subscription the sequencer would have to feed.
//
// It takes no lock a publish waits for: the channel is loaded before the
// size is read, so a publish in between either shows in the size or
// closes the channel.
func (l *Log) Grown(size uint64) <-chan struct{} {
	c := l.grown.Load()
	if n, _ := l.Head(); n > size {
		return closedChan
	}
	return *c
}

// stop records a failed commit: the log accepts no more entries until it
// is reopened (see commit).
func (l *Log) stop(err error) {
	l.cfg.Logger.Error("ledger commit failed; the log accepts no more entries until it is reopened", "err", err)
	l.broken.CompareAndSwap(nil, &err)
}

// brokenErr returns the error that refuses writes after a failed commit,
// or nil. It takes no lock: every Append asks.
func (l *Log) brokenErr() error {
	if err := l.broken.Load(); err != nil {
		return fmt.Errorf("%w: the log stopped after a failed commit; reopen it: %w", ErrCommit, *err)
	}
	return nil
}

func (st *staged) set(k, v []byte) { st.fail(st.txn.Set(k, v)) }

func (st *staged) fail(err error) {
	if st.werr == nil && err != nil {
		st.werr = err
	}
}
