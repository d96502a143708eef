package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// ErrMismatch reports a server answer that contradicts itself or the
// question asked: another index, size or leaf hash than requested.
var ErrMismatch = errors.New("server answer does not match")

// Auditor checks what a server returns against a trusted checkpoint
// verifier key. Every result it returns has been verified locally.
type Auditor struct {
	Client *Client
	Key    string // trusted verifier key, in the note "name+hash+key" form
	Origin string // expected checkpoint origin; any when empty
	// Witnesses, when it names keys, is required of the latest checkpoint:
	// a quorum of valid cosignatures (verifier.OpenWitnessed).
	Witnesses verifier.Witnesses
}

// Checkpoint fetches the latest checkpoint and verifies its signature and
// the cosignatures a.Witnesses requires.
func (a *Auditor) Checkpoint(ctx context.Context) (verifier.Checkpoint, error) {
	note, err := a.Client.Checkpoint(ctx)
	if err != nil {
		return verifier.Checkpoint{}, err
	}
	return verifier.OpenWitnessed(note, a.Key, a.Origin, a.Witnesses)
}

// CheckpointAt fetches the checkpoint published at size and verifies its
// signature and size.
func (a *Auditor) CheckpointAt(ctx context.Context, size uint64) (verifier.Checkpoint, error) {
	note, err := a.Client.CheckpointAt(ctx, size)
	if err != nil {
		return verifier.Checkpoint{}, err
	}
	cp, err := verifier.OpenCheckpoint(note, a.Key, a.Origin)
	if err == nil && cp.Size != size {
		err = fmt.Errorf("%w: asked for the checkpoint at size %d, got size %d", ErrMismatch, size, cp.Size)
	}
	return cp, err
}

// Entry fetches the entry at index and its inclusion proof in the tree of
// cp, recomputes the leaf hash from the entry bytes and verifies the proof
// against cp's root. It returns the verified entry.
func (a *Auditor) Entry(ctx context.Context, cp verifier.Checkpoint, index uint64) (wire.LogEntry, error) {
	if index >= cp.Size {
		return wire.LogEntry{}, fmt.Errorf("index %d is not in the checkpoint's tree of size %d", index, cp.Size)
	}
	e, err := a.Client.Entry(ctx, index)
	if err != nil {
		return wire.LogEntry{}, err
	}
	leaf := verifier.LeafHash(e.Entry)
	if err := checkEntry(e, index, leaf); err != nil {
		return wire.LogEntry{}, err
	}
	p, err := a.Client.InclusionProof(ctx, index, cp.Size)
	if err != nil {
		return wire.LogEntry{}, err
	}
	if p.Index != index || p.TreeSize != cp.Size {
		return wire.LogEntry{}, fmt.Errorf("%w: asked for index %d in tree size %d, proof is for index %d in size %d",
			ErrMismatch, index, cp.Size, p.Index, p.TreeSize)
	}
	if err := verifier.VerifyInclusion(index, cp.Size, leaf, wire.Bytes(p.Hashes), cp.Root); err != nil {
		return wire.LogEntry{}, err
	}
	return e, nil
}

// checkEntry checks a served entry against the index asked for and the leaf
// hash recomputed from its bytes.
func checkEntry(e wire.LogEntry, index uint64, leaf []byte) error {
	if e.Index != index {
		return fmt.Errorf("%w: asked for entry %d, got entry %d", ErrMismatch, index, e.Index)
	}
	if !bytes.Equal(e.LeafHash, leaf) {
		return fmt.Errorf("%w: entry %d: served leaf hash %x, entry bytes hash to %x", ErrMismatch, index, []byte(e.LeafHash), leaf)
	}
	rec, err := ledger.ParseRecord(e.Entry)
	if err != nil {
		return fmt.Errorf("%w: entry %d: %w", ErrMismatch, index, err)
	}
	if rec.Index != index {
		return fmt.Errorf("%w: entry bytes at index %d name index %d", ErrMismatch, index, rec.Index)
	}
	return nil
}

// Consistency fetches the consistency proof from older to newer (both
// already verified checkpoints) and verifies it against their roots.
func (a *Auditor) Consistency(ctx context.Context, older, newer verifier.Checkpoint) error {
	if older.Size > newer.Size {
		return fmt.Errorf("size %d is beyond the checkpoint's size %d", older.Size, newer.Size)
	}
	if older.Size == newer.Size {
		return verifier.VerifyConsistency(older.Size, newer.Size, nil, older.Root, newer.Root)
	}
	p, err := a.Client.ConsistencyProof(ctx, older.Size, newer.Size)
	if err != nil {
		return err
	}
	if p.First != older.Size || p.Second != newer.Size {
		return fmt.Errorf("%w: asked for consistency %d -> %d, proof is for %d -> %d",
			ErrMismatch, older.Size, newer.Size, p.First, p.Second)
	}
	return verifier.VerifyConsistency(older.Size, newer.Size, wire.Bytes(p.Hashes), older.Root, newer.Root)
}
