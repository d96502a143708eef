package wire

import (
	"time"

	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/retention"
)

// Problem types of the retention routes. Each bad input has its own; an
// unknown package (or another tenant's) is TypePackageNotFound.
const (
	TypeRetentionNotLater       = ProblemBase + "retention-not-later"
	TypeRetentionInPast         = ProblemBase + "retention-in-past"
	TypeRetentionPermanent      = ProblemBase + "retention-permanent"
	TypeRetentionChanged        = ProblemBase + "retention-changed"
	TypeHoldNotFound            = ProblemBase + "hold-not-found"
	TypeHoldReleased            = ProblemBase + "hold-released"
	TypeRetentionReasonRequired = ProblemBase + "retention-reason-required"
	TypeRetentionInvalidRequest = ProblemBase + "retention-invalid-request"
	TypeRetentionMalformedJSON  = ProblemBase + "retention-malformed-json"
	TypeRetentionUnknownField   = ProblemBase + "retention-unknown-field"
)

// ExtendRetentionRequest is the body of POST
// /v1/packages/{id}/retention/extensions: the new expiry (RFC 3339) or a
// period to add to the expiry in force ("30d", "1y"), not both, and why.
type ExtendRetentionRequest struct {
	ExpiresAt string `json:"expires_at,omitempty"`
	Duration  string `json:"duration,omitempty"`
	Reason    string `json:"reason"`
}

// HoldRequest is the body of POST /v1/packages/{id}/retention/holds.
type HoldRequest struct {
	Reason  string `json:"reason"`
	CaseRef string `json:"case_ref,omitempty"`
}

// ReleaseHoldRequest is the body of POST
// /v1/packages/{id}/retention/holds/{hold_id}/release.
type ReleaseHoldRequest struct {
	Reason string `json:"reason"`
}

// EligiblePage is the body of GET /v1/retention/eligible: the caller's
// packages past their expiry with no active hold at AsOf, the server's
// time.
type EligiblePage struct {
	AsOf       time.Time            `json:"as_of"`
	Packages   []retention.Eligible `json:"packages"`
	NextCursor string               `json:"next_cursor"`
}

// Problem types of deletion.
const (
	TypeDeletionNotExpired = ProblemBase + "deletion-not-expired"
	TypeDeletionHeld       = ProblemBase + "deletion-held"
	TypeDeletionCompliance = ProblemBase + "deletion-compliance-mode"
	TypePackageDeleted     = ProblemBase + "package-deleted"
	TypePackageNotDeleted  = ProblemBase + "package-not-deleted"
	TypePackagePurged      = ProblemBase + "package-purged"
	TypePackageGone        = ProblemBase + "package-gone"
)

// DeletedIndexHeader names, on the manifest of a deleted package, the
// ledger index of its deletion.started entry.
const DeletedIndexHeader = "X-Assay-Deleted-Index"

// DeleteRequest is the body of POST /v1/packages/{id}/delete.
type DeleteRequest struct {
	Reason string `json:"reason"`
}

// RestoreRequest is the body of POST /v1/packages/{id}/restore.
type RestoreRequest struct {
	Reason string `json:"reason"`
}

// PurgeResult is the body of POST /v1/retention/purge: the deletions
// purged, at AsOf.
type PurgeResult struct {
	AsOf   time.Time          `json:"as_of"`
	Purged []retention.Purged `json:"purged"`
}

// PackageWithDeletion is the body of GET /v1/packages/{id}: the package
// and, when it was ever deleted, its latest deletion (a tombstone).
type PackageWithDeletion struct {
	*catalog.Package
	Deletion *retention.Deletion `json:"deletion,omitempty"`
}
