package retention

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// deletionIn returns the latest deletion of package id, nil when it has
// none.
func deletionIn(tx *ledger.Tx, id string) (*Deletion, error) {
	var d Deletion
	err := tx.GetJSON(deletionKey(id), &d)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// notDeleted refuses a retention change (an extension, a hold) to a
// package whose deletion d is in force: its bytes are going or gone, and
// only a restore brings it back to where retention applies again.
func notDeleted(id string, d *Deletion) error {
	if d.Gone() {
		return fmt.Errorf("%w: %s (%s at index %d); restore it first", ErrAlreadyDeleted, id, d.State, d.StartedIndex)
	}
	return nil
}

func countIn(tx *ledger.Tx, hex string) (blobCount, error) {
	var c blobCount
	err := tx.GetJSON(blobCountKey(hex), &c)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return blobCount{}, nil
	}
	return c, err
}

// hexOf returns the hex digits of a canonical sha256 digest.
func hexOf(digest string) (string, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%w: digest %q", ErrInvalidBody, short(digest))
	}
	return hex, nil
}

// checkDeletable says whether package p, with retention state st and
// latest deletion del, may be deleted at now; early is whether the
// caller asks for deletion before expiry (as retention:admin).
func checkDeletable(p *catalog.Package, st *State, del *Deletion, now time.Time, early bool) error {
	switch {
	case del.Gone():
		return fmt.Errorf("%w: %s (%s at index %d)", ErrAlreadyDeleted, p.ID, del.State, del.StartedIndex)
	case st != nil && st.ActiveHolds > 0:
		return fmt.Errorf("%w: %s has %d active holds", ErrHeld, p.ID, st.ActiveHolds)
	}
	exp := expiry(p, st)
	if exp != nil && !exp.After(now) {
		return nil
	}
	if p.Retention.EffectiveMode() == catalog.ModeCompliance {
		return fmt.Errorf("%w: package %s", ErrCompliance, p.ID)
	}
	if !early {
		when := "is kept forever"
		if exp != nil {
			when = "expires at " + exp.UTC().Format(time.RFC3339)
		}
		return &notExpiredError{expires: exp, err: fmt.Errorf("%w: %s %s; early deletion of a governance-mode package needs retention:admin",
			ErrNotExpired, p.ID, when)}
	}
	return nil
}

func applyDeletionEligible(tx *ledger.Tx, rec *ledger.Record) error {
	var b DeletionEligible
	if err := decode(rec, &b); err != nil {
		return err
	}
	p, err := catalog.PackageIn(tx, rec.Tenant, b.PackageID)
	if err != nil {
		return err
	}
	if _, err := tx.Get(eligibleKey(p.ID)); err == nil {
		return fmt.Errorf("%w: %s was announced eligible before", ErrInvalidBody, p.ID)
	} else if !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	st, err := stateIn(tx, p.ID)
	if err != nil {
		return err
	}
	del, err := deletionIn(tx, p.ID)
	if err != nil {
		return err
	}
	exp := expiry(p, st)
	if del.Gone() || !eligible(p, st, rec.Time) || b.ExpiresAt == nil || !b.ExpiresAt.Equal(*exp) {
		return fmt.Errorf("%w: %s is not eligible for deletion at %s", ErrInvalidBody, p.ID, rec.Time.UTC().Format(time.RFC3339))
	}
	tx.Set(eligibleKey(p.ID), fmt.Appendf(nil, "%d", rec.Index))
	if st == nil {
		st = &State{Tenant: rec.Tenant}
	}
	e := exp.UTC()
	return record(tx, rec, p.ID, st, Event{ExpiresAt: &e, PolicyIndex: b.PolicyIndex})
}

