package retention

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// SweepResult is what a sweep did, or with DryRun what it would do.
type SweepResult struct {
	AsOf   time.Time `json:"as_of"`
	DryRun bool      `json:"dry_run"`
	// Eligible are the packages past their expiry with no active hold and
	// not deleted; Announced says which got their
	// retention.deletion_eligible entry now, or with DryRun would get it
	// (the others had one before).
	Eligible []SweptPackage `json:"eligible"`
	// BytesFreed is what deleting every eligible package would free, each
	// shared blob counted once and blobs still referenced by a live
	// package or object not at all.
	BytesFreed int64 `json:"bytes_freed"`
	// Purged are the deletions purged now (past their grace period); with
	// DryRun, those a purge would take.
	Purged []Purged `json:"purged"`
}

// SweptPackage is one eligible package of a sweep.
type SweptPackage struct {
	PackageID     string    `json:"package_id"`
	ExpiresAt     time.Time `json:"expires_at"`
	Announced     bool      `json:"announced"`
	EligibleIndex uint64    `json:"eligible_index,omitempty"`
}

// Purged is one purged deletion.
type Purged struct {
	PackageID    string   `json:"package_id"`
	StartedIndex uint64   `json:"started_index"`
	PurgedIndex  uint64   `json:"purged_index,omitempty"`
	Blobs        []string `json:"blobs"`
	Bytes        int64    `json:"bytes"`
}

// Sweep announces, once per package, each of the tenant's packages past
// its expiry with no active hold (retention.deletion_eligible), then
// purges the tenant's deletions past their grace period. With dryRun it
// appends and removes nothing and answers what it would do, with the
// bytes deleting every eligible package would free after deduplication.
func (d *Deleter) Sweep(ctx context.Context, actor, tenant string, dryRun bool) (*SweepResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.svc
	now := s.now().UTC()
	res := &SweepResult{AsOf: now, DryRun: dryRun, Eligible: []SweptPackage{}, Purged: []Purged{}}
	var eligiblePkgs []*catalog.Package
	_, _, err := s.cat.PackagesWhere(ctx, tenant, func(p *catalog.Package) (bool, error) {
		st, err := s.state(p.ID)
		if err != nil || !eligible(p, st, now) {
			return false, err
		}
		del, err := s.deletion(p.ID)
		if err != nil || del.Gone() {
			return false, err
		}
		sp := SweptPackage{PackageID: p.ID, ExpiresAt: *expiry(p, st)}
		switch _, err := s.log.Projection(eligibleKey(p.ID)); {
		case errors.Is(err, ledger.ErrKeyNotFound):
			sp.Announced = true // now, or with dryRun by a sweep
		case err != nil:
			return false, err
		}
		res.Eligible = append(res.Eligible, sp)
		eligiblePkgs = append(eligiblePkgs, p)
		return false, nil
	}, "", -1)
	if err != nil {
		return nil, err
	}
	if res.BytesFreed, err = d.freedTogether(ctx, eligiblePkgs); err != nil {
		return nil, err
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	if !dryRun {
		if err := d.announce(ctx, actor, tenant, pol, res.Eligible); err != nil {
			return nil, err
		}
	}
	if res.Purged, err = d.purge(ctx, actor, tenant, now, dryRun); err != nil {
		return nil, err
	}
	return res, nil
}

// announcers is how many retention.deletion_eligible entries a sweep
// appends at once: the log commits concurrent appends in one batch (group
// commit), so a sweep that finds many packages waits for a few commits,
// not one per package (a sweep announcing 10,000 of 20,000 packages took
// 12.2 s one append at a time; see make bench for the figure now).
const announcers = 64

// announce appends retention.deletion_eligible for each package of
// eligible marked Announced, announcers at a time, and sets its
// EligibleIndex. Each entry is independent of the others, so their order
// in the log does not matter.
func (d *Deleter) announce(ctx context.Context, actor, tenant string, pol *uint64, eligible []SweptPackage) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, announcers)
	)
	for i := range eligible {
		sp := &eligible[i]
		if !sp.Announced {
			continue
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			exp := sp.ExpiresAt
			a, err := d.svc.log.AppendJSON(ctx, TypeDeletionEligible, actor, tenant, DeletionEligible{PackageID: sp.PackageID, ExpiresAt: &exp, PolicyIndex: pol})
			if err != nil {
				mu.Lock()
				first = cmp.Or(first, fmt.Errorf("announce %s: %w", sp.PackageID, err))
				mu.Unlock()
				return
			}
			sp.EligibleIndex = a.Record.Index
		}()
	}
	wg.Wait()
	return first
}

