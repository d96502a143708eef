package exports

import (
	"errors"
	"fmt"
)

// Errors for bodies that are not a well-formed export document (kind
// invalid), or too large (too large). Each is a distinct sentinel so the
// HTTP layer can give each its own problem+json type.
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

// Errors for well-formed documents that break a rule of the contract (kind
// unprocessable), one per rule.
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