func applyDeletionStarted(tx *ledger.Tx, rec *ledger.Record) error {
	var b DeletionStarted
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := checkText("reason", b.Reason, true, MaxReason); err != nil {
		return err
	}
	p, err := catalog.PackageIn(tx, rec.Tenant, b.PackageID)
	if err != nil {
		return err
	}
	st, err := stateIn(tx, p.ID)
	if err != nil {
		return err
	}
	del, err := deletionIn(tx, p.ID)
	if err != nil {
		return err
	}
	if err := checkDeletable(p, st, del, rec.Time, b.Early); err != nil {
		return err
	}
	if b.GraceUntil.IsZero() {
		return fmt.Errorf("%w: no grace_until", ErrInvalidBody)
	}
	refs, bytes := 0, int64(0)
	counts := map[string]blobCount{}
	for i, r := range b.Blobs {
		hex, err := hexOf(r.Digest)
		if err != nil {
			return err
		}
		if i > 0 && r.Digest <= b.Blobs[i-1].Digest {
			return fmt.Errorf("%w: blobs not in strict digest order", ErrInvalidBody)
		}
		blob, ok, err := catalog.BlobIn(tx, hex)
		if err != nil {
			return err
		}
		c, err := countIn(tx, hex)
		if err != nil {
			return err
		}
		live := blob.Refs - c.Deleted - c.Purged - r.Refs
		if !ok || r.Refs <= 0 || live < 0 || r.Size != blob.Size {
			return fmt.Errorf("%w: blob %s with %d references of size %d", ErrInvalidBody, r.Digest, r.Refs, r.Size)
		}
		if r.Freed != (live == 0) {
			return fmt.Errorf("%w: blob %s now has %d other live references; ask again", ErrChanged, r.Digest, live)
		}
		refs += r.Refs
		if r.Freed {
			bytes += r.Size
		}
		c.Deleted += r.Refs
		counts[hex] = c
	}
	if refs != p.FileCount || bytes != b.Bytes {
		return fmt.Errorf("%w: %d references, %d bytes; package %s has %d files, the freed blobs %d bytes",
			ErrInvalidBody, refs, b.Bytes, p.ID, p.FileCount, bytes)
	}
	for hex, c := range counts {
		if err := tx.SetJSON(blobCountKey(hex), c); err != nil {
			return err
		}
	}
	n := 0
	if del != nil {
		n = del.Deletions
	}
	d := Deletion{PackageID: p.ID, Tenant: rec.Tenant, State: StateStarted, StartedIndex: rec.Index, StartedAt: rec.Time.UTC(),
		StartedBy: rec.Actor, Reason: b.Reason, Early: b.Early, Blobs: b.Blobs, Bytes: b.Bytes, GraceUntil: b.GraceUntil.UTC(),
		Deletions: n + 1}
	if err := tx.SetJSON(deletionKey(p.ID), d); err != nil {
		return err
	}
	tx.Set(pendingKey(p.ID), fmt.Appendf(nil, "%d", rec.Index))
	if st == nil {
		st = &State{Tenant: rec.Tenant}
	}
	return record(tx, rec, p.ID, st, Event{Reason: b.Reason, Early: b.Early, Bytes: b.Bytes, PolicyIndex: b.PolicyIndex})
}

// deletionFor loads the deletion of the record's tenant's package that
// started at index started, in one of the states want.
func deletionFor(tx *ledger.Tx, rec *ledger.Record, pkg string, started uint64, want ...string) (*Deletion, *State, error) {
	p, err := catalog.PackageIn(tx, rec.Tenant, pkg)
	if err != nil {
		return nil, nil, err
	}
	del, err := deletionIn(tx, p.ID)
	if err != nil {
		return nil, nil, err
	}
	if del == nil || del.StartedIndex != started || !slices.Contains(want, del.State) {
		return nil, nil, fmt.Errorf("%w: %s is not a deletion of %s started at index %d in state %v", ErrInvalidBody,
			rec.Type, p.ID, started, want)
	}
	st, err := stateIn(tx, p.ID)
	if err != nil {
		return nil, nil, err
	}
	if st == nil {
		return nil, nil, fmt.Errorf("deleted package %s has no retention state", p.ID)
	}
	return del, st, nil
}

// applyDeletionEnded applies deletion.completed and deletion.failed: the
// end of the move of a started deletion.
func applyDeletionEnded(tx *ledger.Tx, rec *ledger.Record) error {
	var (
		pkg     string
		started uint64
		ev      Event
		state   = StateDeleted
		remain  []string
	)
	if rec.Type == TypeDeletionFailed {
		var b DeletionFailed
		if err := decode(rec, &b); err != nil {
			return err
		}
		pkg, started, state, remain, ev.Reason = b.PackageID, b.StartedIndex, StateFailed, b.Remaining, b.Error
	} else {
		var b DeletionCompleted
		if err := decode(rec, &b); err != nil {
			return err
		}
		pkg, started = b.PackageID, b.StartedIndex
	}
	del, st, err := deletionFor(tx, rec, pkg, started, StateStarted)
	if err != nil {
		return err
	}
	del.State, del.EndedIndex, del.Remaining = state, rec.Index, remain
	if err := tx.SetJSON(deletionKey(pkg), del); err != nil {
		return err
	}
	tx.Delete(pendingKey(pkg))
	return record(tx, rec, pkg, st, ev)
}