// freedTogether is what deleting every package of pkgs would free: each
// distinct blob once, when no other live reference is left.
func (d *Deleter) freedTogether(ctx context.Context, pkgs []*catalog.Package) (int64, error) {
	refs, sizes := map[string]int{}, map[string]int64{}
	for _, p := range pkgs {
		blobs, _, err := d.svc.blobRefs(ctx, p)
		if err != nil {
			return 0, err
		}
		for _, r := range blobs {
			refs[r.Digest] += r.Refs
			sizes[r.Digest] = r.Size
		}
	}
	var total int64
	for digest, n := range refs {
		live, err := d.svc.liveRefs(digest)
		if err != nil {
			return 0, err
		}
		if live == n {
			total += sizes[digest]
		}
	}
	return total, nil
}

// Purge removes for good the trashed bytes of the tenant's deletions past
// their grace period ("" for every tenant's: the periodic sweeper) and
// appends deletion.purged for each.
func (d *Deleter) Purge(ctx context.Context, actor, tenant string) ([]Purged, error) {
	p, _, err := d.PurgeNow(ctx, actor, tenant)
	return p, err
}

// PurgeNow is Purge, also returning the time it judged the grace periods
// by.
func (d *Deleter) PurgeNow(ctx context.Context, actor, tenant string) ([]Purged, time.Time, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.svc.now().UTC()
	p, err := d.purge(ctx, actor, tenant, now, false)
	return p, now, err
}

func (d *Deleter) purge(ctx context.Context, actor, tenant string, now time.Time, dryRun bool) ([]Purged, error) {
	s := d.svc
	policy, err := s.log.Policy()
	if err != nil {
		return nil, err
	}
	var due []*Deletion
	err = s.log.ScanProjections(ctx, []byte(prefixDeletion), nil, func(_, v []byte) (bool, error) {
		var del Deletion
		if err := jsonUnmarshal(v, &del); err != nil {
			return false, err
		}
		if del.State != StateDeleted || tenant != "" && del.Tenant != tenant {
			return true, nil
		}
		at, err := purgeableAt(&del, policy)
		if err == nil && !now.Before(at) {
			due = append(due, &del)
		}
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	out := []Purged{}
	if len(due) > 0 && d.trash == nil && !dryRun {
		return nil, ErrNoTrash
	}
	for _, del := range due {
		blobs, bytes, err := purgeable(del, func(hex string) (catalog.Blob, blobCount, error) {
			b, _, err := s.cat.Blob(hex)
			if err != nil {
				return b, blobCount{}, err
			}
			c, err := s.blobCount(hex)
			return b, c, err
		})
		if err != nil {
			return nil, err
		}
		pg := Purged{PackageID: del.PackageID, StartedIndex: del.StartedIndex, Blobs: blobs, Bytes: bytes}
		if pg.Blobs == nil {
			pg.Blobs = []string{}
		}
		if !dryRun {
			if err := d.removeTrashed(ctx, del, blobs); err != nil {
				return nil, err
			}
			a, err := s.log.AppendJSON(ctx, TypeDeletionPurged, actor, del.Tenant, DeletionPurged{PackageID: del.PackageID,
				StartedIndex: del.StartedIndex, Purged: pg.Blobs, Bytes: bytes})
			if err != nil {
				return nil, fmt.Errorf("purge %s: %w", del.PackageID, err)
			}
			pg.PurgedIndex = a.Record.Index
		}
		out = append(out, pg)
	}
	return out, nil
}

// removeTrashed removes from the trash the blobs of del whose every
// reference is purged (gone), and the trashed copies of its freed blobs
// that the store holds again. A freed blob that a live object references
// but the store lacks (put again while its deletion was moving it) comes
// back from the trash instead: nothing live loses a byte.
func (d *Deleter) removeTrashed(ctx context.Context, del *Deletion, gone []string) error {
	for _, r := range del.Blobs {
		dg, err := cas.ParseDigest(r.Digest)
		if err != nil {
			return err
		}
		live, err := d.svc.liveRefs(r.Digest)
		if err != nil {
			return err
		}
		switch {
		case live > 0:
			err = d.trash.Untrash(ctx, dg) // the store's copy wins; a trashed one goes
			if errors.Is(err, cas.ErrNotFound) {
				err = nil // in neither: scrub reports it
			}
		case slices.Contains(gone, r.Digest):
			err = d.trash.Purge(ctx, dg)
		}
		if err != nil {
			return fmt.Errorf("%w: purge %s: %w", catalog.ErrStore, r.Digest, err)
		}
	}
	return nil
}
