package retention

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// DeleterConfig configures a Deleter. Service and Store are required.
type DeleterConfig struct {
	Service *Service
	Store   cas.Store // must implement cas.Trasher for deletions to run
	// Grace is how long deleted bytes stay restorable in the trash;
	// DefaultGrace when zero.
	Grace time.Duration
	// CollectAge is the safety age of Collect: an unreferenced blob
	// written more recently is left alone, as it may belong to an upload
	// in flight. DefaultCollectAge when zero.
	CollectAge time.Duration
}

// Deleter deletes packages in two phases, restores them within the grace
// period and purges them after it. Its operations run one at a time (a
// mutex), so that a purge never races a restore of a package sharing its
// blobs; each appends its entries through the log, whose Appliers check
// them again.
//
// The order of a deletion: deletion.started (the package and its freed
// blobs; from here on its bytes are not served), each freed blob moved to
// the store's trash, deletion.completed. A crash in between leaves a
// pending deletion that Resume finishes. A restore moves the bytes back
// first and appends deletion.reversed second; a purge removes the bytes
// first and appends deletion.purged second: a crash between leaves bytes
// in the store or a deletion still purgeable, never a live package
// without its bytes.
type Deleter struct {
	svc   *Service
	store cas.Store
	trash cas.Trasher // nil: the store has none
	grace time.Duration
	// collectAge is the safety age of Collect.
	collectAge time.Duration
	mu         sync.Mutex
}

