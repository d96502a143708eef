package exports

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/assay-ledger/assay/verifier"
)

// Errors for bodies that are not a well-formed export document (HTTP 400),
// or too large (413). Each is a distinct sentinel so the HTTP layer can give
// each its own problem+json type.
var (
	// ErrTooLarge reports a body over MaxBodyBytes.
	ErrTooLarge = errors.New("export body too large")
	// ErrMalformedJSON reports a body that is not one JSON object in valid
	// UTF-8, nests too deeply, or cannot be canonicalized (RFC 8785).
	ErrMalformedJSON = errors.New("malformed export JSON")
	// ErrTrailingData reports bytes other than whitespace after the object.
	ErrTrailingData = errors.New("data after the export object")
	// ErrDuplicateKey reports an object, at any depth, that repeats a key:
	// parsers disagree on which value wins, so signers and the ledger could
	// otherwise see different documents.
	ErrDuplicateKey = errors.New("duplicate key in export JSON")
	// ErrUnknownField reports a member the contract does not define.
	ErrUnknownField = errors.New("unknown field in export")
	// ErrFieldType reports a field of the wrong JSON type (including null).
	ErrFieldType = errors.New("export field has the wrong JSON type")
)

// Errors for well-formed documents that break a rule of the contract
// (HTTP 422), one per rule.
var (
	// ErrMissingField reports an absent required field (runId,
	// artifactHash, startedAt, status, tenantId, idempotencyKey).
	ErrMissingField = errors.New("required export field missing")
	// ErrEmptyField reports a field present with an empty string; absent
	// and empty must not be two spellings of one submission.
	ErrEmptyField = errors.New("export field is empty")
	// ErrInvalidRunID reports a runId that is not a lowercase UUID.
	ErrInvalidRunID = errors.New("invalid runId")
	// ErrInvalidHash reports a hash field not matching ^sha256:[A-Fa-f0-9]{64}$.
	ErrInvalidHash = errors.New("invalid hash")
	// ErrInvalidTimestamp reports a time that is not UTC ISO-8601 ending in Z.
	ErrInvalidTimestamp = errors.New("invalid timestamp")
	// ErrCompletedBeforeStarted reports completedAt earlier than startedAt.
	ErrCompletedBeforeStarted = errors.New("completedAt before startedAt")
	// ErrInvalidStatus reports a status outside the Status constants.
	ErrInvalidStatus = errors.New("invalid status")
	// ErrInvalidEnvironment reports an environment outside prod|stage|dev.
	ErrInvalidEnvironment = errors.New("invalid environment")
	// ErrInvalidPath reports a manifestPath or logsPath that is not a
	// well-formed cas:// URI: offline kits must resolve every path, so no
	// other scheme is permitted.
	ErrInvalidPath = errors.New("invalid cas:// path")
	// ErrPathTraversal reports a "." or ".." segment (also percent-encoded)
	// in a cas:// path.
	ErrPathTraversal = errors.New("path traversal in cas:// path")
	// ErrIdempotencyKeyMismatch reports an idempotencyKey other than the
	// one recomputed from runId, artifactHash and tenantId.
	ErrIdempotencyKeyMismatch = errors.New("idempotencyKey mismatch")
	// ErrNoSignatures reports a "signatures" array that is present but
	// empty; an unsigned submission omits the member instead.
	ErrNoSignatures = errors.New("signatures present but empty")
	// ErrTooManySignatures reports more than verifier.MaxDSSESignatures.
	ErrTooManySignatures = errors.New("too many signatures")
	// ErrSignatureType reports a signature whose type is not "dsse".
	ErrSignatureType = errors.New("unsupported signature type")
	// ErrSignatureEntry reports a signature entry without keyId or
	// signature.
	ErrSignatureEntry = errors.New("incomplete signature entry")
)

// problem is one row of the table ProblemType reads.
type problem struct {
	err    error
	slug   string
	status int
}

