package retention

import (
	"errors"
	"fmt"
	"time"

	"github.com/assay-ledger/assay/ledger"
)

// Sentinel errors of the retention domain. Appliers and the Service return
// them wrapped; Module lists each with its kind and problem slug. An
// unknown package (or another tenant's) is catalog.ErrPackageNotFound.
var (
	// ErrNotLater refuses an extension that does not move the expiry
	// later (an ExpiryError names both dates).
	ErrNotLater = errors.New("retention can only be extended to a later expiry")
	// ErrPast refuses an extension to a time already past (an
	// ExpiryError names both dates).
	ErrPast = errors.New("retention cannot be extended to a time already past")
	// ErrPermanent refuses an extension of a package kept forever.
	ErrPermanent = errors.New("package is kept forever: it has no expiry to extend")
	// ErrChanged refuses an extension decided on an expiry that another
	// extension has moved meanwhile; the caller may retry.
	ErrChanged = errors.New("retention changed meanwhile")
	// ErrHoldNotFound reports a hold id the package does not have.
	ErrHoldNotFound = errors.New("legal hold not found")
	// ErrHoldReleased refuses to release a hold that is already released.
	ErrHoldReleased = errors.New("legal hold already released")
	// ErrReasonRequired refuses a decision without a reason.
	ErrReasonRequired = errors.New("reason required")
	// ErrInvalidRequest reports a request that is well-formed JSON but
	// asks for something malformed (both or neither of expires_at and
	// duration, a bad date, a field too long).
	ErrInvalidRequest = errors.New("invalid retention request")
	// ErrMalformedJSON reports a request body that is not one JSON object.
	ErrMalformedJSON = errors.New("malformed JSON")
	// ErrUnknownField reports a request member that is not defined.
	ErrUnknownField = errors.New("unknown field")
	// ErrInvalidBody reports a retention entry body that no Service
	// writes (a hostile bundle, a bug).
	ErrInvalidBody = errors.New("invalid retention entry body")
)

// ExpiryError is a refused extension with the two dates it compares: the
// expiry in force, or the entry's time for ErrPast, and the requested one.
type ExpiryError struct {
	Err       error // ErrNotLater or ErrPast
	Current   time.Time
	Requested time.Time
}

func (e *ExpiryError) Error() string {
	against := "the current expiry"
	if errors.Is(e.Err, ErrPast) {
		against = "now"
	}
	return fmt.Sprintf("%v: requested %s, %s is %s", e.Err, e.Requested.UTC().Format(time.RFC3339Nano), against,
		e.Current.UTC().Format(time.RFC3339Nano))
}

func (e *ExpiryError) Unwrap() error { return e.Err }

// expiryDetails are the problem members of an ExpiryError.
func expiryDetails(err error) map[string]any {
	e, ok := errors.AsType[*ExpiryError](err)
	if !ok {
		return nil
	}
	key := "current_expires_at"
	if errors.Is(e.Err, ErrPast) {
		key = "now"
	}
	return map[string]any{key: e.Current.UTC().Format(time.RFC3339Nano), "requested_expires_at": e.Requested.UTC().Format(time.RFC3339Nano)}
}

func errorSpecs() []ledger.ErrorSpec {
	return []ledger.ErrorSpec{
		{Err: ErrNotLater, Kind: ledger.KindConflict, Slug: "retention-not-later", Title: "Expiry not later", Details: expiryDetails},
		{Err: ErrPast, Kind: ledger.KindConflict, Slug: "retention-in-past", Title: "Expiry in the past", Details: expiryDetails},
		{Err: ErrPermanent, Kind: ledger.KindConflict, Slug: "retention-permanent", Title: "Package kept forever"},
		{Err: ErrChanged, Kind: ledger.KindConflict, Slug: "retention-changed", Title: "Retention changed meanwhile"},
		{Err: ErrHoldNotFound, Kind: ledger.KindNotFound, Slug: "hold-not-found", Title: "Legal hold not found"},
		{Err: ErrHoldReleased, Kind: ledger.KindConflict, Slug: "hold-released", Title: "Legal hold already released"},
		{Err: ErrReasonRequired, Kind: ledger.KindInvalid, Slug: "retention-reason-required", Title: "Reason required"},
		{Err: ErrInvalidRequest, Kind: ledger.KindInvalid, Slug: "retention-invalid-request", Title: "Invalid retention request"},
		{Err: ErrMalformedJSON, Kind: ledger.KindInvalid, Slug: "retention-malformed-json", Title: "Malformed JSON"},
		{Err: ErrUnknownField, Kind: ledger.KindInvalid, Slug: "retention-unknown-field", Title: "Unknown field"},
		{Err: ErrInvalidBody, Kind: ledger.KindInvalid, Slug: "retention-invalid-entry", Title: "Invalid retention entry"},
		{Err: ErrLockPending, Kind: ledger.KindUnavailable, Slug: "retention-lock-pending", Title: "Recorded; the store lock is pending",
			Details: lockPendingDetails},
	}
}

// ErrLockPending reports an entry that is recorded while the store lock it
// decides (S3 Object Lock retention or legal hold) could not be applied:
// the decision stands, and the lock is applied again at the next start.
// Repeating the request would record it twice.
var ErrLockPending = errors.New("recorded, but the store lock is pending")

// LockPendingError is ErrLockPending for the entry at Index (What names
// it), with the store's error.
type LockPendingError struct {
	What  string
	Index uint64
	Err   error
}

func (e *LockPendingError) Error() string {
	return fmt.Sprintf("%s is recorded at index %d, but the store did not lock its bytes (applied again at the next start): %v",
		e.What, e.Index, e.Err)
}

// Unwrap is ErrLockPending only, so that the store's own sentinels (such
// as cas.ErrUnavailable) do not pick another problem type.
func (e *LockPendingError) Unwrap() error { return ErrLockPending }

// lockPendingDetails names the recorded entry's index.
func lockPendingDetails(err error) map[string]any {
	e, ok := errors.AsType[*LockPendingError](err)
	if !ok {
		return nil
	}
	return map[string]any{"recorded_index": e.Index}
}
