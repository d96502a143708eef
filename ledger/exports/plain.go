package exports

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"unicode/utf8"
)

// The plain path: most bodies have no backslash anywhere. In such a body
// every string's RFC 8785 form is its raw bytes (there is nothing to
// escape, and no \u escape can hide a lone surrogate), so the canonical
// payload is the sorted members written back verbatim, and a small scanner
// that understands only objects, arrays and escape-free strings can stand
// in for the token-by-token checks of checkSyntax. Whatever it does not
// positively accept goes down the general path, which gives the precise
// error; FuzzDecode holds the two paths to the same answers.

// plainMembers returns the members of body if it is a plain export body:
// at most MaxBodyBytes, no backslash, valid UTF-8, and one object of
// objects, arrays and strings within the depth and size bounds, with no
// duplicate key and nothing after it.
func plainMembers(body []byte) (map[string]json.RawMessage, bool) {
	if len(body) > MaxBodyBytes || bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) {
		return nil, false
	}
	s := plainScanner{b: body}
	s.space()
	if !s.object(1) {
		return nil, false
	}
	if s.space(); s.i != len(body) {
		return nil, false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return nil, false
	}
	return members, true
}

// plainCanonical returns the canonical payload of a plain body's checked
// members: sorted (the names are ASCII, so byte order is UTF-16 order),
// without "signatures", string values verbatim.
func plainCanonical(members map[string]json.RawMessage) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, name := range slices.Sorted(maps.Keys(members)) {
		if name == "signatures" {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(name)
		b.WriteString(`":`)
		b.Write(members[name])
	}
	b.WriteByte('}')
	return b.Bytes()
}

// plainScanner is a recursive-descent recognizer of the plain subset of
// JSON. It never decides that a body is invalid, only whether it is
// plainly valid.
type plainScanner struct {
	b []byte
	i int
}

func (s *plainScanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *plainScanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object recognizes an object at nesting depth (the top level is 1).
func (s *plainScanner) object(depth int) bool {
	if depth > maxDepth || !s.eat('{') {
		return false
	}
	var keys [maxContainerItems][]byte
	s.space()
	if s.eat('}') {
		return true
	}
	for n := 0; n < maxContainerItems; n++ {
		k, ok := s.str()
		if !ok {
			return false
		}
		for _, p := range keys[:n] {
			if bytes.Equal(p, k) {
				return false
			}
		}
		keys[n] = k
		s.space()
		if !s.eat(':') {
			return false
		}
		if s.space(); !s.value(depth) {
			return false
		}
		if s.space(); s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
		s.space()
	}
	return false
}

// array recognizes an array at nesting depth.
func (s *plainScanner) array(depth int) bool {
	if depth > maxDepth || !s.eat('[') {
		return false
	}
	s.space()
	if s.eat(']') {
		return true
	}
	for n := 0; n < maxContainerItems; n++ {
		if !s.value(depth) {
			return false
		}
		if s.space(); s.eat(']') {
			return true
		}
		if !s.eat(',') {
			return false
		}
		s.space()
	}
	return false
}

// value recognizes a string, object or array inside a container at depth.
func (s *plainScanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch s.b[s.i] {
	case '"':
		_, ok := s.str()
		return ok
	case '{':
		return s.object(depth + 1)
	case '[':
		return s.array(depth + 1)
	}
	return false // numbers and literals take the general path
}

// str recognizes a string without escapes and returns its contents.
func (s *plainScanner) str() ([]byte, bool) {
	if !s.eat('"') {
		return nil, false
	}
	start := s.i
	for ; s.i < len(s.b); s.i++ {
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case c < 0x20:
			return nil, false
		}
	}
	return nil, false
}