// problems lists every error this package and its signature checks return,
// with the problem+json type slug and HTTP status each maps to. Signature
// failures are 422: the request was authenticated (that is the HTTP
// layer's 401/403), but its content fails verification.
func problems() []problem {
	return []problem{
		{ErrTooLarge, "export-too-large", http.StatusRequestEntityTooLarge},
		{ErrMalformedJSON, "export-malformed-json", http.StatusBadRequest},
		{ErrTrailingData, "export-trailing-data", http.StatusBadRequest},
		{ErrDuplicateKey, "export-duplicate-key", http.StatusBadRequest},
		{ErrUnknownField, "export-unknown-field", http.StatusBadRequest},
		{ErrFieldType, "export-field-type", http.StatusBadRequest},
		{ErrMissingField, "export-missing-field", http.StatusUnprocessableEntity},
		{ErrEmptyField, "export-empty-field", http.StatusUnprocessableEntity},
		{ErrInvalidRunID, "export-invalid-run-id", http.StatusUnprocessableEntity},
		{ErrInvalidHash, "export-invalid-hash", http.StatusUnprocessableEntity},
		{ErrInvalidTimestamp, "export-invalid-timestamp", http.StatusUnprocessableEntity},
		{ErrCompletedBeforeStarted, "export-completed-before-started", http.StatusUnprocessableEntity},
		{ErrInvalidStatus, "export-invalid-status", http.StatusUnprocessableEntity},
		{ErrInvalidEnvironment, "export-invalid-environment", http.StatusUnprocessableEntity},
		{ErrInvalidPath, "export-invalid-path", http.StatusUnprocessableEntity},
		{ErrPathTraversal, "export-path-traversal", http.StatusUnprocessableEntity},
		{ErrIdempotencyKeyMismatch, "export-idempotency-key-mismatch", http.StatusUnprocessableEntity},
		{ErrNoSignatures, "export-no-signatures", http.StatusUnprocessableEntity},
		{ErrTooManySignatures, "export-too-many-signatures", http.StatusUnprocessableEntity},
		{ErrSignatureType, "export-signature-type", http.StatusUnprocessableEntity},
		{ErrSignatureEntry, "export-signature-entry", http.StatusUnprocessableEntity},
		{verifier.ErrDSSENoSignatures, "export-no-signatures", http.StatusUnprocessableEntity},
		{verifier.ErrDSSETooManySignatures, "export-too-many-signatures", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEDuplicateKeyID, "export-signature-duplicate-key", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEUnknownKey, "export-signature-untrusted-key", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEMalformedSignature, "export-signature-malformed", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEBadSignature, "export-signature-invalid", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEInvalidPublicKey, "export-trusted-key-invalid", http.StatusInternalServerError},
		{verifier.ErrJCSInvalid, "export-malformed-json", http.StatusBadRequest},
		{ErrDuplicate, "export-duplicate", http.StatusConflict},
		{ErrTransition, "export-transition-refused", http.StatusConflict},
		{ErrSignatureRequired, "export-signature-required", http.StatusUnprocessableEntity},
		{ErrTenantHeader, "export-tenant-header-missing", http.StatusBadRequest},
		{ErrTenantMismatch, "export-tenant-mismatch", http.StatusForbidden},
		{ErrNotFound, "export-not-found", http.StatusNotFound},
		{ErrInvalidQuery, "export-invalid-query", http.StatusBadRequest},
		{ErrInvalidCursor, "export-invalid-cursor", http.StatusBadRequest},
	}
}

// ProblemType maps an error from Parse, Validate, CanonicalPayload or
// VerifySignatures to a stable problem+json type slug (RFC 9457; the HTTP
// layer turns it into a type URI) and the HTTP status to answer with. It
// returns "", 0 for errors that are not from this package, so the caller
// can fall through to its own mapping.
func ProblemType(err error) (typeSlug string, httpStatus int) {
	for _, p := range problems() {
		if errors.Is(err, p.err) {
			return p.slug, p.status
		}
	}
	return "", 0
}

// quote renders a client-supplied value for an error message, quoted and
// cut short, so that a hostile value can neither flood logs nor inject
// control characters into them.
func quote(s string) string {
	const limit = 128
	if len(s) > limit {
		return fmt.Sprintf("%q (%d bytes)", s[:limit], len(s))
	}
	return fmt.Sprintf("%q", s)
}
