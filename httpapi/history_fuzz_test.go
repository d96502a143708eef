package httpapi

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// FuzzParseHistoryQuery checks that a history query string is either a 400
// invalid-parameter problem or a query whose every part the raw string
// asked for: the limit in range, since not after until, a key prefix
// under a known zone, every filter value non-empty and given once.
func FuzzParseHistoryQuery(f *testing.F) {
	for _, s := range []string{"", "type=object.*&type=promotion.verified&actor=ci", "zone=raw&key_prefix=a/b/c",
		"since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z", "cursor=7&order=desc&limit=1000&proofs=true",
		"digest=sha256:" + strings.Repeat("Ab", 32), "tenant=acme&package=pkg_1&run_id=r", "limit=0", "a=%zz", "format=csv"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseHistoryQuery(raw, historyParamSet)
		checkBadRequest(t, err)
		if err != nil {
			return
		}
		q, perr := url.ParseQuery(raw)
		if perr != nil {
			t.Fatalf("%q was accepted but does not parse: %v", raw, perr)
		}
		if p.q.Limit < 1 || p.q.Limit > ledger.MaxHistoryLimit || p.limited != q.Has("limit") {
			t.Fatalf("%q: limit %d (given %v)", raw, p.q.Limit, p.limited)
		}
		if !p.q.Since.IsZero() && !p.q.Until.IsZero() && p.q.Since.After(p.q.Until) {
			t.Fatalf("%q: since %v after until %v", raw, p.q.Since, p.q.Until)
		}
		if p.q.KeyPrefix != "" {
			zone, _, _ := strings.Cut(p.q.KeyPrefix, "/")
			if !slices.Contains(catalog.Zones(), zone) || p.q.KeyPrefix != q.Get("zone")+"/"+q.Get("key_prefix") {
				t.Fatalf("%q: key prefix %q", raw, p.q.KeyPrefix)
			}
		}
		for _, a := range p.q.Where {
			if a.Value == "" {
				t.Fatalf("%q: empty filter %s", raw, a.Name)
			}
			if a.Name == ledger.AttrDigest && (len(a.Value) != 64 || strings.ToLower(a.Value) != a.Value) {
				t.Fatalf("%q: digest filter %q is not lower-case hex", raw, a.Value)
			}
		}
		if !slices.Equal(p.q.Types, q["type"]) || (p.q.After != nil) != q.Has("cursor") || p.q.Desc != (q.Get("order") == "desc") {
			t.Fatalf("%q: parsed %+v", raw, p.q)
		}
		for name, vs := range q {
			if name != "type" && len(vs) > 1 {
				t.Fatalf("%q: %s given %d times was accepted", raw, name, len(vs))
			}
		}
	})
}
