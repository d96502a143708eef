package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// unknownHash is a well-formed leaf hash of no entry.
var unknownHash = strings.Repeat("ab", 32)

func TestBadInput(t *testing.T) {
	f := newFixture(t, 10)
	const (
		param    = wire.TypeInvalidParameter
		rng      = wire.TypeInvalidRange
		beyond   = wire.TypeBeyondTree
		notFound = wire.TypeNotFound
	)
	for _, tc := range []struct {
		path   string
		status int
		typ    string
		detail string // a substring the detail must hold
	}{
		{"/v1/log/checkpoint?size=abc", 400, param, `size "abc" is not a non-negative decimal integer`},
		{"/v1/log/checkpoint?size=11", 400, beyond, "size 11 beyond current size 10"},
		{"/v1/log/checkpoint?size=1&size=2", 400, param, "size given 2 times"},
		{"/v1/log/checkpoint?size=%zz", 400, param, "malformed query string"},
		{"/v1/log/checkpoint?size=1;x=2", 400, param, "malformed query string"},
		{"/v1/log/entries?start=-1", 400, param, "no sign"},
		{"/v1/log/entries?start=%2B1", 400, param, `start "+1" is not a non-negative decimal integer`},
		{"/v1/log/entries?start=%201", 400, param, "digits 0-9 only"},
		{"/v1/log/entries?start=1.0", 400, param, "digits 0-9 only"},
		{"/v1/log/entries?start=0x1", 400, param, "digits 0-9 only"},
		{"/v1/log/entries?start=01", 400, param, "leading zero"},
		{"/v1/log/entries?start=", 400, param, "start is empty"},
		{"/v1/log/entries?end=18446744073709551616", 400, param, "out of range; expected at most 18446744073709551615"},
		{"/v1/log/entries?start=5&end=3", 400, rng, "start 5 after end 3"},
		{"/v1/log/entries?start=0&end=1001", 400, wire.TypePageTooLarge, "holds 1001 entries; expected at most 1000"},
		{"/v1/log/entries?start=11", 400, beyond, "start 11 beyond current size 10"},
		{"/v1/log/entries?start=2&end=12", 400, beyond, "end 12 beyond current size 10"},
		{"/v1/log/entries/abc", 400, param, `index "abc"`},
		{"/v1/log/entries/-1", 400, param, "no sign"},
		{"/v1/log/entries/99999999999999999999", 400, param, "out of range"},
		{"/v1/log/entries/10", 404, notFound, "index 10"},
		{"/v1/log/proof/inclusion", 400, param, "neither index nor leaf_hash"},
		{"/v1/log/proof/inclusion?index=1&leaf_hash=" + unknownHash, 400, param, "both index and leaf_hash"},
		{"/v1/log/proof/inclusion?leaf_hash=" + strings.Repeat("zz", 32), 400, param, "not hexadecimal"},
		{"/v1/log/proof/inclusion?leaf_hash=abcd", 400, param, "4 characters; expected 64 hex digits"},
		{"/v1/log/proof/inclusion?leaf_hash=" + unknownHash + "00", 400, param, "66 characters"},
		{"/v1/log/proof/inclusion?leaf_hash=" + unknownHash, 404, notFound, "no entry has leaf hash"},
		{"/v1/log/proof/inclusion?index=1&tree_size=12", 400, beyond, "tree_size 12 beyond current size 10"},
		{"/v1/log/proof/inclusion?index=10", 400, rng, "index 10 not below tree_size 10"},
		{"/v1/log/proof/inclusion?index=5&tree_size=5", 400, rng, "index 5 not below tree_size 5"},
		{"/v1/log/proof/inclusion?index=0&tree_size=0", 400, rng, "not below tree_size 0"},
		{"/v1/log/proof/inclusion?index=1&index=2", 400, param, "index given 2 times"},
		{"/v1/log/proof/inclusion?index=x", 400, param, `index "x"`},
		{"/v1/log/proof/inclusion?index=1&tree_size=-3", 400, param, "tree_size"},
		{"/v1/log/proof/consistency", 400, param, "first is required"},
		{"/v1/log/proof/consistency?first=5&second=3", 400, rng, "first 5 greater than second 3"},
		{"/v1/log/proof/consistency?first=11", 400, rng, "first 11 greater than second 10"},
		{"/v1/log/proof/consistency?first=1&second=11", 400, beyond, "second 11 beyond current size 10"},
		{"/v1/log/proof/consistency?first=one", 400, param, `first "one"`},
		{"/v1/log/proof/consistency?first=1&second=2&second=3", 400, param, "second given 2 times"},
		{"/v1/nothing", 404, notFound, "no route for /v1/nothing"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			before := f.size()
			r := f.get(tc.path)
			p := r.problem(t)
			if r.status != tc.status || p.Type != tc.typ || !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("got %d %s %q; want %d %s and a detail holding %q", r.status, p.Type, p.Detail, tc.status, tc.typ, tc.detail)
			}
			if after := f.size(); after != before {
				t.Errorf("log size %d after a bad request, was %d", after, before)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	f := newFixture(t, 1)
	r := f.do(http.MethodPost, "/v1/log/checkpoint", f.admin, strings.NewReader("x"))
	if p := r.problem(t); r.status != http.StatusMethodNotAllowed || p.Type != wire.TypeMethodNotAllowed {
		t.Fatalf("POST checkpoint: %d %+v", r.status, p)
	}
	if f.size() != 1 {
		t.Fatalf("log size %d after a bad request, want 1", f.size())
	}
}
