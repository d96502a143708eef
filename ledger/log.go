package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/verifier"
)

// Sentinel errors of the read and append paths; the HTTP layer maps each to
// its problem+json type.
var (
	ErrNotFound     = errors.New("not found")
	ErrBeyondTree   = errors.New("beyond the current tree")
	ErrInvalidRange = errors.New("invalid range")
	ErrClosed       = errors.New("ledger closed")
	ErrCommit       = errors.New("ledger commit failed")
)

// Config opens a Log. Dir, Origin and Signer are required.
type Config struct {
	Dir      string                // Badger directory; created if missing
	Origin   string                // checkpoint origin line, e.g. "assay.example/log"
	Signer   note.Signer           // signs every checkpoint
	Now      func() time.Time      // injected clock; time.Now when nil
	MaxBatch int                   // entries per group commit; 1024 when zero
	Logger   *slog.Logger          // slog.Default when nil
	Badger   func(*badger.Options) // optional tuning of Badger options
	// EncryptionKey, when set, is the AES master key (16, 24 or 32 bytes)
	// of Badger's encryption at rest: entries, tree, projections and
	// checkpoints are encrypted on disk under data keys that Badger
	// generates, rotates (EncryptionKeyRotationDuration, 10 days by
	// default) and keeps in its KEYREGISTRY file encrypted with this key.
	// A ledger is opened with the key it was created with, or fails with
	// ErrEncryptionKey; see DefaultIndexCacheSize for the memory it adds.
	EncryptionKey []byte
	// Modules are the domains of the state machine: their entry types'
	// Appliers and their filtered projection prefixes (see Module). An
	// entry type without an Applier is logged without checks.
	Modules []Module
	// MirrorWrites lets a mirror (a ledger that has imported a bundle) take
	// direct appends too; by default it refuses them with ErrMirror.
	MirrorWrites bool
	// Linger is how long the sequencer may hold a busy log's batch open
	// for more appends (see linger.go): DefaultLinger when zero; a
	// negative Linger never holds a batch.
	Linger time.Duration
	// Observer, when set, is told of every batch the sequencer commits
	// (see SequencerObserver), for metrics.
	Observer SequencerObserver
	// MemoryBudget, when above zero, sizes Badger's memtables and caches
	// so that the process can hold that many bytes (see budgetOptions;
	// the caller sets GOMEMLIMIT to match); zero keeps Badger's defaults,
	// whose memory grows with the database.
	MemoryBudget int64

	runnable  func() int // replaces runnableGoroutines in tests
	noStrata  bool       // tests: write no strata, as a data directory from before them
	noRelease bool       // tests: maintain gives back no pages of mapped files (the test does)
}

// Log is the append-only Merkle log with its projections, stored in Badger.
// It is safe for concurrent use. Appends go through one sequencer goroutine
// that commits each batch, with its signed checkpoint, in one durable Badger
// transaction before any of its callers is answered.
type Log struct {
	db         *badger.DB
	cfg        Config
	reqs       chan *request
	imports    chan *importJob
	quit       chan struct{}
	stopped    chan struct{}
	maintained chan struct{} // closed when maintain returns
	reads      readCounter
	nodes      nodeCache                                       // immutable upper tree nodes; see nodecache.go
	filter     *keyFilter                                      // of the modules' Filtered prefixes; nil without any
	mods       []Module                                        // Config.Modules, then the log's own
	appliers   map[string]Applier                              // of every module, by entry type
	attrs      map[string]func(typ string, body []byte) []Attr // Module.Attrs, by entry type
	fact       *compact.RangeFactory
	closeMu    sync.Once
	readTs     atomic.Uint64             // Badger version of the published state; see snapshot
	mirror     atomic.Bool               // the log has imported entries: see ErrMirror
	strata     atomic.Uint64             // the published tree's first block without a stratum (strata.go)
	strataf    *strataFiles              // the strata
	edge       atomic.Pointer[edgeNodes] // the published tree's right edge (setEdge)
	broken     atomic.Pointer[error]     // a commit failed: the log accepts no more entries until reopened
	waiting    atomic.Int64              // appends waiting for the sequencer; see QueueDepth
	mu         sync.RWMutex              // guards the published state below
	size       uint64
	root       []byte
	rng        *compact.Range
	latestCP   []byte
	grown      atomic.Pointer[chan struct{}] // closed and replaced at each publish; see Grown
}

