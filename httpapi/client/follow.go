package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	tclient "github.com/transparency-dev/tessera/client"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// Sentinels of Follow: each is proof that the log is not one append-only
// history, signed by the trusted key.
var (
	ErrSplitView = errors.New("split view: two checkpoints of one size with different roots")
	ErrRollback  = errors.New("rollback: the server's tree is smaller than one already verified")
)

// FollowReport says what Follow checked.
type FollowReport struct {
	From, To   uint64 // tree sizes verified from and to
	Recomputed uint64 // new entries whose leaf hashes were recomputed into the tree
}

// Follow verifies the server's latest checkpoint against prev, the last one
// this auditor verified (nil on a first run): the signature, that the tree
// did not shrink or fork (ErrRollback, ErrSplitView), and the consistency
// proof from prev. With entries, it also rebuilds the tree over every new
// entry fetched from the tlog-tiles API and demands the checkpoint's root,
// so the entries themselves, not only the proof, are checked.
func (a *Auditor) Follow(ctx context.Context, prev *verifier.Checkpoint, entries bool) (verifier.Checkpoint, FollowReport, error) {
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		return cp, FollowReport{}, err
	}
	old := verifier.Checkpoint{Origin: cp.Origin, Root: verifier.EmptyRoot()}
	if prev != nil {
		old = *prev
	}
	rep := FollowReport{From: old.Size, To: cp.Size}
	switch {
	case cp.Size < old.Size:
		return cp, rep, fmt.Errorf("%w: checkpoint of size %d after a verified size %d", ErrRollback, cp.Size, old.Size)
	case cp.Size == old.Size && !bytes.Equal(cp.Root, old.Root):
		return cp, rep, fmt.Errorf("%w: size %d has root %x, verified before as %x", ErrSplitView, cp.Size, cp.Root, old.Root)
	}
	if old.Size > 0 {
		if err := a.Consistency(ctx, old, cp); err != nil {
			return cp, rep, fmt.Errorf("%w: history from size %d was rewritten: %w", ErrSplitView, old.Size, err)
		}
	}
	if entries {
		if rep.Recomputed, err = a.recompute(ctx, old, cp); err != nil {
			return cp, rep, err
		}
	}
	return cp, rep, nil
}

// recompute rebuilds the tree from old's compact range (from tiles, checked
// against old's root) and the leaf hashes of entries [old.Size, cp.Size)
// (from entry bundles), and compares the result with cp's root.
func (a *Auditor) recompute(ctx context.Context, old, cp verifier.Checkpoint) (uint64, error) {
	fact := &compact.RangeFactory{Hash: verifier.NodeHash}
	rng := fact.NewEmptyRange(0)
	if old.Size > 0 {
		nodes, err := tclient.FetchRangeNodes(ctx, old.Size, a.Client.Tile)
		if err != nil {
			return 0, fmt.Errorf("tiles of the tree at size %d: %w", old.Size, err)
		}
		if rng, err = fact.NewRange(0, old.Size, nodes); err != nil {
			return 0, err
		}
		if root, err := rng.GetRootHash(nil); err != nil || !bytes.Equal(root, old.Root) {
			return 0, fmt.Errorf("%w: tiles of size %d do not hash to the verified root", ErrSplitView, old.Size)
		}
	}
	for i := old.Size; i < cp.Size; {
		first := i / ledger.TileWidth * ledger.TileWidth
		end := min(first+ledger.TileWidth, cp.Size)
		b, err := tclient.GetEntryBundle(ctx, a.Client.EntryBundle, first/ledger.TileWidth, cp.Size)
		if err != nil {
			return 0, fmt.Errorf("entry bundle of index %d: %w", i, err)
		}
		if uint64(len(b.Entries)) < end-first {
			return 0, fmt.Errorf("%w: bundle at %d has %d entries, want %d", ErrMismatch, first, len(b.Entries), end-first)
		}
		for ; i < end; i++ {
			e := b.Entries[i-first]
			if rec, err := ledger.ParseRecord(e); err != nil || rec.Index != i {
				return 0, fmt.Errorf("%w: bundle entry at index %d does not carry its index", ErrMismatch, i)
			}
			if err := rng.Append(verifier.LeafHash(e), nil); err != nil {
				return 0, err
			}
		}
	}
	root, err := rng.GetRootHash(nil)
	if cp.Size == 0 {
		root, err = verifier.EmptyRoot(), nil
	}
	if err != nil || !bytes.Equal(root, cp.Root) {
		return 0, fmt.Errorf("%w: entries %d..%d do not hash to the checkpoint's root", ErrSplitView, old.Size, cp.Size)
	}
	return cp.Size - old.Size, nil
}