func applyDeletionReversed(tx *ledger.Tx, rec *ledger.Record) error {
	var b DeletionReversed
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := checkText("reason", b.Reason, true, MaxReason); err != nil {
		return err
	}
	del, st, err := deletionFor(tx, rec, b.PackageID, b.StartedIndex, StateDeleted, StateFailed)
	if err != nil {
		return err
	}
	for _, r := range del.Blobs {
		if err := addCount(tx, r.Digest, -r.Refs, 0); err != nil {
			return err
		}
	}
	del.State, del.ReversedIndex = StateRestored, rec.Index
	if err := tx.SetJSON(deletionKey(b.PackageID), del); err != nil {
		return err
	}
	return record(tx, rec, b.PackageID, st, Event{Reason: b.Reason})
}

// addCount moves the deletion counts of a blob.
func addCount(tx *ledger.Tx, digest string, deleted, purged int) error {
	hex, err := hexOf(digest)
	if err != nil {
		return err
	}
	c, err := countIn(tx, hex)
	if err != nil {
		return err
	}
	c.Deleted += deleted
	c.Purged += purged
	if c.Deleted < 0 {
		return fmt.Errorf("%w: blob %s would count %d deleted references", ErrInvalidBody, digest, c.Deleted)
	}
	return tx.SetJSON(blobCountKey(hex), c)
}

// purgeable lists, in digest order, the blobs of del that a purge removes
// for good: those whose every reference would then be purged.
func purgeable(del *Deletion, blob func(hex string) (catalog.Blob, blobCount, error)) ([]string, int64, error) {
	var out []string
	var bytes int64
	for _, r := range del.Blobs {
		hex, err := hexOf(r.Digest)
		if err != nil {
			return nil, 0, err
		}
		b, c, err := blob(hex)
		if err != nil {
			return nil, 0, err
		}
		if b.Refs-c.Purged-r.Refs == 0 {
			out = append(out, r.Digest)
			bytes += r.Size
		}
	}
	return out, bytes, nil
}

func applyDeletionPurged(tx *ledger.Tx, rec *ledger.Record) error {
	var b DeletionPurged
	if err := decode(rec, &b); err != nil {
		return err
	}
	del, st, err := deletionFor(tx, rec, b.PackageID, b.StartedIndex, StateDeleted)
	if err != nil {
		return err
	}
	policy, err := ledger.PolicyIn(tx)
	if err != nil {
		return err
	}
	at, err := purgeableAt(del, policy)
	if err != nil {
		return err
	}
	if rec.Time.Before(at) {
		return fmt.Errorf("%w: package %s may be restored until %s", ErrGraceNotOver, del.PackageID, at.Format(time.RFC3339))
	}
	want, bytes, err := purgeable(del, func(hex string) (catalog.Blob, blobCount, error) {
		b, _, err := catalog.BlobIn(tx, hex)
		if err != nil {
			return b, blobCount{}, err
		}
		c, err := countIn(tx, hex)
		return b, c, err
	})
	if err != nil {
		return err
	}
	if !slices.Equal(want, b.Purged) || bytes != b.Bytes {
		return fmt.Errorf("%w: purge of %s lists %v (%d bytes), want %v (%d bytes)", ErrChanged, del.PackageID, b.Purged, b.Bytes, want, bytes)
	}
	for _, r := range del.Blobs {
		if err := addCount(tx, r.Digest, -r.Refs, r.Refs); err != nil {
			return err
		}
	}
	t := rec.Time.UTC()
	del.State, del.PurgedIndex, del.PurgedAt = StatePurged, rec.Index, &t
	if err := tx.SetJSON(deletionKey(b.PackageID), del); err != nil {
		return err
	}
	return record(tx, rec, b.PackageID, st, Event{Bytes: b.Bytes})
}
