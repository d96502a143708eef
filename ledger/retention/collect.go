package retention

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Collection of unreferenced blobs: bytes in the store that no file or
// object of the catalog references (cat/blob/<hex> absent), left by an
// upload whose entry the log rejected or that the process died before
// appending. They go the way of a deleted package's bytes, logged:
// deletion.collected (global, tenant "") names them, then they move to the
// store's trash; after the grace period deletion.collected_purged removes
// them for good, or keeps those that an upload of the same bytes has
// referenced meanwhile. Blobs written within the safety age (CollectAge,
// 24 hours by default) are left alone: they may belong to an upload in
// flight whose entry is not appended yet.

// Entry types of the collection of unreferenced blobs.
const (
	TypeDeletionCollected = "deletion.collected"
	TypeCollectionPurged  = "deletion.collected_purged"
)

// DefaultCollectAge is how long a blob must have been in the store,
// unreferenced, before a collection takes it.
const DefaultCollectAge = 24 * time.Hour

// maxCollect bounds the blobs one deletion.collected entry names.
const maxCollect = 1000

// prefixCollected holds ret/coll/<sha256 hex>: Collected, for each
// collected blob until its collection is purged.
const prefixCollected = "ret/coll/"

func collectedKey(hex string) []byte { return []byte(prefixCollected + hex) }

// CollectedBlob is one blob a collection takes.
type CollectedBlob struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// DeletionCollected is the body of a deletion.collected entry: the
// unreferenced blobs collected, their bytes, the safety age they were
// older than (a Go duration) and until when they stay restorable.
type DeletionCollected struct {
	Blobs      []CollectedBlob `json:"blobs"`
	Bytes      int64           `json:"bytes"`
	MinAge     string          `json:"min_age"`
	GraceUntil time.Time       `json:"grace_until"`
}

// CollectionPurged is the body of a deletion.collected_purged entry:
// collected blobs past their grace period removed for good (Purged), and
// those referenced again meanwhile left in the store (Kept).
type CollectionPurged struct {
	Purged []string `json:"purged"`
	Kept   []string `json:"kept,omitempty"`
	Bytes  int64    `json:"bytes"`
}

// Collected is the projection of a collected blob not yet purged or kept.
type Collected struct {
	Index      uint64    `json:"index"`
	Size       int64     `json:"size"`
	GraceUntil time.Time `json:"grace_until"`
}

// CollectResult says what a collection did.
type CollectResult struct {
	Collected []CollectedBlob `json:"collected"`
	Bytes     int64           `json:"bytes"`
	Purged    []string        `json:"purged"`
	Kept      []string        `json:"kept"`
}

// applyDeletionCollected checks that the entry is global and that each blob
// is unreferenced and not collected already, then records each.
func applyDeletionCollected(tx *ledger.Tx, rec *ledger.Record) error {
	var b DeletionCollected
	if err := decode(rec, &b); err != nil {
		return err
	}
	if rec.Tenant != "" || len(b.Blobs) == 0 || len(b.Blobs) > maxCollect {
		return fmt.Errorf("%w: %s is global (no tenant) and names 1 to %d blobs", ErrInvalidBody, rec.Type, maxCollect)
	}
	if _, err := time.ParseDuration(b.MinAge); err != nil {
		return fmt.Errorf("%w: min_age: %w", ErrInvalidBody, err)
	}
	var sum int64
	for _, c := range b.Blobs {
		d, err := cas.ParseDigest(c.Digest)
		if err != nil || c.Size < 0 {
			return fmt.Errorf("%w: blob %q of size %d", ErrInvalidBody, short(c.Digest), c.Size)
		}
		if _, ok, err := catalog.BlobIn(tx, d.Hex()); err != nil || ok {
			if err == nil {
				err = fmt.Errorf("%w: blob %s is referenced", ErrChanged, c.Digest)
			}
			return err
		}
		var prev Collected
		switch err := tx.GetJSON(collectedKey(d.Hex()), &prev); {
		case err == nil:
			return fmt.Errorf("%w: blob %s was collected at index %d", ErrChanged, c.Digest, prev.Index)
		case !errors.Is(err, ledger.ErrKeyNotFound):
			return err
		}
		if err := tx.SetJSON(collectedKey(d.Hex()), Collected{Index: rec.Index, Size: c.Size, GraceUntil: b.GraceUntil}); err != nil {
			return err
		}
		sum += c.Size
	}
	if sum != b.Bytes {
		return fmt.Errorf("%w: bytes %d, the blobs sum to %d", ErrInvalidBody, b.Bytes, sum)
	}
	return nil
}

