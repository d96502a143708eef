package exports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/assay-ledger/assay/verifier"
)

// Bounds on the shape of a body, checked while it is scanned and before
// any decoding. A valid export nests three deep (object, signatures array,
// signature object) and no container in it has more than 16 entries; the
// bounds keep the work hostile input can cause small, well below what
// MaxBodyBytes alone would allow.
const (
	maxDepth          = 16
	maxContainerItems = 64
)

// Parse decodes a job-export body strictly and validates it. The body must
// be the complete request body: it is refused with ErrTooLarge beyond
// MaxBodyBytes, and with ErrMalformedJSON, ErrTrailingData, ErrDuplicateKey,
// ErrUnknownField or ErrFieldType unless it is exactly one JSON object of
// known, string-valued fields; then with ErrEmptyField, ErrNoSignatures,
// ErrTooManySignatures, ErrSignatureType or ErrSignatureEntry for empty
// values or a malformed signatures array; then with the first contract rule
// it breaks (see Submission.Validate). Strictness matters because the
// ledger records, and signers sign, one unambiguous reading of the
// document. Parse does not verify signatures: see CanonicalPayload and
// VerifySignatures.
func Parse(body []byte) (*Submission, error) {
	members, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	sub, err := fromMembers(members)
	if err != nil {
		return nil, err
	}
	if err := sub.Validate(); err != nil {
		return nil, err
	}
	return sub, nil
}

// decodeObject applies every syntactic check to body and returns the
// members of its top-level object as raw JSON values.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	members, _, err := decodeCanonical(body)
	return members, err
}

// decodeCanonical is decodeObject that also returns the RFC 8785 form of
// the whole body, which the checks compute anyway.
func decodeCanonical(body []byte) (map[string]json.RawMessage, []byte, error) {
	if len(body) > MaxBodyBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, want at most %d", ErrTooLarge, len(body), MaxBodyBytes)
	}
	if !utf8.Valid(body) {
		return nil, nil, fmt.Errorf("%w: body is not valid UTF-8", ErrMalformedJSON)
	}
	if err := checkSyntax(body); err != nil {
		return nil, nil, err
	}
	// encoding/json silently replaces lone surrogate escapes; the RFC 8785
	// canonicalizer refuses them, as it refuses anything a signer could not
	// have canonicalized.
	canonical, err := verifier.CanonicalizeJSON(body)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformedJSON, err)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformedJSON, err)
	}
	return members, canonical, nil
}

// syntaxFrame is one open object or array during checkSyntax.
type syntaxFrame struct {
	keys    map[string]bool // nil for arrays
	wantKey bool            // objects: the next token is a key or '}'
	items   int             // members or elements so far
}

// checkSyntax walks the tokens of body and refuses anything but a single
// JSON object with unique keys (compared after unescaping) at every depth
// and nothing but whitespace after it.
func checkSyntax(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedJSON, syntaxCause(err))
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("%w: top-level value must be an object", ErrMalformedJSON)
	}
	stack := []*syntaxFrame{{keys: map[string]bool{}, wantKey: true}}
	for len(stack) > 0 {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformedJSON, syntaxCause(err))
		}
		stack, err = step(stack, tok)
		if err != nil {
			return err
		}
	}
	rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n")
	if len(rest) > 0 {
		return fmt.Errorf("%w: %d bytes after the closing '}', want none", ErrTrailingData, len(rest))
	}
	return nil
}

// step applies one token to the stack of open containers.
func step(stack []*syntaxFrame, tok json.Token) ([]*syntaxFrame, error) {
	top := stack[len(stack)-1]
	if top.keys != nil && top.wantKey {
		return stepKey(stack, top, tok)
	}
	if tok == json.Delim(']') {
		return closeFrame(stack), nil
	}
	if top.keys == nil {
		if err := top.count(); err != nil {
			return nil, err
		}
	}
	switch tok {
	case json.Delim('{'):
		return push(stack, &syntaxFrame{keys: map[string]bool{}, wantKey: true})
	case json.Delim('['):
		return push(stack, &syntaxFrame{})
	}
	top.wantKey = true
	return stack, nil
}

