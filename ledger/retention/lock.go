package retention

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Store locks (Config.Locker, S3 Object Lock) make the storage itself
// refuse to delete bytes Assay must keep, to anyone who bypasses Assay:
//
//   - every blob of a compliance-mode package is retained (COMPLIANCE)
//     until the package's expiry in force; an extension retains it
//     longer. A blob shared with a later-expiring package keeps the later
//     date, since retention only ever grows.
//   - every blob of a package with an active legal hold has its legal hold
//     on; when a package's last active hold is released, the legal hold of
//     each of its blobs goes off unless another package with an active
//     hold shares the blob.
//
// A lock is applied after the entry that decides it is durable (the log is
// the truth; the lock follows it): after retention.extended,
// retention.hold_applied, retention.hold_released, and after file.added
// (FileAdded, the catalog's hook) for a file joining a compliance-mode or
// held package. If the store refuses, or the process dies between the
// entry and the lock, the entry stands and the call's error is a
// *LockPendingError (ErrLockPending: 503 retention-lock-pending with the
// entry's recorded_index, so a client does not repeat the request);
// ReapplyLocks, which serve runs at every start, re-derives every lock
// from the projections and applies it again. Every lock call is
// idempotent (a legal hold set to the state it has; a retention date that
// is not later is left alone), so re-applying is always safe.

// lockError wraps a store lock failure after the entry what was recorded.
func lockError(what string, index uint64, err error) error {
	return &LockPendingError{What: what, Index: index, Err: err}
}

