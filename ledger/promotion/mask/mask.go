package mask

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// MaxPasses bounds how many times the rules are applied to reach an output
// they no longer change.
const MaxPasses = 16

// growthAllowance is how many bytes masking may add to an object beyond
// twice its size: replacements longer than their matches that keep making
// new matches would otherwise grow it without bound over the passes.
const growthAllowance = 4096

// budget is how many bytes masking b may still add.
func budget(b []byte) int { return 2*len(b) + growthAllowance }

// Errors of Mask.
var (
	// ErrInvalidJSON reports an object taken for JSON that does not parse
	// as exactly one JSON value.
	ErrInvalidJSON = errors.New("object is not valid JSON")
	// ErrNotSettled reports rules that still change the output after
	// MaxPasses passes (a replacement that completes a match).
	ErrNotSettled = errors.New("masking did not settle")
)

// Result is the outcome of Mask: the masked bytes (the input itself when
// no rule changed anything) and the ids of the rules that changed
// something, in rule order.
type Result struct {
	Output []byte
	Fired  []string
}

// Mask applies the rules to b, as JSON when isJSON (pointers and patterns
// over string values) and as text otherwise (patterns over the bytes).
func (r *Rules) Mask(b []byte, isJSON bool) (Result, error) {
	if !isJSON {
		return r.maskText(b)
	}
	v, err := decodeJSON(b)
	if err != nil {
		return Result{}, err
	}
	fired := map[string]bool{}
	left := budget(b)
	for pass := 0; ; pass++ {
		changed := false
		for _, c := range r.list {
			var ch bool
			v, ch = c.applyJSON(v, &left)
			if ch {
				changed, fired[c.ID] = true, true
			}
			if left < 0 {
				return Result{}, fmt.Errorf("%w: the output grew past %d bytes more than the input", ErrNotSettled, budget(b))
			}
		}
		if !changed {
			break
		}
		if pass == MaxPasses-1 {
			return Result{}, fmt.Errorf("%w after %d passes", ErrNotSettled, MaxPasses)
		}
	}
	if len(fired) == 0 {
		return Result{Output: b}, nil
	}
	out, err := encodeJSON(v)
	if err != nil {
		return Result{}, err
	}
	return Result{Output: out, Fired: r.ordered(fired)}, nil
}

func (r *Rules) maskText(b []byte) (Result, error) {
	out := b
	fired := map[string]bool{}
	for pass := 0; ; pass++ {
		changed := false
		for _, c := range r.list {
			if c.pointer != nil {
				continue // pointers address JSON only
			}
			next, ok := c.replaceBytes(out, budget(b)-(len(out)-len(b)))
			if !ok {
				return Result{}, fmt.Errorf("%w: the output grew past %d bytes more than the input", ErrNotSettled, budget(b))
			}
			if !bytes.Equal(next, out) {
				out, changed, fired[c.ID] = next, true, true
			}
		}
		if !changed {
			break
		}
		if pass == MaxPasses-1 {
			return Result{}, fmt.Errorf("%w after %d passes", ErrNotSettled, MaxPasses)
		}
	}
	if len(fired) == 0 {
		return Result{Output: b}, nil
	}
	return Result{Output: out, Fired: r.ordered(fired)}, nil
}

// ordered lists the fired ids in rule order.
func (r *Rules) ordered(fired map[string]bool) []string {
	var out []string
	for _, c := range r.list {
		if fired[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out
}

// decodeJSON parses exactly one JSON value, keeping numbers as written.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidJSON, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the first value", ErrInvalidJSON)
	}
	return v, nil
}

// encodeJSON is the canonical encoding: sorted members, no white space,
// no HTML escaping.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// applyJSON applies the rule to v and reports whether it changed anything;
// left is decreased by the bytes it adds (a replaced value counts as
// adding the replacement).
func (c *compiled) applyJSON(v any, left *int) (any, bool) {
	replaceIn := func(s string) (any, bool) {
		out := c.re.ReplaceAllStringFunc(s, func(m string) string {
			if *left < 0 {
				return m // over budget: Mask fails after this rule
			}
			*left -= len(c.repl) - len(m)
			return c.repl
		})
		return out, out != s
	}
	switch {
	case c.pointer == nil:
		return eachString(v, replaceIn)
	case c.re == nil:
		return at(v, c.pointer, func(old any) (any, bool) {
			if s, ok := old.(string); ok && s == c.repl {
				return old, false
			}
			*left -= len(c.repl)
			return c.repl, true
		})
	default:
		return at(v, c.pointer, func(old any) (any, bool) {
			if s, ok := old.(string); ok {
				return replaceIn(s)
			}
			return old, false
		})
	}
}

// eachString applies fn to every string value under v (not member names).
func eachString(v any, fn func(string) (any, bool)) (any, bool) {
	switch t := v.(type) {
	case string:
		return fn(t)
	case map[string]any:
		changed := false
		for _, k := range sortedKeys(t) {
			if nv, ch := eachString(t[k], fn); ch {
				t[k], changed = nv, true
			}
		}
		return t, changed
	case []any:
		changed := false
		for i := range t {
			if nv, ch := eachString(t[i], fn); ch {
				t[i], changed = nv, true
			}
		}
		return t, changed
	}
	return v, false
}

// at applies fn to every value the pointer segments select under v; "*"
// selects every element of an array and every member of an object.
func at(v any, segs []string, fn func(any) (any, bool)) (any, bool) {
	if len(segs) == 0 {
		return fn(v)
	}
	seg, rest := segs[0], segs[1:]
	switch t := v.(type) {
	case map[string]any:
		keys := []string{seg}
		if seg == "*" {
			keys = sortedKeys(t)
		}
		changed := false
		for _, k := range keys {
			if old, ok := t[k]; ok {
				if nv, ch := at(old, rest, fn); ch {
					t[k], changed = nv, true
				}
			}
		}
		return t, changed
	case []any:
		changed := false
		for i := range t {
			if seg != "*" && !isIndex(seg, i) {
				continue
			}
			if nv, ch := at(t[i], rest, fn); ch {
				t[i], changed = nv, true
			}
		}
		return t, changed
	}
	return v, false
}

// replaceBytes replaces the pattern's matches in b, adding at most left
// bytes; ok is false when the matches would add more (b is then partly
// replaced and must not be used).
func (c *compiled) replaceBytes(b []byte, left int) ([]byte, bool) {
	repl := []byte(c.repl)
	out := c.re.ReplaceAllFunc(b, func(m []byte) []byte {
		if left < 0 {
			return m
		}
		left -= len(repl) - len(m)
		return repl
	})
	return out, left >= 0
}

// isIndex reports whether seg is the RFC 6901 array index i (decimal, no
// leading zero).
func isIndex(seg string, i int) bool {
	return seg == strconv.Itoa(i)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
