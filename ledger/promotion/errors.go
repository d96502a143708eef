package promotion

import (
	"errors"

	"github.com/assay-ledger/assay/ledger"
)

// Sentinel errors of the promotion gate. Module lists each with its kind
// and problem slug.
var (
	// ErrSourceNotRaw refuses a source outside zone raw.
	ErrSourceNotRaw = errors.New("promotion source must be in zone raw")
	// ErrDestinationNotGolden refuses a destination that is not a golden prefix.
	ErrDestinationNotGolden = errors.New("promotion destination must be a prefix in zone golden")
	// ErrUnknownTier refuses a tier the server does not configure.
	ErrUnknownTier = errors.New("unknown promotion tier")
	// ErrSourceNotFound reports a source that matches none of the caller's objects.
	ErrSourceNotFound = errors.New("promotion source matches no object")
	// ErrPromotionNotFound reports an unknown promotion id (or another tenant's).
	ErrPromotionNotFound = errors.New("promotion not found")
	// ErrItemNotFound reports an unknown quarantine id (or another tenant's).
	ErrItemNotFound = errors.New("quarantine item not found")
	// ErrDecided refuses a decision on a quarantine item already decided.
	ErrDecided = errors.New("quarantine item already decided")
	// ErrReviewerIsProducer refuses a review by the producer who landed the object.
	ErrReviewerIsProducer = errors.New("the reviewer landed the object (separation of duties)")
	// ErrInvalidReason refuses a decision without a reason code.
	ErrInvalidReason = errors.New("invalid reason code")
	// ErrInvalidRequest reports a request with a malformed member.
	ErrInvalidRequest = errors.New("invalid promotion request")
	// ErrCannotMask refuses the approval of a tier masked item whose bytes
	// cannot be masked (unreadable, too large, invalid JSON): only a
	// masked copy may reach golden through tier masked.
	ErrCannotMask = errors.New("the quarantined object cannot be masked")
	// ErrNotFinished refuses a retry of a promotion still in progress.
	ErrNotFinished = errors.New("promotion not finished")
	// ErrNothingToRetry refuses a retry of a promotion with no quarantined
	// object awaiting review.
	ErrNothingToRetry = errors.New("promotion has no quarantined object to retry")
	// ErrDecidedTwice refuses a second check or outcome for an object of a
	// promotion (a racing or replayed duplicate).
	ErrDecidedTwice = errors.New("object already decided in this promotion")
	// ErrInvalidBody reports a promotion entry no Service writes (a
	// hostile bundle, a bug).
	ErrInvalidBody = errors.New("invalid promotion entry body")
)

func errorSpecs() []ledger.ErrorSpec {
	return []ledger.ErrorSpec{
		{Err: ErrSourceNotRaw, Kind: ledger.KindInvalid, Slug: "promotion-source-not-raw", Title: "Source outside zone raw"},
		{Err: ErrOutsideLayout, Kind: ledger.KindInvalid, Slug: "promotion-destination-outside-layout", Title: "Destination outside the golden layout"},
		{Err: ErrDestinationNotGolden, Kind: ledger.KindInvalid, Slug: "promotion-destination-not-golden", Title: "Destination outside zone golden"},
		{Err: ErrUnknownTier, Kind: ledger.KindInvalid, Slug: "promotion-unknown-tier", Title: "Unknown promotion tier"},
		{Err: ErrSourceNotFound, Kind: ledger.KindNotFound, Slug: "promotion-source-empty", Title: "Source matches no object"},
		{Err: ErrPromotionNotFound, Kind: ledger.KindNotFound, Slug: "promotion-not-found", Title: "Promotion not found"},
		{Err: ErrPermissionNotFound, Kind: ledger.KindNotFound, Slug: "permission-not-found", Title: "Permission not found"},
		{Err: ErrItemNotFound, Kind: ledger.KindNotFound, Slug: "quarantine-item-not-found", Title: "Quarantine item not found"},
		{Err: ErrDecided, Kind: ledger.KindConflict, Slug: "quarantine-decided", Title: "Quarantine item already decided"},
		{Err: ErrReviewerIsProducer, Kind: ledger.KindForbidden, Slug: "reviewer-is-producer", Title: "Reviewer landed the object"},
		{Err: ErrCannotMask, Kind: ledger.KindConflict, Slug: "quarantine-cannot-mask", Title: "Quarantined object cannot be masked"},
		{Err: ErrInvalidReason, Kind: ledger.KindInvalid, Slug: "quarantine-invalid-reason", Title: "Invalid reason code"},
		{Err: ErrInvalidRequest, Kind: ledger.KindInvalid, Slug: "promotion-invalid-request", Title: "Invalid promotion request"},
		{Err: ErrNotFinished, Kind: ledger.KindConflict, Slug: "promotion-not-finished", Title: "Promotion not finished"},
		{Err: ErrNothingToRetry, Kind: ledger.KindConflict, Slug: "promotion-nothing-to-retry", Title: "Nothing to retry"},
		{Err: ErrDecidedTwice, Kind: ledger.KindConflict, Slug: "promotion-decided-twice", Title: "Object already decided"},
		{Err: ErrInvalidBody, Kind: ledger.KindInvalid, Slug: "promotion-invalid-entry", Title: "Invalid promotion entry"},
	}
}
