package exports

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/assay-ledger/assay/verifier"
)

func TestProblemType(t *testing.T) {
	tests := []struct {
		err    error
		slug   string
		status int
	}{
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
		{verifier.ErrDSSEDuplicateKeyID, "export-signature-duplicate-key", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEUnknownKey, "export-signature-untrusted-key", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEMalformedSignature, "export-signature-malformed", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEBadSignature, "export-signature-invalid", http.StatusUnprocessableEntity},
		{verifier.ErrDSSEInvalidPublicKey, "export-trusted-key-invalid", http.StatusInternalServerError},
		{verifier.ErrJCSInvalid, "export-malformed-json", http.StatusBadRequest},
		{errors.New("something else"), "", 0},
		{nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			wrapped := fmt.Errorf("context: %w", tt.err)
			for _, err := range []error{tt.err, wrapped} {
				slug, status := ProblemType(err)
				if slug != tt.slug || status != tt.status {
					t.Fatalf("ProblemType(%v) = %q, %d; want %q, %d", err, slug, status, tt.slug, tt.status)
				}
			}
		})
	}
}

// TestProblemTypeDistinct checks that no two of this package's sentinels
// share a problem type, so each failure kind is reported as itself.
func TestProblemTypeDistinct(t *testing.T) {
	seen := map[string]error{}
	for _, p := range problems() {
		if p.err == nil || p.slug == "" || p.status == 0 {
			t.Fatalf("bad row %v", p)
		}
		if prev, ok := seen[p.slug]; ok {
			// Only the verifier's equivalents may share an exports slug.
			shared := map[error]bool{verifier.ErrDSSENoSignatures: true, verifier.ErrDSSETooManySignatures: true, verifier.ErrJCSInvalid: true}
			if !shared[p.err] {
				t.Errorf("%v and %v share slug %q", prev, p.err, p.slug)
			}
		}
		seen[p.slug] = p.err
	}
}