// Open opens (or creates) the log in cfg.Dir, resumes from the last durable
// batch, signs a checkpoint of that tree and starts the sequencer.
func Open(cfg Config) (*Log, error) {
	if cfg.Dir == "" || cfg.Origin == "" || cfg.Signer == nil {
		return nil, errors.New("ledger: Dir, Origin and Signer are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1024
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch {
	case cfg.Linger == 0:
		cfg.Linger = DefaultLinger
	case cfg.Linger < 0:
		cfg.Linger = 0
	}
	if cfg.runnable == nil {
		cfg.runnable = runnableGoroutines()
	}
	mods := append(slices.Clone(cfg.Modules), coreModule())
	if err := checkModules(mods); err != nil {
		return nil, err
	}
	appliers, filtered := map[string]Applier{}, []string(nil)
	attrs := map[string]func(string, []byte) []Attr{}
	for _, m := range mods {
		maps.Copy(appliers, m.Appliers)
		filtered = append(filtered, m.Filtered...)
		for t := range m.Appliers {
			if m.Attrs != nil {
				attrs[t] = m.Attrs
			}
		}
	}
	opts := badger.DefaultOptions(cfg.Dir).
		WithSyncWrites(true).
		WithDetectConflicts(false).
		WithValueThreshold(valueThreshold).
		WithValueLogFileSize(valueLogFileSize).
		WithLogger(badgerLogger{cfg.Logger})
	if cfg.MemoryBudget != 0 {
		if err := budgetOptions(&opts, cfg.MemoryBudget); err != nil {
			return nil, err
		}
	}
	if err := encryptionOptions(&cfg, &opts); err != nil {
		return nil, err
	}
	if cfg.Badger != nil {
		cfg.Badger(&opts)
	}
	if err := checkEncryptionCaches(opts); err != nil {
		return nil, err
	}
	db, err := badger.OpenManaged(opts)
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		return nil, keyMismatch(&cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open badger in %s: %w", cfg.Dir, err)
	}
	l := &Log{db: db, cfg: cfg, reqs: make(chan *request), imports: make(chan *importJob), quit: make(chan struct{}),
		stopped: make(chan struct{}), maintained: make(chan struct{}), fact: &compact.RangeFactory{Hash: verifier.NodeHash}, mods: mods, appliers: appliers, attrs: attrs}
	grown := make(chan struct{})
	l.grown.Store(&grown)
	if l.strataf, err = openStrata(cfg.Dir); err != nil {
		db.Close()
		return nil, err
	}
	if err := l.recover(); err != nil {
		l.strataf.close()
		db.Close()
		return nil, err
	}
	if l.filter, err = l.openFilter(context.Background(), filtered); err != nil {
		l.strataf.close()
		db.Close()
		return nil, fmt.Errorf("filter of projection keys: %w", err)
	}
	var mapped *mappedFiles
	if cfg.MemoryBudget > 0 && !cfg.noRelease {
		if mapped, err = mappedFilesOf(db); err != nil {
			cfg.Logger.Warn("ledger: the pages of Badger's mapped files will not be given back; the memory budget does not hold them", "err", err)
		}
	}
	go l.run()
	go l.maintain(mapped)
	return l, nil
}

// recover loads the durable tree head and makes sure a checkpoint signed by
// the current signer exists for it.
func (l *Log) recover() error {
	h := head{root: verifier.EmptyRoot()}
	err := l.viewAt(math.MaxUint64, func(txn *badger.Txn) error {
		item, err := txn.Get(headKey)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		b, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		h, err = unmarshalHead(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("read tree head: %w", err)
	}
	rng, err := l.fact.NewRange(0, h.size, h.hashes)
	if err != nil {
		return fmt.Errorf("tree head of size %d: %w", h.size, err)
	}
	cp, err := l.sign(h.size, h.root)
	if err != nil {
		return err
	}
	txn := l.db.NewTransactionAt(math.MaxUint64, true)
	defer txn.Discard()
	if err := txn.Set(checkpointKey(h.size), cp); err != nil {
		return fmt.Errorf("store checkpoint: %w", err)
	}
	if err := txn.CommitAt(openTs(h.size), nil); err != nil {
		return fmt.Errorf("store checkpoint: %w", err)
	}
	l.size, l.root, l.rng, l.latestCP = h.size, h.root, rng, cp
	l.setEdge(h.size, rng)
	l.publishTs(openTs(h.size))
	next, err := l.migrateStrata(h.size, openTs(h.size), l.cfg.noStrata)
	if err != nil {
		return err
	}
	l.strata.Store(next)
	if _, err := l.Projection(mirrorKey); err == nil {
		l.mirror.Store(true)
	}
	l.cfg.Logger.Info("ledger opened", "dir", l.cfg.Dir, "size", h.size, "encryption", EncryptionName(l.cfg.EncryptionKey))
	return nil
}

func (l *Log) sign(size uint64, root []byte) ([]byte, error) {
	text := verifier.Checkpoint{Origin: l.cfg.Origin, Size: size, Root: root}.Text()
	cp, err := note.Sign(&note.Note{Text: text}, l.cfg.Signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return cp, nil
}

// Close stops the sequencer, fails appends not yet taken, and closes Badger.
func (l *Log) Close() error {
	var err error
	l.closeMu.Do(func() {
		close(l.quit)
		<-l.stopped
		<-l.maintained
		err = errors.Join(l.strataf.close(), l.db.Close())
	})
	return err
}

// Origin returns the checkpoint origin line of this log.
func (l *Log) Origin() string { return l.cfg.Origin }

// Head returns the size and root hash of the published tree.
func (l *Log) Head() (uint64, []byte) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size, l.root
}

// Checkpoint returns the signed checkpoint note of the published tree.
func (l *Log) Checkpoint() []byte {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.latestCP
}

// Latest returns the published tree's size and its signed checkpoint
// together, so proofs can be made against exactly that checkpoint.
func (l *Log) Latest() (uint64, []byte) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.size, l.latestCP
}

// CheckpointAt returns the signed checkpoint of the tree of the given size,
// if one was published at that size.
func (l *Log) CheckpointAt(size uint64) ([]byte, error) {
	if err := l.checkSize(size); err != nil {
		return nil, err
	}
	v, err := l.get(checkpointKey(size))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("%w: no checkpoint was published at size %d", ErrNotFound, size)
	}
	return v, err
}

// Stats reports counters for operators: Reads is the number of Badger point
// reads made by proofs, entry lookups and projection reads.
type Stats struct{ Reads uint64 }

// Stats returns the current counters.
func (l *Log) Stats() Stats { return Stats{Reads: l.reads.n.Load()} }

func (l *Log) checkSize(size uint64) error {
	if cur, _ := l.Head(); size > cur {
		return fmt.Errorf("%w: tree size %d beyond current size %d", ErrBeyondTree, size, cur)
	}
	return nil
}

func (l *Log) get(key []byte) ([]byte, error) {
	var v []byte
	l.reads.add(1)
	err := l.view(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("badger get: %w", err)
	}
	return v, nil
}

// Entry returns the leaf bytes of the entry at index.
func (l *Log) Entry(index uint64) ([]byte, error) {
	if size, _ := l.Head(); index >= size {
		return nil, fmt.Errorf("%w: index %d, log size %d", ErrNotFound, index, size)
	}
	v, err := l.get(entryKey(index))
	if err != nil {
		return nil, err
	}
	return entryData(v)
}

// Entries returns the leaf bytes of entries [start, end), which must lie
// within the published tree.
func (l *Log) Entries(start, end uint64) ([][]byte, error) {
	if start > end {
		return nil, fmt.Errorf("%w: start %d after end %d", ErrInvalidRange, start, end)
	}
	if err := l.checkSize(end); err != nil {
		return nil, err
	}
	out := make([][]byte, 0, end-start)
	err := l.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: []byte{nsEntry}})
		defer it.Close()
		for it.Seek(entryKey(start)); it.Valid() && uint64(len(out)) < end-start; it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			data, err := entryData(v)
			if err != nil {
				return err
			}
			out = append(out, data)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read entries [%d, %d): %w", start, end, err)
	}
	if uint64(len(out)) != end-start {
		return nil, fmt.Errorf("read entries [%d, %d): %d missing", start, end, end-start-uint64(len(out)))
	}
	return out, nil
}

