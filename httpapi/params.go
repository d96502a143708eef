package httpapi

import (
	"net/url"
	"strconv"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// maxEcho bounds how much of a rejected value a problem detail repeats.
const maxEcho = 40

// optUint is an optional unsigned query parameter.
type optUint struct {
	v   uint64
	set bool
}

// query is a parsed query string whose parameters may each appear once.
type query url.Values

// parseQuery parses a raw query string strictly: a malformed escape or a
// semicolon is an error rather than a silently dropped parameter.
func parseQuery(raw string) (query, error) {
	v, err := url.ParseQuery(raw)
	if err != nil {
		return nil, invalidParam("malformed query string (%v); expected name=value pairs joined by &", err)
	}
	return query(v), nil
}

// str returns the single value of name, or ok=false when it is absent.
func (q query) str(name string) (string, bool, error) {
	vs, ok := q[name]
	if !ok {
		return "", false, nil
	}
	if len(vs) > 1 {
		return "", false, invalidParam("%s given %d times; expected it at most once", name, len(vs))
	}
	return vs[0], true, nil
}

// uint returns the parameter name as a canonical decimal, if present.
func (q query) uint(name string) (optUint, error) {
	s, ok, err := q.str(name)
	if err != nil || !ok {
		return optUint{}, err
	}
	v, err := parseUint(name, s)
	return optUint{v: v, set: true}, err
}

// hash returns the parameter name as a 32-byte hash in hex, or nil when it
// is absent.
func (q query) hash(name string) ([]byte, error) {
	s, ok, err := q.str(name)
	if err != nil || !ok {
		return nil, err
	}
	return parseHash(name, s)
}

// parseUint parses a non-negative decimal integer in canonical form: ASCII
// digits only (no sign, space or underscore), no leading zero, at most
// 2^64-1.
func parseUint(name, s string) (uint64, error) {
	if s == "" {
		return 0, invalidParam("%s is empty; expected a non-negative decimal integer", name)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, invalidParam("%s %q is not a non-negative decimal integer; expected digits 0-9 only, with no sign", name, echo(s))
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, invalidParam("%s %q has a leading zero; expected a decimal integer without leading zeros", name, echo(s))
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, invalidParam("%s %q is out of range; expected at most %d", name, echo(s), uint64(1<<64-1))
	}
	return v, nil
}

// parseHash parses a SHA-256 hash given as 64 hex digits (either case).
func parseHash(name, s string) ([]byte, error) {
	b, err := wire.DecodeHash(s)
	if err != nil {
		return nil, invalidParam("%s %q: %v", name, echo(s), err)
	}
	return b, nil
}

// echo shortens a rejected value for a problem detail.
func echo(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return s[:maxEcho] + "..."
}

// Query parameters of the log routes, parsed before any ledger read.
type (
	checkpointParams struct {
		size      optUint
		witnessed bool // false: the newest signed checkpoint, witnessed or not
	}
	entriesParams     struct{ start, end optUint }
	consistencyParams struct{ first, second optUint }
	inclusionParams   struct {
		index    optUint
		leafHash []byte
		treeSize optUint
	}
)

func parseCheckpointQuery(raw string) (p checkpointParams, err error) {
	q, err := parseQuery(raw)
	if err != nil {
		return p, err
	}
	if p.size, err = q.uint("size"); err != nil {
		return p, err
	}
	p.witnessed = true
	switch v, ok, err := q.str("witnessed"); {
	case err != nil:
		return p, err
	case ok && v == "false":
		p.witnessed = false
	case ok && v != "true":
		return p, invalidParam("witnessed %q; expected true or false", echo(v))
	}
	return p, nil
}

func parseEntriesQuery(raw string) (p entriesParams, err error) {
	q, err := parseQuery(raw)
	if err == nil {
		p.start, err = q.uint("start")
	}
	if err == nil {
		p.end, err = q.uint("end")
	}
	return p, err
}

func parseConsistencyQuery(raw string) (p consistencyParams, err error) {
	q, err := parseQuery(raw)
	if err == nil {
		p.first, err = q.uint("first")
	}
	if err == nil {
		p.second, err = q.uint("second")
	}
	if err == nil && !p.first.set {
		err = invalidParam("first is required; expected ?first=A[&second=B]")
	}
	return p, err
}

func parseInclusionQuery(raw string) (p inclusionParams, err error) {
	q, err := parseQuery(raw)
	if err == nil {
		p.index, err = q.uint("index")
	}
	if err == nil {
		p.leafHash, err = q.hash("leaf_hash")
	}
	if err == nil {
		p.treeSize, err = q.uint("tree_size")
	}
	switch {
	case err != nil:
	case p.index.set && p.leafHash != nil:
		err = invalidParam("both index and leaf_hash given; expected exactly one of them")
	case !p.index.set && p.leafHash == nil:
		err = invalidParam("neither index nor leaf_hash given; expected exactly one of them")
	}
	return p, err
}