// applyCollectionPurged checks that each blob is collected and past its
// grace period, that the purged ones are still unreferenced and the kept
// ones referenced again, and forgets them.
func applyCollectionPurged(tx *ledger.Tx, rec *ledger.Record) error {
	var b CollectionPurged
	if err := decode(rec, &b); err != nil {
		return err
	}
	if rec.Tenant != "" || len(b.Purged)+len(b.Kept) == 0 {
		return fmt.Errorf("%w: %s is global (no tenant) and names at least one blob", ErrInvalidBody, rec.Type)
	}
	var sum int64
	for i, digest := range slices.Concat(b.Purged, b.Kept) {
		hex := strings.TrimPrefix(digest, "sha256:")
		var c Collected
		if err := tx.GetJSON(collectedKey(hex), &c); errors.Is(err, ledger.ErrKeyNotFound) {
			return fmt.Errorf("%w: blob %s is not collected", ErrChanged, short(digest))
		} else if err != nil {
			return err
		}
		if rec.Time.Before(c.GraceUntil) {
			return fmt.Errorf("%w: collected blob %s may be restored until %s", ErrGraceNotOver, digest, c.GraceUntil.Format(time.RFC3339))
		}
		_, referenced, err := catalog.BlobIn(tx, hex)
		if err != nil {
			return err
		}
		if purged := i < len(b.Purged); purged == referenced {
			return fmt.Errorf("%w: collected blob %s referenced %v", ErrChanged, digest, referenced)
		} else if purged {
			sum += c.Size
		}
		tx.Delete(collectedKey(hex))
	}
	if sum != b.Bytes {
		return fmt.Errorf("%w: bytes %d, the purged blobs sum to %d", ErrInvalidBody, b.Bytes, sum)
	}
	return nil
}

// Collect settles earlier collections (their blobs moved to the trash,
// those past the grace period purged, or kept when referenced again) and
// collects the blobs of the store that nothing references and that were
// written more than the safety age ago: deletion.collected first, then
// each to the trash. Every step is idempotent; a run interrupted at any
// point is finished by the next.
func (d *Deleter) Collect(ctx context.Context, actor string) (*CollectResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dater, ok := d.store.(cas.Dater)
	if d.trash == nil || !ok {
		return nil, fmt.Errorf("%w: collecting unreferenced blobs needs a trash and the times blobs were written", ErrNoTrash)
	}
	if c, ok := d.store.(cas.TrashChecker); ok {
		if err := c.CheckTrash(ctx); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNoTrash, err)
		}
	}
	now := d.svc.now().UTC()
	res := &CollectResult{Collected: []CollectedBlob{}, Purged: []string{}, Kept: []string{}}
	if err := d.settle(ctx, actor, now, res); err != nil {
		return res, err
	}
	var found []CollectedBlob
	err := d.store.Walk(ctx, func(dg cas.Digest) error {
		if ok, err := d.collectable(ctx, dater, dg, now); err != nil || !ok {
			return err
		}
		info, err := d.store.Head(ctx, dg)
		if errors.Is(err, cas.ErrNotFound) {
			return nil
		}
		found = append(found, CollectedBlob{Digest: dg.String(), Size: info.Size})
		return err
	})
	if err != nil {
		return res, err
	}
	for batch := range slices.Chunk(found, maxCollect) {
		body := DeletionCollected{Blobs: batch, MinAge: d.collectAge.String(), GraceUntil: now.Add(d.grace)}
		for _, c := range batch {
			body.Bytes += c.Size
		}
		if _, err := d.svc.log.AppendJSON(ctx, TypeDeletionCollected, actor, "", body); err != nil {
			return res, err
		}
		for _, c := range batch {
			if err := d.toTrash(ctx, c.Digest); err != nil {
				return res, err
			}
		}
		res.Collected = append(res.Collected, batch...)
		res.Bytes += body.Bytes
	}
	return res, nil
}

// collectable says whether blob dg is unreferenced, not collected yet and
// older than the safety age at now.
func (d *Deleter) collectable(ctx context.Context, dater cas.Dater, dg cas.Digest, now time.Time) (bool, error) {
	if _, ok, err := d.svc.cat.Blob(dg.Hex()); err != nil || ok {
		return false, err
	}
	if ok, err := d.svc.projection(collectedKey(dg.Hex()), &Collected{}); err != nil || ok {
		return false, err
	}
	w, err := dater.Written(ctx, dg)
	if errors.Is(err, cas.ErrNotFound) {
		return false, nil
	}
	return err == nil && now.Sub(w) >= d.collectAge, err
}

