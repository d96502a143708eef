// Package publish copies a log's read path to object storage as C2SP
// tlog-tiles objects, so that auditors, mirrors and a CDN read the log
// without the server:
//
//	checkpoint                  rewritten, and only after every tile it covers is there
//	tile/<L>/<N>[.p/<W>]        hash tiles, full and partial, written once
//	tile/entries/<N>[.p/<W>]    entry bundles, written once, to the private store only
//
// Hash tiles and checkpoints reveal only hashes, so they may go to a public
// bucket or prefix. Entry bundles carry every tenant's entries, so they go
// only to a store that needs credentials (Config.Private), never to the
// public one.
//
// Every object but the checkpoint is immutable: its bytes are fixed once
// it can exist (a partial tile of width W never changes; a wider one has
// another name). A Publisher writes each once, with Cache-Control
// immutable and its sha256 as the checksum the store verifies, and checks
// before writing that an object already there (after a restart) holds the
// same bytes, so it never rewrites one with others. It reads what to do
// from the public store's checkpoint: everything a published checkpoint
// covers is there, so a restart resumes after it. Publishing reads the
// log's published state and never holds back an append.
package publish

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// ErrNotFound is what Store.Get returns for a missing object.
var ErrNotFound = errors.New("object not found")

// ErrRewrite refuses to write an immutable object over one with other
// bytes: the store holds another log, or was tampered with.
var ErrRewrite = errors.New("an immutable object exists with other bytes")

// Store is where a Publisher writes: an S3 bucket and prefix (S3Store), or
// anything with the same three operations.
type Store interface {
	// PutImmutable writes key with body once: when key exists with the
	// same bytes it writes nothing; with other bytes it fails with
	// ErrRewrite.
	PutImmutable(ctx context.Context, key string, body []byte) error
	// PutCheckpoint writes (or rewrites) the checkpoint object.
	PutCheckpoint(ctx context.Context, key string, body []byte) error
	// Get returns an object's bytes, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
}

// Config configures a Publisher. Log and Public are required.
type Config struct {
	Log *ledger.Log
	// Public receives the checkpoint and the hash tiles.
	Public Store
	// Private, when set, receives the entry bundles; without it they are
	// not published.
	Private Store
	// Interval is the least time between two publications (the log may
	// grow many times in between): 1 s when zero.
	Interval time.Duration
	// Retry is how long to wait after a failed publication: 5 s when zero.
	Retry  time.Duration
	Logger *slog.Logger
}

// Publisher keeps a store's copy of the log's read path up to date.
type Publisher struct {
	cfg       Config
	published atomic.Uint64 // size of the last checkpoint written
	failures  atomic.Uint64
}

// New returns a Publisher as cfg says.
func New(cfg Config) (*Publisher, error) {
	if cfg.Log == nil || cfg.Public == nil {
		return nil, errors.New("publish: Config.Log and Public are required")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Publisher{cfg: cfg}, nil
}

// Published returns the size of the last checkpoint the Publisher wrote
// (or found in the store at its start).
func (p *Publisher) Published() uint64 { return p.published.Load() }

// Lag is how many entries of the log's published tree the store's
// checkpoint does not cover yet.
func (p *Publisher) Lag() uint64 {
	size, _ := p.cfg.Log.Head()
	if pub := p.published.Load(); size > pub {
		return size - pub
	}
	return 0
}

// Failures counts the publications that failed (each retried).
func (p *Publisher) Failures() uint64 { return p.failures.Load() }

// Run publishes until ctx ends: first whatever the store's checkpoint does
// not cover, then again each time the log grows, at most once per
// Interval. A failure is logged and retried after Retry; ErrRewrite stops
// Run, since retrying cannot mend it.
func (p *Publisher) Run(ctx context.Context) error {
	from, err := p.storeSize(ctx)
	for err != nil {
		if errors.Is(err, ErrRewrite) || !p.wait(ctx, p.cfg.Retry, nil) {
			return err
		}
		from, err = p.storeSize(ctx)
	}
	p.published.Store(from)
	for {
		size, err := p.PublishOnce(ctx)
		switch {
		case errors.Is(err, ErrRewrite):
			return err
		case err != nil:
			p.failures.Add(1)
			p.cfg.Logger.ErrorContext(ctx, "publish the log's tiles", "err", err, "retry_in", p.cfg.Retry)
			if !p.wait(ctx, p.cfg.Retry, nil) {
				return nil
			}
			continue
		}
		if !p.wait(ctx, p.cfg.Interval, p.cfg.Log.Grown(size)) {
			return nil
		}
	}
}

// wait waits for d, then for grown (when not nil), or for ctx; false when
// ctx ended.
func (p *Publisher) wait(ctx context.Context, d time.Duration, grown <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	}
	if grown == nil {
		return true
	}
	select {
	case <-ctx.Done():
		return false
	case <-grown:
		return true
	}
}

