// Package durable writes files so that they survive a crash once the call
// returns: the fsync sequence for a durable file is written down here once.
// It is shared by everything in Assay that keeps state in files, not only the
// content store: the local blob store (cas/local), the API token file
// (httpapi), signing keys (assay keys), audit state (assay audit) and bundle
// output (assay bundle). It is internal because its callers span cas,
// httpapi and cmd, and it is not part of Assay's public API.
//
// A write goes to a temporary file in the target's filesystem, which is
// synced, closed and then renamed (WriteFile) or linked (CreateFile,
// LinkTemp) into place; the directory is synced after. A crash leaves
// either the old state or the new one, never a torn file.
package durable

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile replaces path with data (mode perm) atomically and durably.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // after the rename this finds nothing
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename into %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// CreateFile creates path with data (mode perm) durably, failing with an
// error that wraps fs.ErrExist if path exists; an existing file is never
// touched, and no partial file is ever visible at path.
func CreateFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	existed, err := link(tmp, path)
	if err == nil && existed {
		err = fmt.Errorf("create %s: %w", path, fs.ErrExist)
	}
	return err
}

// LinkTemp makes the fully written temporary file f durable under path, for
// writers that stream too much data to hold (the blob store): it fsyncs and
// closes f, creates path's directory durably, hard-links f to path, removes
// f's temporary name and fsyncs the directory. An existing path is never
// replaced: it is left as it is and existed is true, which for
// content-addressed files means the same bytes are already there. f must be
// in the same filesystem as path. On error the caller removes f's name.
func LinkTemp(f *os.File, path string) (existed bool, err error) {
	if err := syncClose(f); err != nil {
		return false, err
	}
	if err := MkdirAll(filepath.Dir(path)); err != nil {
		return false, err
	}
	return link(f.Name(), path)
}

// link hard-links the synced temporary file tmp to path, removes tmp and
// syncs the directory. existed reports that path was already there (and
// so that nothing changed).
func link(tmp, path string) (existed bool, err error) {
	err = os.Link(tmp, path)
	existed = errors.Is(err, fs.ErrExist)
	if err != nil && !existed {
		return false, fmt.Errorf("link %s: %w", path, err)
	}
	if err := os.Remove(tmp); err != nil {
		return existed, fmt.Errorf("remove temporary %s: %w", tmp, err)
	}
	if existed {
		return true, nil
	}
	return false, SyncDir(filepath.Dir(path))
}

// syncClose fsyncs and closes f.
func syncClose(f *os.File) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync %s: %w", f.Name(), err)
	}
	return nil
}

// writeTemp writes data to a synced temporary file beside path.
func writeTemp(path string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("temporary file for %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err != nil {
		f.Close()
	} else {
		err = syncClose(f)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", tmp, err)
	}
	return tmp, nil
}

// MkdirAll creates dir and any missing parents (mode 0700), syncing each new
// directory's entry into its parent so that the path survives a crash.
func MkdirAll(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := MkdirAll(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	return SyncDir(parent)
}

// SyncDir fsyncs a directory so that entries created, renamed or removed in
// it are durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}