// LeafIndex returns the index of the entry with the given leaf hash.
func (l *Log) LeafIndex(leafHash []byte) (uint64, error) {
	v, err := l.get(leafKey(leafHash))
	if errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("%w: no entry has leaf hash %x", ErrNotFound, leafHash)
	}
	if err != nil {
		return 0, err
	}
	i := binary.BigEndian.Uint64(v)
	if size, _ := l.Head(); i >= size {
		return 0, fmt.Errorf("%w: no entry has leaf hash %x", ErrNotFound, leafHash)
	}
	return i, nil
}

// Projection returns the committed value of a projection key, or
// ErrKeyNotFound.
func (l *Log) Projection(key []byte) ([]byte, error) {
	if l.filter.absent(key) {
		return nil, ErrKeyNotFound
	}
	v, err := l.get(projKey(key))
	if errors.Is(err, ErrNotFound) {
		return nil, ErrKeyNotFound
	}
	return v, err
}

// ScanProjections calls fn for each committed projection key with the given
// prefix, in key order, starting after the key `after` (from the beginning
// when nil), until fn returns false or an error.
func (l *Log) ScanProjections(ctx context.Context, prefix, after []byte, fn func(key, value []byte) (bool, error)) error {
	return l.view(func(txn *badger.Txn) error {
		p := projKey(prefix)
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: p})
		defer it.Close()
		it.Seek(p)
		if after != nil {
			it.Seek(append(projKey(after), 0))
		}
		for ; it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			more, err := fn(it.Item().KeyCopy(nil)[1:], v)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}
