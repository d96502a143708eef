// Package local is the local-disk backend of [cas.Store]: one file per blob
// in sharded directories (root/sha256/ab/cd/abcd…), written to a temporary
// file in the same filesystem, fsynced, hard-linked into place and the
// directory fsynced (the sequence lives in [durable.LinkTemp]). Blobs may be compressed with zstd and encrypted with
// AES-256-GCM at rest; the file format is described in format.go and the
// sha256 of the plaintext stays the address either way.
//
// # Layout
//
//	root/sha256/ab/cd/abcd…   one file per blob, named by its sha256 hex
//	root/tmp/put-*            Puts in progress (swept by SweepTemp after a crash)
//	root/trash/sha256/abcd…   blobs of deleted packages, until restored or purged (trash.go)
//
// Reads follow each blob's own header, so turning compression or encryption
// on or off affects new blobs only and older ones stay readable (encrypted
// blobs need the key they were written with).
package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/internal/durable"
)

// Compile-time checks that Local implements the interfaces it promises.
var (
	_ cas.Store       = (*Local)(nil)
	_ cas.Sweeper     = (*Local)(nil)
	_ cas.ReadAheader = (*Local)(nil)
)

// copyBufSize is the per-Put copy buffer of compressed or encrypted blobs;
// with the zstd and AEAD state it bounds such a Put's memory. Plain blobs
// use directBufs buffers of directBufSize instead.
const copyBufSize = 1 << 20

// Config selects where and how blobs are stored.
type Config struct {
	// Root is the directory holding the store; it is created if missing.
	// Temporary files live under it, so they share its filesystem.
	Root string
	// Compress stores new blobs as zstd streams.
	Compress bool
	// KeyFile, if set, names a file holding a 32-byte AES-256 key (raw, or
	// as 64 hex digits) and new blobs are encrypted with keys derived from
	// it. Keep it off the disk that holds Root.
	KeyFile string
}

// Local is a [cas.Store] on a local filesystem. It is safe for concurrent
// use, also by several processes sharing Root.
type Local struct {
	root     string
	blobDir  string
	tmpDir   string
	trashDir string
	compress bool
	key      *keyring // nil: no encryption
	encoders encoderPool
	bufs     sync.Pool // *[]byte of copyBufSize
	dbufs    sync.Pool // *[][]byte: directBufs aligned buffers of directBufSize
}

// Open prepares the directories under cfg.Root and loads the key file.
func Open(cfg Config) (*Local, error) {
	if cfg.Root == "" {
		return nil, errors.New("local store: Root is empty")
	}
	l := &Local{
		root:     cfg.Root,
		blobDir:  filepath.Join(cfg.Root, "sha256"),
		tmpDir:   filepath.Join(cfg.Root, "tmp"),
		trashDir: filepath.Join(cfg.Root, "trash", "sha256"),
		compress: cfg.Compress,
	}
	if cfg.KeyFile != "" {
		k, err := loadKey(cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("local store: %w", err)
		}
		l.key = k
	}
	for _, dir := range []string{l.blobDir, l.tmpDir, l.trashDir} {
		if err := durable.MkdirAll(dir); err != nil {
			return nil, fmt.Errorf("local store: %w", err)
		}
	}
	return l, nil
}

// path returns where the blob d lives.
func (l *Local) path(d cas.Digest) string {
	h := d.Hex()
	return filepath.Join(l.blobDir, h[0:2], h[2:4], h)
}

// ReadsAhead is true: every Put reads its input ahead of hashing and
// writing, through cas.StreamHashed or cas.CopyHashed.
func (l *Local) ReadsAhead() bool { return true }

// Head reads the blob's header.
func (l *Local) Head(ctx context.Context, d cas.Digest) (cas.Info, error) {
	b, err := l.open(d)
	if err != nil {
		return cas.Info{}, err
	}
	defer b.f.Close()
	return b.info(d), nil
}

// Delete removes the blob and syncs its directory.
func (l *Local) Delete(ctx context.Context, d cas.Digest) error {
	if d.IsZero() {
		return fmt.Errorf("local delete: %w: empty digest", cas.ErrInvalidDigest)
	}
	p := l.path(d)
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("local delete %s: %w", d, cas.ErrNotFound)
		}
		return fmt.Errorf("local delete %s: %w", d, err)
	}
	return durable.SyncDir(filepath.Dir(p))
}

// Health checks that a file can be created and removed in the store.
func (l *Local) Health(ctx context.Context) error {
	f, err := os.CreateTemp(l.tmpDir, "health-*")
	if err != nil {
		return fmt.Errorf("local store %s: %w: %w", l.root, cas.ErrUnavailable, err)
	}
	name := f.Name()
	err = errors.Join(f.Close(), os.Remove(name))
	if err != nil {
		return fmt.Errorf("local store %s: %w: %w", l.root, cas.ErrUnavailable, err)
	}
	return nil
}

// Walk visits every blob file in shard order.
func (l *Local) Walk(ctx context.Context, fn func(cas.Digest) error) error {
	return walkLevel(ctx, l.blobDir, 0, "", fn)
}

// walkLevel descends the two shard levels, then reports the blob files whose
// names are well-formed digests matching their shard; anything else is
// skipped.
func walkLevel(ctx context.Context, dir string, level int, prefix string, fn func(cas.Digest) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("local walk: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if level < 2 {
			if e.IsDir() && len(name) == 2 {
				if err := walkLevel(ctx, filepath.Join(dir, name), level+1, prefix+name, fn); err != nil {
					return err
				}
			}
			continue
		}
		d, err := cas.ParseDigest("sha256:" + name)
		if err != nil || !e.Type().IsRegular() || name[:4] != prefix {
			continue
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// SweepTemp removes temporary files modified before the cutoff: leftovers of
// Puts interrupted by a crash.
func (l *Local) SweepTemp(ctx context.Context, before time.Time) (int, error) {
	entries, err := os.ReadDir(l.tmpDir)
	if err != nil {
		return 0, fmt.Errorf("local sweep: %w", err)
	}
	n := 0
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.ModTime().Before(before) {
			continue
		}
		if err := os.Remove(filepath.Join(l.tmpDir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("local sweep: %w", err)
		}
		n++
	}
	return n, nil
}