// NewDeleter returns a Deleter as cfg says.
func NewDeleter(cfg DeleterConfig) (*Deleter, error) {
	if cfg.Service == nil || cfg.Store == nil {
		return nil, errors.New("retention: DeleterConfig.Service and Store are required")
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.CollectAge <= 0 {
		cfg.CollectAge = DefaultCollectAge
	}
	t, _ := cfg.Store.(cas.Trasher)
	return &Deleter{svc: cfg.Service, store: cfg.Store, trash: t, grace: cfg.Grace, collectAge: cfg.CollectAge}, nil
}

// Grace returns the grace period of deleted bytes.
func (d *Deleter) Grace() time.Duration { return d.grace }

// DeleteRequest asks to delete a package. Admin is set when the caller
// holds retention:admin, which allows deleting a governance-mode package
// before its expiry.
type DeleteRequest struct {
	Reason string
	Admin  bool
}

// Delete deletes the tenant's package id: deletion.started, its freed
// blobs to the trash, deletion.completed. It returns the deletion as it
// ended (deleted, or failed with what remains in the store).
func (d *Deleter) Delete(ctx context.Context, actor, tenant, id string, req DeleteRequest) (*Deletion, error) {
	if err := checkText("reason", req.Reason, true, MaxReason); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.svc
	p, err := s.cat.Package(tenant, id)
	if err != nil {
		return nil, err
	}
	st, err := s.state(id)
	if err != nil {
		return nil, err
	}
	del, err := s.deletion(id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if err := checkDeletable(p, st, del, now, req.Admin); err != nil {
		return nil, err
	}
	if d.trash == nil {
		return nil, ErrNoTrash
	}
	if c, ok := d.store.(cas.TrashChecker); ok {
		if err := c.CheckTrash(ctx); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoTrash, err)
		}
	}
	blobs, bytes, err := s.blobRefs(ctx, p)
	if err != nil {
		return nil, err
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	exp := expiry(p, st)
	body := DeletionStarted{PackageID: id, Reason: req.Reason, Early: exp == nil || exp.After(now), ExpiresAt: exp,
		Blobs: blobs, Bytes: bytes, GraceUntil: now.Add(d.grace), PolicyIndex: pol}
	if _, err := s.log.AppendJSON(ctx, TypeDeletionStarted, actor, tenant, body); err != nil {
		return nil, err
	}
	if del, err = s.deletion(id); err != nil {
		return nil, err
	}
	return d.finish(ctx, actor, del)
}

// finish moves the freed blobs of the started deletion del to the trash
// and appends its end: deletion.completed, or deletion.failed when the
// store refused a move. Every step is idempotent, so Resume calls it again
// after a crash.
func (d *Deleter) finish(ctx context.Context, actor string, del *Deletion) (*Deletion, error) {
	s := d.svc
	var missing, remaining []string
	var failure error
	trashed := 0
	for _, r := range del.Blobs {
		if !r.Freed {
			continue
		}
		if failure != nil {
			remaining = append(remaining, r.Digest)
			continue
		}
		live, err := s.liveRefs(r.Digest)
		if err != nil {
			return nil, err
		}
		if live > 0 { // the same bytes were put again meanwhile: keep them
			continue
		}
		dg, err := cas.ParseDigest(r.Digest)
		if err != nil {
			return nil, err
		}
		switch err := d.trash.Trash(ctx, dg); {
		case err == nil:
			trashed++
		case errors.Is(err, cas.ErrNotFound):
			missing = append(missing, r.Digest)
		default:
			failure = err
			remaining = append(remaining, r.Digest)
		}
	}
	var err error
	if failure != nil {
		_, err = s.log.AppendJSON(ctx, TypeDeletionFailed, actor, del.Tenant, DeletionFailed{PackageID: del.PackageID,
			StartedIndex: del.StartedIndex, Error: failure.Error(), Remaining: remaining})
	} else {
		_, err = s.log.AppendJSON(ctx, TypeDeletionCompleted, actor, del.Tenant, DeletionCompleted{PackageID: del.PackageID,
			StartedIndex: del.StartedIndex, Trashed: trashed, Missing: missing})
	}
	if err != nil {
		return nil, err
	}
	return s.deletion(del.PackageID)
}

// liveRefs is how many live objects reference the blob digest now.
func (s *Service) liveRefs(digest string) (int, error) {
	hex := strings.TrimPrefix(digest, "sha256:")
	b, _, err := s.cat.Blob(hex)
	if err != nil {
		return 0, err
	}
	c, err := s.blobCount(hex)
	if err != nil {
		return 0, err
	}
	return b.Refs - c.Deleted - c.Purged, nil
}

// Resume finishes every deletion that started and did not end (the
// server stopped in the middle) and returns how many it finished. The
// server calls it on startup.
func (d *Deleter) Resume(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	err := d.svc.log.ScanProjections(ctx, []byte(prefixPending), nil, func(k, _ []byte) (bool, error) {
		ids = append(ids, string(k[len(prefixPending):]))
		return true, nil
	})
	if err != nil {
		return 0, err
	}
	if len(ids) > 0 && d.trash == nil {
		return 0, ErrNoTrash
	}
	for i, id := range ids {
		del, err := d.svc.deletion(id)
		if err != nil {
			return i, err
		}
		if del == nil || del.State != StateStarted {
			return i, fmt.Errorf("pending deletion of %s is in state %v", id, del)
		}
		if _, err := d.finish(ctx, "system", del); err != nil {
			return i, fmt.Errorf("resume the deletion of %s: %w", id, err)
		}
	}
	return len(ids), nil
}

// Restore brings the bytes of the tenant's deleted package id back from
// the trash, then appends deletion.reversed.
func (d *Deleter) Restore(ctx context.Context, actor, tenant, id, reason string) (*Deletion, error) {
	if err := checkText("reason", reason, true, MaxReason); err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.svc
	del, err := s.Deletion(tenant, id)
	if err != nil {
		return nil, err
	}
	switch {
	case del != nil && del.State == StatePurged:
		return nil, &GoneError{Err: ErrPurged, PackageID: id, Index: del.PurgedIndex}
	case del == nil || del.State == StateRestored:
		return nil, fmt.Errorf("%w: %s", ErrNotDeleted, id)
	case del.State == StateStarted:
		return nil, fmt.Errorf("%w: the deletion of %s is still in progress", ErrNotDeleted, id)
	}
	if d.trash == nil {
		return nil, ErrNoTrash
	}
	// Every blob of the package, not only the ones this deletion freed:
	// another deletion may have trashed a blob it shares.
	for _, r := range del.Blobs {
		dg, err := cas.ParseDigest(r.Digest)
		if err != nil {
			return nil, err
		}
		if err := d.trash.Untrash(ctx, dg); errors.Is(err, cas.ErrNotFound) {
			return nil, &GoneError{Err: ErrPurged, PackageID: id, Index: del.StartedIndex}
		} else if err != nil {
			return nil, fmt.Errorf("%w: restore %s: %w", catalog.ErrStore, r.Digest, err)
		}
	}
	if _, err := s.log.AppendJSON(ctx, TypeDeletionReversed, actor, tenant, DeletionReversed{PackageID: id,
		StartedIndex: del.StartedIndex, Reason: reason}); err != nil {
		return nil, err
	}
	return s.deletion(id)
}
