package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/assay-ledger/assay/internal/durable"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// Files of a mirror's data directory: the primary's checkpoint at the
// mirror's last import (assay mirror writes it), and, once the mirror is
// promoted to a primary of its own, that checkpoint again, which every
// later start records in policy.applied.
func (d dataDir) mirrorCheckpoint() string { return filepath.Join(string(d), "mirror-checkpoint") }
func (d dataDir) promotedFrom() string     { return filepath.Join(string(d), "promoted-from") }

// mirrorPromoted is what policy.applied says of a mirror promoted to a primary:
// the last checkpoint of the old log it verified, so that auditors chain
// the two logs (the new log's tree at that size has the same root).
type mirrorPromoted struct {
	Checkpoint string `json:"checkpoint"` // the old log's signed checkpoint note
	Origin     string `json:"origin"`
	Size       uint64 `json:"size"`
	Root       []byte `json:"root"`
}

// mirrorPromotion returns the promotion of the ledger in d, if it was
// promoted (now, with promote set, or by an earlier start): promote
// requires a mirror whose tree is the one of its last import's checkpoint.
// A ledger not promoted returns nil.
func mirrorPromotion(d dataDir, lg *ledger.Log, promote bool) (*mirrorPromoted, error) {
	b, err := os.ReadFile(d.promotedFrom())
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) && !promote:
		return nil, nil
	case errors.Is(err, fs.ErrNotExist):
		if b, err = os.ReadFile(d.mirrorCheckpoint()); err != nil {
			return nil, fmt.Errorf("--promote-mirror: %s is not a mirror that assay mirror kept (%w)", string(d), err)
		}
	default:
		return nil, err
	}
	cp, err := verifier.ReadCheckpoint(b)
	if err != nil {
		return nil, fmt.Errorf("the primary's checkpoint in %s: %w", string(d), err)
	}
	root, err := lg.RootAt(cp.Size)
	if err != nil || !bytes.Equal(root, cp.Root) {
		return nil, fmt.Errorf("the primary's checkpoint (size %d, root %x) is not this ledger's tree at that size: %v", cp.Size, cp.Root, err)
	}
	if promote {
		if err := durable.WriteFile(d.promotedFrom(), b, 0o644); err != nil {
			return nil, err
		}
	}
	return &mirrorPromoted{Checkpoint: string(b), Origin: cp.Origin, Size: cp.Size, Root: cp.Root}, nil
}