// stepKey applies a token read where an object expects a key or its end.
func stepKey(stack []*syntaxFrame, top *syntaxFrame, tok json.Token) ([]*syntaxFrame, error) {
	if tok == json.Delim('}') {
		return closeFrame(stack), nil
	}
	key := tok.(string) // the decoder only yields a string or '}' here
	if err := top.count(); err != nil {
		return nil, err
	}
	if top.keys[key] {
		return nil, fmt.Errorf("%w: %s appears twice in one object", ErrDuplicateKey, quote(key))
	}
	top.keys[key] = true
	top.wantKey = false
	return stack, nil
}

// push opens a nested container, refusing nesting beyond maxDepth.
func push(stack []*syntaxFrame, f *syntaxFrame) ([]*syntaxFrame, error) {
	if len(stack) >= maxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d levels", ErrMalformedJSON, maxDepth)
	}
	return append(stack, f), nil
}

// count records one more member or element in f and refuses more than
// maxContainerItems.
func (f *syntaxFrame) count() error {
	f.items++
	if f.items > maxContainerItems {
		return fmt.Errorf("%w: an object or array has more than %d entries", ErrMalformedJSON, maxContainerItems)
	}
	return nil
}

// closeFrame pops the innermost container, which completes a value in the
// container around it.
func closeFrame(stack []*syntaxFrame) []*syntaxFrame {
	stack = stack[:len(stack)-1]
	if len(stack) > 0 {
		stack[len(stack)-1].wantKey = true
	}
	return stack
}

// syntaxCause makes an unexpected end of input read as what it is.
func syntaxCause(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// submissionField is one string member of an export: its name and the
// Submission field it fills. submissionFields lists them in RFC 8785 order
// (byte order of the names, which are ASCII), the order a canonical
// payload has them in.
type submissionField struct {
	name string
	ptr  func(*Submission) *string
}

var submissionFields = [...]submissionField{
	{"artifactHash", func(s *Submission) *string { return &s.ArtifactHash }},
	{"bundleId", func(s *Submission) *string { return &s.BundleID }},
	{"completedAt", func(s *Submission) *string { return &s.CompletedAt }},
	{"environment", func(s *Submission) *string { return &s.Environment }},
	{"idempotencyKey", func(s *Submission) *string { return &s.IdempotencyKey }},
	{"jobType", func(s *Submission) *string { return &s.JobType }},
	{"logsPath", func(s *Submission) *string { return &s.LogsPath }},
	{"manifestPath", func(s *Submission) *string { return &s.ManifestPath }},
	{"policyHash", func(s *Submission) *string { return &s.PolicyHash }},
	{"runId", func(s *Submission) *string { return &s.RunID }},
	{"scanId", func(s *Submission) *string { return &s.ScanID }},
	{"startedAt", func(s *Submission) *string { return &s.StartedAt }},
	{"status", func(s *Submission) *string { return &s.Status }},
	{"tenantId", func(s *Submission) *string { return &s.TenantID }},
}

// fieldIndex returns the position of name in submissionFields, or -1.
func fieldIndex[T string | []byte](name T) int {
	for i := range submissionFields {
		if string(name) == submissionFields[i].name {
			return i
		}
	}
	return -1
}

// fromMembers fills a Submission from the members of a syntactically
// checked object, refusing unknown members and values of the wrong type.
// Members are visited in sorted order so that a body with several faults
// always reports the same one.
func fromMembers(members map[string]json.RawMessage) (*Submission, error) {
	sub := &Submission{}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		raw := members[name]
		if name == "signatures" {
			sigs, err := decodeSignatures(raw)
			if err != nil {
				return nil, err
			}
			sub.Signatures = sigs
			continue
		}
		i := fieldIndex(name)
		if i < 0 {
			return nil, fmt.Errorf("%w: %s is not an export field", ErrUnknownField, quote(name))
		}
		if err := decodeString(name, raw, submissionFields[i].ptr(sub)); err != nil {
			return nil, err
		}
	}
	return sub, nil
}

// decodeString decodes raw into dst if it is a non-empty JSON string.
func decodeString(name string, raw json.RawMessage, dst *string) error {
	if len(raw) == 0 || raw[0] != '"' {
		return fmt.Errorf("%w: %s must be a string, got %s", ErrFieldType, name, jsonKind(raw))
	}
	if bytes.IndexByte(raw, '\\') < 0 && len(raw) >= 2 {
		*dst = string(raw[1 : len(raw)-1]) // checked JSON without escapes: the bytes are the string
	} else if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformedJSON, name, err)
	}
	if *dst == "" {
		return fmt.Errorf("%w: %s is an empty string; omit optional fields instead", ErrEmptyField, name)
	}
	return nil
}

