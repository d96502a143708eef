package verifier

import (
	"errors"
	"fmt"

	"github.com/gowebpki/jcs"
)

// ErrJCSInvalid reports input that RFC 8785 cannot canonicalize: malformed
// JSON, duplicate object keys, invalid UTF-8, lone surrogates, or numbers
// outside the IEEE 754 double range (I-JSON, RFC 7493). Signed payloads are
// defined over canonical bytes, so such input can never carry a valid
// signature and is refused instead of being repaired.
var ErrJCSInvalid = errors.New("jcs: input cannot be canonicalized")

// CanonicalizeJSON returns the RFC 8785 (JSON Canonicalization Scheme) form
// of one JSON value: members sorted by their UTF-16 code units, no
// insignificant whitespace, strings in UTF-8 with only '"', '\\' and control
// characters escaped ('<', '>' and '&' are written as is, unlike
// encoding/json), and numbers in ECMAScript (ES6) shortest form.
//
// Signers and verifiers of JSON payloads must agree on these bytes
// independently of how a document was formatted in transit; the work is
// delegated to github.com/gowebpki/jcs, a maintained implementation that
// bounds nesting and rejects duplicate keys.
func CanonicalizeJSON(data []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrJCSInvalid)
	}
	out, err := jcs.Transform(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrJCSInvalid, err)
	}
	return out, nil
}