// digests returns the distinct blob digests of the tenant's package id.
func (s *Service) digests(ctx context.Context, tenant, id string) ([]cas.Digest, error) {
	files, err := s.cat.Files(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []cas.Digest
	for _, f := range files {
		if seen[f.Digest] {
			continue
		}
		seen[f.Digest] = true
		d, err := cas.ParseDigest(f.Digest)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// retain retains each blob until the package's expiry when the package is
// in compliance mode and its expiry is still ahead.
func (s *Service) retain(ctx context.Context, p *catalog.Package, exp *time.Time, ds []cas.Digest) error {
	if s.lock == nil || p.Retention.Mode != catalog.ModeCompliance || exp == nil || !exp.After(s.now()) {
		return nil
	}
	for _, d := range ds {
		if err := s.lock.Retain(ctx, d, *exp); err != nil && !errors.Is(err, cas.ErrNotFound) {
			return err
		}
	}
	return nil
}

// legalHold sets the legal hold of each blob to on.
func (s *Service) legalHold(ctx context.Context, ds []cas.Digest, on bool) error {
	for _, d := range ds {
		if err := s.lock.LegalHold(ctx, d, on); err != nil && !errors.Is(err, cas.ErrNotFound) {
			return err
		}
	}
	return nil
}

// heldDigests returns the blobs of every package with an active hold,
// package skip excepted, and the ids of the packages that ever had a hold.
func (s *Service) heldDigests(ctx context.Context, skip string) (map[cas.Digest]bool, []stateOf, error) {
	var states []stateOf
	err := s.log.ScanProjections(ctx, []byte(prefixState), nil, func(k, v []byte) (bool, error) {
		var st State
		if err := json.Unmarshal(v, &st); err != nil {
			return false, err
		}
		if st.Holds > 0 {
			states = append(states, stateOf{id: string(k[len(prefixState):]), st: st})
		}
		return true, nil
	})
	if err != nil {
		return nil, nil, err
	}
	held := map[cas.Digest]bool{}
	for _, x := range states {
		if x.id == skip || x.st.ActiveHolds == 0 {
			continue
		}
		ds, err := s.digests(ctx, x.st.Tenant, x.id)
		if err != nil {
			return nil, nil, err
		}
		for _, d := range ds {
			held[d] = true
		}
	}
	return held, states, nil
}

// stateOf is a package id and its retention state.
type stateOf struct {
	id string
	st State
}

// lockExtended retains the blobs of compliance-mode package p until its
// new expiry.
func (s *Service) lockExtended(ctx context.Context, p *catalog.Package, exp time.Time, index uint64) error {
	if s.lock == nil || p.Retention.Mode != catalog.ModeCompliance {
		return nil
	}
	ds, err := s.digests(ctx, p.Tenant, p.ID)
	if err == nil {
		err = s.retain(ctx, p, &exp, ds)
	}
	if err != nil {
		return lockError("the extension", index, err)
	}
	return nil
}

// lockHeld puts the legal hold on every blob of package p.
func (s *Service) lockHeld(ctx context.Context, p *catalog.Package, index uint64) error {
	if s.lock == nil {
		return nil
	}
	ds, err := s.digests(ctx, p.Tenant, p.ID)
	if err == nil {
		err = s.legalHold(ctx, ds, true)
	}
	if err != nil {
		return lockError("the hold", index, err)
	}
	return nil
}

// lockReleased takes the legal hold off the blobs of package p once its
// last active hold is released, except blobs another held package shares.
func (s *Service) lockReleased(ctx context.Context, p *catalog.Package, index uint64) error {
	if s.lock == nil {
		return nil
	}
	st, err := s.state(p.ID)
	if err != nil || st != nil && st.ActiveHolds > 0 {
		return err
	}
	if err := s.release(ctx, p.Tenant, p.ID); err != nil {
		return lockError("the release", index, err)
	}
	return nil
}

// release takes the legal hold off the blobs of package id that no other
// package with an active hold shares.
func (s *Service) release(ctx context.Context, tenant, id string) error {
	held, _, err := s.heldDigests(ctx, id)
	if err != nil {
		return err
	}
	ds, err := s.digests(ctx, tenant, id)
	if err != nil {
		return err
	}
	var free []cas.Digest
	for _, d := range ds {
		if !held[d] {
			free = append(free, d)
		}
	}
	return s.legalHold(ctx, free, false)
}

// FileAdded locks the blob of a file just added to a package (the
// catalog's hook, run after file.added is durable): retained when the
// package is in compliance mode, legally held when it has an active hold.
func (s *Service) FileAdded(ctx context.Context, tenant string, f *catalog.File) error {
	if s.lock == nil {
		return nil
	}
	p, err := s.cat.Package(tenant, f.PackageID)
	if err != nil {
		return err
	}
	st, err := s.state(p.ID)
	if err != nil {
		return err
	}
	d, err := cas.ParseDigest(f.Digest)
	if err != nil {
		return err
	}
	err = s.retain(ctx, p, expiry(p, st), []cas.Digest{d})
	if err == nil && st != nil && st.ActiveHolds > 0 {
		err = s.legalHold(ctx, []cas.Digest{d}, true)
	}
	if err != nil {
		return lockError("the file", f.Index, err)
	}
	return nil
}

// ReapplyLocks applies again every store lock the log decides (see the
// comment at the top of this file): the retention of the blobs of every
// live compliance-mode package not yet expired, the legal hold of the
// blobs of every package with an active hold, and no legal hold on the
// blobs of live packages whose holds are all released, unless shared with
// a held package. It reads every package once; serve runs it at start
// when the store locks, so that a lock lost to a crash or a store outage
// between an entry and its lock is applied. It returns how many blobs it
// locked or unlocked.
func (s *Service) ReapplyLocks(ctx context.Context) (int, error) {
	if s.lock == nil {
		return 0, nil
	}
	held, states, err := s.heldDigests(ctx, "")
	if err != nil {
		return 0, err
	}
	n := 0
	for d := range held {
		if err := s.legalHold(ctx, []cas.Digest{d}, true); err != nil {
			return n, err
		}
		n++
	}
	for _, x := range states {
		if x.st.ActiveHolds > 0 {
			continue
		}
		if live, err := s.live(x.id); err != nil || !live {
			if err != nil {
				return n, err
			}
			continue
		}
		ds, err := s.digests(ctx, x.st.Tenant, x.id)
		if err != nil {
			return n, err
		}
		for _, d := range ds {
			if held[d] {
				continue
			}
			if err := s.legalHold(ctx, []cas.Digest{d}, false); err != nil {
				return n, err
			}
			n++
		}
	}
	tenants, err := s.cat.Tenants(ctx)
	if err != nil {
		return n, err
	}
	now := s.now()
	for _, tenant := range tenants {
		cursor := ""
		for {
			page, next, err := s.cat.PackagesWhere(ctx, tenant, func(p *catalog.Package) (bool, error) {
				return p.Retention.Mode == catalog.ModeCompliance, nil
			}, cursor, 0)
			if err != nil {
				return n, err
			}
			for i := range page {
				p := &page[i]
				st, err := s.state(p.ID)
				if err != nil {
					return n, err
				}
				exp := expiry(p, st)
				live, err := s.live(p.ID)
				if err != nil {
					return n, err
				}
				if !live || exp == nil || !exp.After(now) {
					continue
				}
				ds, err := s.digests(ctx, tenant, p.ID)
				if err != nil {
					return n, err
				}
				if err := s.retain(ctx, p, exp, ds); err != nil {
					return n, err
				}
				n += len(ds)
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	return n, nil
}

// live says whether package id has not been deleted (or was restored).
func (s *Service) live(id string) (bool, error) {
	d, err := s.deletion(id)
	return !d.Gone(), err
}
