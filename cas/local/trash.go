package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/internal/durable"
)

var _ cas.Trasher = (*Local)(nil)

// trashPath returns where the trashed blob d lives: root/trash/sha256/<hex>,
// in the same filesystem as the store, so that a move is one rename.
func (l *Local) trashPath(d cas.Digest) string {
	return filepath.Join(l.trashDir, d.Hex())
}

// exists reports whether path names a file.
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// move renames from to to and syncs both directories, so that the move is
// durable before it returns.
func move(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	if err := durable.SyncDir(filepath.Dir(to)); err != nil {
		return err
	}
	return durable.SyncDir(filepath.Dir(from))
}

// Trash moves the blob into root/trash with a rename and syncs both
// directories.
func (l *Local) Trash(ctx context.Context, d cas.Digest) error {
	if d.IsZero() {
		return fmt.Errorf("local trash: %w: empty digest", cas.ErrInvalidDigest)
	}
	live, dead := l.path(d), l.trashPath(d)
	err := move(live, dead)
	if errors.Is(err, fs.ErrNotExist) {
		in, serr := exists(dead)
		switch {
		case serr != nil:
			return fmt.Errorf("local trash %s: %w", d, serr)
		case in:
			return nil // moved before
		}
		return fmt.Errorf("local trash %s: %w", d, cas.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("local trash %s: %w", d, err)
	}
	return nil
}

// Untrash moves the blob back from root/trash; when the store holds it
// again (the same bytes were put meanwhile) the trashed copy is removed.
func (l *Local) Untrash(ctx context.Context, d cas.Digest) error {
	if d.IsZero() {
		return fmt.Errorf("local untrash: %w: empty digest", cas.ErrInvalidDigest)
	}
	live, dead := l.path(d), l.trashPath(d)
	in, err := exists(live)
	if err != nil {
		return fmt.Errorf("local untrash %s: %w", d, err)
	}
	if in {
		return l.Purge(ctx, d)
	}
	if err := durable.MkdirAll(filepath.Dir(live)); err != nil {
		return fmt.Errorf("local untrash %s: %w", d, err)
	}
	if err := move(dead, live); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("local untrash %s: %w", d, cas.ErrNotFound)
		}
		return fmt.Errorf("local untrash %s: %w", d, err)
	}
	return nil
}

// Purge removes the trashed blob and syncs the trash directory.
func (l *Local) Purge(ctx context.Context, d cas.Digest) error {
	if d.IsZero() {
		return fmt.Errorf("local purge: %w: empty digest", cas.ErrInvalidDigest)
	}
	p := l.trashPath(d)
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("local purge %s: %w", d, err)
	}
	return durable.SyncDir(l.trashDir)
}

// InTrash reports whether root/trash holds the blob.
func (l *Local) InTrash(ctx context.Context, d cas.Digest) (bool, error) {
	in, err := exists(l.trashPath(d))
	if err != nil {
		return false, fmt.Errorf("local trash %s: %w", d, err)
	}
	return in, nil
}
