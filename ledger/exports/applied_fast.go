package exports

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// timelineOwnNames are the members Timeline adds to those of a
// Submission, as Timeline.Marshal spells them.
var timelineOwnNames = [...]string{"timeline", "payloadDigest", "envelopeDigest", "policyIndex", "previousStatus", "previousIndex"}

// timelineName returns a distinct number below 64 for each top-level
// member name of a timeline body, or -1 for any other name.
func timelineName(name []byte) int {
	if i := fieldIndex(name); i >= 0 {
		return i
	}
	if string(name) == "signatures" {
		return len(submissionFields)
	}
	for i, n := range timelineOwnNames {
		if string(name) == n {
			return len(submissionFields) + 1 + i
		}
	}
	return -1
}

// decodeAppliedPlain reads the applied fields of a timeline body without
// encoding/json, which matters because the Appliers run inside the
// sequencer, one entry after another. body is an entry body, so valid
// JSON. It declines (false) anything but the plain form Timeline.Marshal
// writes: one object of known, unrepeated member names, valid UTF-8 with
// no backslash anywhere, the applied fields as strings and previousIndex as an unsigned
// integer; decodeApplied then uses json.Unmarshal, whose result it would
// have matched (FuzzDecodeAppliedPlain holds it to that).
func decodeAppliedPlain(body []byte) (*applied, bool) {
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) {
		return nil, false // json.Unmarshal unescapes, and replaces invalid UTF-8
	}
	s := plainScanner{b: body}
	if !s.eat('{') {
		return nil, false
	}
	var a applied
	var seen uint64 // bit timelineName(name) of each member read
	for first := true; ; first = false {
		s.space()
		if s.eat('}') {
			break
		}
		if !first && (!s.eat(',') || !s.spaced()) {
			return nil, false
		}
		name, ok := s.str()
		if !ok || !s.colon() {
			return nil, false
		}
		n := timelineName(name)
		if n < 0 || seen&(1<<n) != 0 {
			return nil, false
		}
		seen |= 1 << n
		if !s.appliedMember(string(name), &a) {
			return nil, false
		}
	}
	s.space()
	return &a, s.i == len(body)
}

// appliedMember reads the value of member name into a, or skips it when
// applied has no field for it.
func (s *plainScanner) appliedMember(name string, a *applied) bool {
	var dst *string
	switch name {
	case "idempotencyKey":
		dst = &a.Key
	case "runId":
		dst = &a.RunID
	case "artifactHash":
		dst = &a.ArtifactHash
	case "tenantId":
		dst = &a.TenantID
	case "startedAt":
		dst = &a.StartedAt
	case "status":
		dst = &a.Status
	case "payloadDigest":
		dst = &a.PayloadDigest
	case "previousStatus":
		dst = &a.PreviousStatus
	case "previousIndex":
		start := s.i
		for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
			s.i++
		}
		n, err := strconv.ParseUint(string(s.b[start:s.i]), 10, 64)
		if err != nil || (s.i-start > 1 && s.b[start] == '0') {
			return false
		}
		a.PreviousIndex = &n
		return true
	default:
		return s.skipValue()
	}
	v, ok := s.str()
	*dst = string(v)
	return ok
}

// skipValue skips one value of a valid JSON document without backslashes:
// to the ',' or '}' that ends it at its own depth.
func (s *plainScanner) skipValue() bool {
	depth := 0
	for ; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '"':
			if _, ok := s.str(); !ok {
				return false
			}
			s.i-- // the loop steps past the closing quote
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return true
			}
			depth--
		case ',':
			if depth == 0 {
				return true
			}
		}
	}
	return false
}
