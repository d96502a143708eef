package retention

import (
	"errors"
	"fmt"
	"time"

	"github.com/assay-ledger/assay/ledger"
)

// Sentinel errors of deletion; deletionErrorSpecs lists each with its kind
// and problem slug.
var (
	// ErrNotExpired refuses to delete a package before its expiry (a
	// governance-mode one may be deleted early by retention:admin).
	ErrNotExpired = errors.New("package has not expired")
	// ErrHeld refuses to delete a package with an active legal hold.
	ErrHeld = errors.New("package is under legal hold")
	// ErrCompliance refuses early deletion of a compliance-mode package,
	// to every caller.
	ErrCompliance = errors.New("compliance mode forbids deletion before expiry")
	// ErrAlreadyDeleted refuses to delete a package that is deleted or
	// being deleted.
	ErrAlreadyDeleted = errors.New("package already deleted")
	// ErrNotDeleted refuses to restore a package that is not deleted.
	ErrNotDeleted = errors.New("package is not deleted")
	// ErrPurged refuses to restore a package whose bytes were purged.
	ErrPurged = errors.New("package's bytes were purged")
	// ErrGone answers a read of a deleted package's bytes (a GoneError
	// names the deletion's ledger index).
	ErrGone = errors.New("package deleted")
	// ErrGraceNotOver refuses to purge within the grace period.
	ErrGraceNotOver = errors.New("grace period not over")
	// ErrNoTrash reports a store that cannot set bytes aside (it does not
	// implement cas.Trasher).
	ErrNoTrash = errors.New("the content store has no trash: deletion is not supported on it")
)

// GoneError is a refused read or restore of a deleted package, with the
// ledger index of the entry that deleted (or purged) it.
type GoneError struct {
	Err       error // ErrGone or ErrPurged
	PackageID string
	Index     uint64
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("%v: package %s, ledger index %d", e.Err, e.PackageID, e.Index)
}

func (e *GoneError) Unwrap() error { return e.Err }

// goneDetails are the problem members of a GoneError.
func goneDetails(err error) map[string]any {
	e, ok := errors.AsType[*GoneError](err)
	if !ok {
		return nil
	}
	key := "deletion_index"
	if errors.Is(e.Err, ErrPurged) {
		key = "purged_index"
	}
	return map[string]any{key: e.Index, "package_id": e.PackageID}
}

// notExpiredDetails names the expiry of an ErrNotExpired refusal.
type notExpiredError struct {
	expires *time.Time
	err     error
}

func (e *notExpiredError) Error() string { return e.err.Error() }
func (e *notExpiredError) Unwrap() error { return e.err }

func notExpiredDetails(err error) map[string]any {
	e, ok := errors.AsType[*notExpiredError](err)
	if !ok || e.expires == nil {
		return nil
	}
	return map[string]any{"expires_at": e.expires.UTC().Format(time.RFC3339Nano)}
}

func deletionErrorSpecs() []ledger.ErrorSpec {
	return []ledger.ErrorSpec{
		{Err: ErrNotExpired, Kind: ledger.KindConflict, Slug: "deletion-not-expired", Title: "Package not expired", Details: notExpiredDetails},
		{Err: ErrHeld, Kind: ledger.KindConflict, Slug: "deletion-held", Title: "Package under legal hold"},
		{Err: ErrCompliance, Kind: ledger.KindForbidden, Slug: "deletion-compliance-mode", Title: "Compliance mode forbids early deletion"},
		{Err: ErrAlreadyDeleted, Kind: ledger.KindConflict, Slug: "package-deleted", Title: "Package already deleted"},
		{Err: ErrNotDeleted, Kind: ledger.KindConflict, Slug: "package-not-deleted", Title: "Package not deleted"},
		{Err: ErrPurged, Kind: ledger.KindGone, Slug: "package-purged", Title: "Package purged", Details: goneDetails},
		{Err: ErrGone, Kind: ledger.KindGone, Slug: "package-gone", Title: "Package deleted", Details: goneDetails},
		{Err: ErrGraceNotOver, Kind: ledger.KindConflict, Slug: "deletion-grace-period", Title: "Grace period not over"},
		{Err: ErrNoTrash, Kind: ledger.KindInternal, Slug: "store-no-trash", Title: "Store cannot delete reversibly"},
	}
}