// storeSize is the tree size of the store's checkpoint (0 without one).
// A checkpoint of another origin, or of a tree larger than the log's, is
// ErrRewrite: the store belongs to another log.
func (p *Publisher) storeSize(ctx context.Context) (uint64, error) {
	b, err := p.cfg.Public.Get(ctx, layout.CheckpointPath)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	origin, size, err := parseCheckpoint(b)
	if err != nil {
		return 0, fmt.Errorf("%w: the store's checkpoint: %v", ErrRewrite, err)
	}
	head, _ := p.cfg.Log.Head()
	if origin != p.cfg.Log.Origin() || size > head {
		return 0, fmt.Errorf("%w: the store's checkpoint is of %q at size %d, this log is %q at size %d", ErrRewrite, origin, size, p.cfg.Log.Origin(), head)
	}
	return size, nil
}

// PublishOnce writes every tile and bundle of the log's current checkpoint
// that the last one written does not cover, then the checkpoint, and
// returns its size.
func (p *Publisher) PublishOnce(ctx context.Context) (uint64, error) {
	cp := p.cfg.Log.Checkpoint()
	_, size, err := parseCheckpoint(cp)
	if err != nil {
		return 0, err
	}
	from := p.published.Load()
	if size <= from {
		return from, nil
	}
	for _, t := range tlog.NewTiles(8, int64(from), int64(size)) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		level, index, width := uint64(t.L), uint64(t.N), t.W
		body, err := p.cfg.Log.Tile(uint(level), index, width)
		if err != nil {
			return 0, fmt.Errorf("tile %d/%d.%d: %w", level, index, width, err)
		}
		if err := p.cfg.Public.PutImmutable(ctx, layout.TilePath(level, index, partial(width)), body); err != nil {
			return 0, err
		}
		if level == 0 && p.cfg.Private != nil {
			bundle, err := p.cfg.Log.EntryBundle(index, width)
			if err != nil {
				return 0, fmt.Errorf("entry bundle %d.%d: %w", index, width, err)
			}
			if err := p.cfg.Private.PutImmutable(ctx, layout.EntriesPath(index, partial(width)), bundle); err != nil {
				return 0, err
			}
		}
	}
	if err := p.cfg.Public.PutCheckpoint(ctx, layout.CheckpointPath, cp); err != nil {
		return 0, err
	}
	p.published.Store(size)
	return size, nil
}

// partial is a tile's width as its name's suffix: 0 for a full tile.
func partial(width int) uint8 {
	if width == 256 {
		return 0
	}
	return uint8(width)
}

// parseCheckpoint reads the origin and tree size of a signed checkpoint
// (its signature is the auditors' business; the Publisher only copies the
// log's own).
func parseCheckpoint(b []byte) (string, uint64, error) {
	c, err := verifier.ReadCheckpoint(b)
	if err != nil {
		return "", 0, err
	}
	return c.Origin, c.Size, nil
}
