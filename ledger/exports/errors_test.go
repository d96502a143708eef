package exports

import (
	"errors"
	"fmt"
	"testing"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		slug string
		kind ledger.Kind
	}{
		{ErrTooLarge, "export-too-large", ledger.KindTooLarge},
		{ErrMalformedJSON, "export-malformed-json", ledger.KindInvalid},
		{ErrTrailingData, "export-trailing-data", ledger.KindInvalid},
		{ErrDuplicateKey, "export-duplicate-key", ledger.KindInvalid},
		{ErrUnknownField, "export-unknown-field", ledger.KindInvalid},
		{ErrFieldType, "export-field-type", ledger.KindInvalid},
		{ErrMissingField, "export-missing-field", ledger.KindUnprocessable},
		{ErrEmptyField, "export-empty-field", ledger.KindUnprocessable},
		{ErrInvalidRunID, "export-invalid-run-id", ledger.KindUnprocessable},
		{ErrInvalidHash, "export-invalid-hash", ledger.KindUnprocessable},
		{ErrInvalidTimestamp, "export-invalid-timestamp", ledger.KindUnprocessable},
		{ErrCompletedBeforeStarted, "export-completed-before-started", ledger.KindUnprocessable},
		{ErrInvalidStatus, "export-invalid-status", ledger.KindUnprocessable},
		{ErrInvalidEnvironment, "export-invalid-environment", ledger.KindUnprocessable},
		{ErrInvalidPath, "export-invalid-path", ledger.KindUnprocessable},
		{ErrPathTraversal, "export-path-traversal", ledger.KindUnprocessable},
		{ErrIdempotencyKeyMismatch, "export-idempotency-key-mismatch", ledger.KindUnprocessable},
		{ErrNoSignatures, "export-no-signatures", ledger.KindUnprocessable},
		{ErrTooManySignatures, "export-too-many-signatures", ledger.KindUnprocessable},
		{ErrSignatureType, "export-signature-type", ledger.KindUnprocessable},
		{ErrSignatureEntry, "export-signature-entry", ledger.KindUnprocessable},
		{verifier.ErrDSSEDuplicateKeyID, "export-signature-duplicate-key", ledger.KindUnprocessable},
		{verifier.ErrDSSEUnknownKey, "export-signature-untrusted-key", ledger.KindUnprocessable},
		{verifier.ErrDSSEMalformedSignature, "export-signature-malformed", ledger.KindUnprocessable},
		{verifier.ErrDSSEBadSignature, "export-signature-invalid", ledger.KindUnprocessable},
		{verifier.ErrDSSEInvalidPublicKey, "export-trusted-key-invalid", ledger.KindInternal},
		{verifier.ErrJCSInvalid, "export-malformed-json", ledger.KindInvalid},
		{errors.New("something else"), "", 0},
		{nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.err), func(t *testing.T) {
			wrapped := fmt.Errorf("context: %w", tt.err)
			for _, err := range []error{tt.err, wrapped} {
				slug, kind := Classify(err)
				if slug != tt.slug || kind != tt.kind {
					t.Fatalf("Classify(%v) = %q, %v; want %q, %v", err, slug, kind, tt.slug, tt.kind)
				}
			}
		})
	}
}

// TestClassifyDistinct checks that no two of this package's sentinels
// share a problem type, so each failure kind is reported as itself.
func TestClassifyDistinct(t *testing.T) {
	seen := map[string]error{}
	for _, p := range Module().Errors {
		if p.Err == nil || p.Slug == "" || p.Kind == 0 {
			t.Fatalf("bad row %v", p)
		}
		if prev, ok := seen[p.Slug]; ok {
			// Only the verifier's equivalents may share an exports slug.
			shared := map[error]bool{verifier.ErrDSSENoSignatures: true, verifier.ErrDSSETooManySignatures: true, verifier.ErrJCSInvalid: true}
			if !shared[p.Err] {
				t.Errorf("%v and %v share slug %q", prev, p.Err, p.Slug)
			}
		}
		seen[p.Slug] = p.Err
	}
}
