package exports

import (
	"errors"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// Path is where the export contract places the collection of job exports;
// the pointer in a conflict's details links below it.
const Path = "/internal/orchestrator/exports"

// Module is the exports domain: the export.ingested and
// export.status_changed Appliers, the filtered idempotency-key prefix, and
// every error this package and its signature checks return.
func Module() ledger.Module {
	return ledger.Module{Name: "exports", Appliers: appliers(), Filtered: filteredPrefixes(), Errors: errorSpecs(), Attrs: attrs}
}

// errorSpecs lists every error this package and its signature checks
// return, with its kind and problem type slug. Signature failures are
// unprocessable: the request was authenticated (that is the HTTP layer's
// 401/403), but its content fails verification.
func errorSpecs() []ledger.ErrorSpec {
	const (
		invalid       = ledger.KindInvalid
		unprocessable = ledger.KindUnprocessable
	)
	return []ledger.ErrorSpec{
		{Err: ErrTooLarge, Kind: ledger.KindTooLarge, Slug: "export-too-large"},
		{Err: ErrMalformedJSON, Kind: invalid, Slug: "export-malformed-json"},
		{Err: ErrTrailingData, Kind: invalid, Slug: "export-trailing-data"},
		{Err: ErrDuplicateKey, Kind: invalid, Slug: "export-duplicate-key"},
		{Err: ErrUnknownField, Kind: invalid, Slug: "export-unknown-field"},
		{Err: ErrFieldType, Kind: invalid, Slug: "export-field-type"},
		{Err: ErrMissingField, Kind: unprocessable, Slug: "export-missing-field"},
		{Err: ErrEmptyField, Kind: unprocessable, Slug: "export-empty-field"},
		{Err: ErrInvalidRunID, Kind: unprocessable, Slug: "export-invalid-run-id"},
		{Err: ErrInvalidHash, Kind: unprocessable, Slug: "export-invalid-hash"},
		{Err: ErrInvalidTimestamp, Kind: unprocessable, Slug: "export-invalid-timestamp"},
		{Err: ErrCompletedBeforeStarted, Kind: unprocessable, Slug: "export-completed-before-started"},
		{Err: ErrInvalidStatus, Kind: unprocessable, Slug: "export-invalid-status"},
		{Err: ErrInvalidEnvironment, Kind: unprocessable, Slug: "export-invalid-environment"},
		{Err: ErrInvalidPath, Kind: unprocessable, Slug: "export-invalid-path"},
		{Err: ErrPathTraversal, Kind: unprocessable, Slug: "export-path-traversal"},
		{Err: ErrIdempotencyKeyMismatch, Kind: unprocessable, Slug: "export-idempotency-key-mismatch"},
		{Err: ErrNoSignatures, Kind: unprocessable, Slug: "export-no-signatures"},
		{Err: ErrTooManySignatures, Kind: unprocessable, Slug: "export-too-many-signatures"},
		{Err: ErrSignatureType, Kind: unprocessable, Slug: "export-signature-type"},
		{Err: ErrSignatureEntry, Kind: unprocessable, Slug: "export-signature-entry"},
		{Err: verifier.ErrDSSENoSignatures, Kind: unprocessable, Slug: "export-no-signatures"},
		{Err: verifier.ErrDSSETooManySignatures, Kind: unprocessable, Slug: "export-too-many-signatures"},
		{Err: verifier.ErrDSSEDuplicateKeyID, Kind: unprocessable, Slug: "export-signature-duplicate-key"},
		{Err: verifier.ErrDSSEUnknownKey, Kind: unprocessable, Slug: "export-signature-untrusted-key"},
		{Err: verifier.ErrDSSEMalformedSignature, Kind: unprocessable, Slug: "export-signature-malformed"},
		{Err: verifier.ErrDSSEBadSignature, Kind: unprocessable, Slug: "export-signature-invalid"},
		{Err: verifier.ErrDSSEInvalidPublicKey, Kind: ledger.KindInternal, Slug: "export-trusted-key-invalid"},
		{Err: verifier.ErrJCSInvalid, Kind: invalid, Slug: "export-malformed-json"},
		{Err: ErrDuplicate, Kind: ledger.KindConflict, Slug: "export-duplicate", Details: conflictDetails},
		{Err: ErrTransition, Kind: ledger.KindConflict, Slug: "export-transition-refused", Details: conflictDetails},
		{Err: ErrSignatureRequired, Kind: unprocessable, Slug: "export-signature-required"},
		{Err: ErrTenantHeader, Kind: invalid, Slug: "export-tenant-header-missing"},
		{Err: ErrTenantMismatch, Kind: ledger.KindForbidden, Slug: "export-tenant-mismatch"},
		{Err: ErrNotFound, Kind: ledger.KindNotFound, Slug: "export-not-found"},
		{Err: ErrInvalidQuery, Kind: invalid, Slug: "export-invalid-query"},
		{Err: ErrInvalidCursor, Kind: invalid, Slug: "export-invalid-cursor"},
	}
}

// Classify returns the problem type slug and kind of an error from Parse,
// Validate, CanonicalPayload, VerifySignatures or the Service, or "", 0 for
// an error that is not from this package.
func Classify(err error) (slug string, kind ledger.Kind) {
	s, _ := ledger.Lookup(errorSpecs(), err)
	return s.Slug, s.Kind
}

// Pointer is the "existing" member of a conflict's details: the entry the
// submission conflicts with and where to fetch the export.
type Pointer struct {
	Index          uint64 `json:"index"`
	IdempotencyKey string `json:"idempotencyKey"`
	Href           string `json:"href"`
}

// conflictDetails points a duplicate or a refused transition at the entry
// it conflicts with; a refused transition also names both statuses.
func conflictDetails(err error) map[string]any {
	if d, ok := errors.AsType[*DuplicateError](err); ok {
		return map[string]any{"existing": pointer(d.Key, d.Index)}
	}
	if t, ok := errors.AsType[*TransitionError](err); ok {
		return map[string]any{"existing": pointer(t.Key, t.Index), "from": t.From, "to": t.To}
	}
	return nil
}

func pointer(key string, index uint64) Pointer {
	return Pointer{Index: index, IdempotencyKey: key, Href: Path + "/" + key}
}