// decodeSignatures decodes the "signatures" member: a non-empty array of at
// most verifier.MaxDSSESignatures objects with exactly the members type,
// keyId and signature, all non-empty strings, type "dsse".
func decodeSignatures(raw json.RawMessage) ([]Signature, error) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, fmt.Errorf("%w: signatures must be an array, got %s", ErrFieldType, jsonKind(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, fmt.Errorf("%w: signatures: %w", ErrMalformedJSON, err)
	}
	switch {
	case len(elems) == 0:
		return nil, fmt.Errorf("%w: omit signatures for an unsigned export, or give at least one", ErrNoSignatures)
	case len(elems) > verifier.MaxDSSESignatures:
		return nil, fmt.Errorf("%w: %d signatures, want at most %d", ErrTooManySignatures, len(elems), verifier.MaxDSSESignatures)
	}
	sigs := make([]Signature, len(elems))
	for i, elem := range elems {
		if err := decodeSignature(i, elem, &sigs[i]); err != nil {
			return nil, err
		}
	}
	return sigs, nil
}

// decodeSignature decodes signatures[i] into sig.
func decodeSignature(i int, raw json.RawMessage, sig *Signature) error {
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("%w: signatures[%d] must be an object, got %s", ErrFieldType, i, jsonKind(raw))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return fmt.Errorf("%w: signatures[%d]: %w", ErrMalformedJSON, i, err)
	}
	fields := map[string]*string{"type": &sig.Type, "keyId": &sig.KeyID, "signature": &sig.Signature}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		v := members[name]
		dst, ok := fields[name]
		if !ok {
			return fmt.Errorf("%w: signatures[%d].%s; want only type, keyId, signature", ErrUnknownField, i, quote(name))
		}
		if err := decodeString(fmt.Sprintf("signatures[%d].%s", i, name), v, dst); err != nil {
			return err
		}
	}
	switch {
	case sig.Type != SignatureTypeDSSE:
		return fmt.Errorf("%w: signatures[%d].type is %s, want %q", ErrSignatureType, i, quote(sig.Type), SignatureTypeDSSE)
	case sig.KeyID == "":
		return fmt.Errorf("%w: signatures[%d] has no keyId", ErrSignatureEntry, i)
	case sig.Signature == "":
		return fmt.Errorf("%w: signatures[%d] has no signature", ErrSignatureEntry, i)
	}
	return nil
}

// jsonKind names the JSON type of a raw value for error messages.
func jsonKind(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// Decode is Parse and CanonicalPayload in one pass over body: it returns
// the validated submission and the canonical bytes its signatures are made
// over, with the errors Parse and CanonicalPayload return.
func Decode(body []byte) (*Submission, []byte, error) {
	if sub, canonical, ok := plainDecode(body); ok {
		if err := sub.Validate(); err != nil {
			return nil, nil, err
		}
		return sub, canonical, nil
	}
	members, whole, err := decodeCanonical(body)
	if err != nil {
		return nil, nil, err
	}
	sub, err := fromMembers(members)
	if err != nil {
		return nil, nil, err
	}
	if err := sub.Validate(); err != nil {
		return nil, nil, err
	}
	canonical, err := withoutSignatures(whole, members)
	if err != nil {
		return nil, nil, err
	}
	return sub, canonical, nil
}

// withoutSignatures returns the canonical payload, given the canonical form
// of the whole body: that form without its "signatures" member, which is
// what canonicalMembers computes, at the cost of canonicalizing only the
// signatures. Keys are sorted and "artifactHash" is required, so the member
// is never first and stands as ,"signatures":<its canonical value>; a
// quote inside a canonical string is always escaped, so that text cannot
// occur elsewhere. Anything unexpected falls back to canonicalMembers.
func withoutSignatures(whole []byte, members map[string]json.RawMessage) ([]byte, error) {
	raw, ok := members["signatures"]
	if !ok {
		return whole, nil
	}
	sigs, err := verifier.CanonicalizeJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedJSON, err)
	}
	member := append([]byte(`,"signatures":`), sigs...)
	if i := bytes.Index(whole, member); i > 0 && bytes.Count(whole, []byte(`"signatures":`)) == 1 {
		return append(whole[:i:i], whole[i+len(member):]...), nil
	}
	return canonicalMembers(members)
}