// toTrash moves the collected blob digest to the trash unless an upload
// referenced the same bytes meanwhile, in which case it is brought back.
func (d *Deleter) toTrash(ctx context.Context, digest string) error {
	dg, err := cas.ParseDigest(digest)
	if err != nil {
		return err
	}
	if err := d.trash.Trash(ctx, dg); err != nil && !errors.Is(err, cas.ErrNotFound) {
		return err
	}
	// An upload of the same bytes may have found them in the store just
	// before the move and appended its entry since: look again.
	if _, ok, err := d.svc.cat.Blob(dg.Hex()); err != nil || !ok {
		return err
	}
	if err := d.trash.Untrash(ctx, dg); err != nil && !errors.Is(err, cas.ErrNotFound) {
		return err
	}
	return nil
}

// settle goes over the collected blobs not yet purged: those within the
// grace period are moved to the trash again (finishing a collection cut
// short) or back when referenced; those past it are purged, or kept when
// referenced, and deletion.collected_purged says which.
func (d *Deleter) settle(ctx context.Context, actor string, now time.Time, res *CollectResult) error {
	var body CollectionPurged
	var pending []string
	err := d.svc.log.ScanProjections(ctx, []byte(prefixCollected), nil, func(k, v []byte) (bool, error) {
		var c Collected
		if err := jsonUnmarshal(v, &c); err != nil {
			return false, err
		}
		digest := "sha256:" + string(k[len(prefixCollected):])
		if now.Before(c.GraceUntil) {
			pending = append(pending, digest)
			return true, nil
		}
		_, referenced, err := d.svc.cat.Blob(strings.TrimPrefix(digest, "sha256:"))
		if referenced {
			body.Kept = append(body.Kept, digest)
		} else {
			body.Purged = append(body.Purged, digest)
			body.Bytes += c.Size
		}
		return len(body.Purged)+len(body.Kept) < maxCollect, err
	})
	if err != nil {
		return err
	}
	for _, digest := range pending {
		if err := d.toTrash(ctx, digest); err != nil {
			return err
		}
	}
	for _, digest := range slices.Concat(body.Kept, body.Purged) {
		dg, err := cas.ParseDigest(digest)
		if err != nil {
			return err
		}
		if slices.Contains(body.Kept, digest) {
			err = d.trash.Untrash(ctx, dg)
		} else {
			err = d.trash.Purge(ctx, dg)
		}
		if err != nil && !errors.Is(err, cas.ErrNotFound) {
			return fmt.Errorf("%w: collected blob %s: %w", catalog.ErrStore, digest, err)
		}
	}
	if len(body.Purged)+len(body.Kept) == 0 {
		return nil
	}
	if body.Purged == nil {
		body.Purged = []string{}
	}
	if _, err := d.svc.log.AppendJSON(ctx, TypeCollectionPurged, actor, "", body); err != nil {
		return err
	}
	res.Purged, res.Kept = append(res.Purged, body.Purged...), append(res.Kept, body.Kept...)
	return nil
}

// FileAdded is the catalog's hook after a file.added entry is durable: when
// the file's blob was collected (an upload reused bytes a collection is
// moving to the trash), it brings the bytes back at once, then it applies
// the store locks (Service.FileAdded). Collect's own second look covers
// the other order.
func (d *Deleter) FileAdded(ctx context.Context, tenant string, f *catalog.File) error {
	if err := d.reclaim(ctx, f.Digest); err != nil {
		return err
	}
	return d.svc.FileAdded(ctx, tenant, f)
}

// ObjectPut is the catalog's hook after an object.put entry is durable:
// it brings back the object's blob if a collection took it, as FileAdded.
func (d *Deleter) ObjectPut(ctx context.Context, _ string, o *catalog.Object) error {
	return d.reclaim(ctx, o.Digest)
}

// reclaim brings the blob digest back from the trash when a collection
// took it and an entry now references it.
func (d *Deleter) reclaim(ctx context.Context, digest string) error {
	dg, err := cas.ParseDigest(digest)
	if err != nil {
		return err
	}
	collected, err := d.svc.projection(collectedKey(dg.Hex()), &Collected{})
	if err != nil || !collected || d.trash == nil {
		return err
	}
	if err := d.trash.Untrash(ctx, dg); err != nil && !errors.Is(err, cas.ErrNotFound) {
		return fmt.Errorf("%w: bring back collected blob %s: %w", catalog.ErrStore, digest, err)
	}
	return nil
}
