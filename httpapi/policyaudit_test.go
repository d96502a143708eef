package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestPolicyAuditRoute: the auditor reads the audit of a range of the live
// log; a token without log:audit gets 403; malformed, unknown and
// out-of-range parameters are 400 problems; POST /v1/intake/scrub takes no
// parameters and answers 404 without intake. Nothing is written.
func TestPolicyAuditRoute(t *testing.T) {
	f := newFixture(t, 5)
	before := f.size()
	r := f.do(http.MethodGet, "/v1/policy/audit?from=1&to=4", f.audit, nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"from":1,"to":4,"entries":3`) {
		t.Fatalf("audit of [1, 4): %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/v1/policy/audit", f.reader, nil); r.status != http.StatusForbidden {
		t.Fatalf("audit without log:audit: %d", r.status)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodGet, "/v1/policy/audit?from=x", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/policy/audit?from=-1", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/policy/audit?to=01", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/policy/audit?from=1&from=2", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/policy/audit?limit=2", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/policy/audit?from=4&to=2", http.StatusBadRequest, wire.TypeInvalidRange},
		{http.MethodGet, "/v1/policy/audit?to=99", http.StatusBadRequest, wire.TypeBeyondTree},
		{http.MethodPost, "/v1/policy/audit", http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
		{http.MethodPost, wire.IntakeScrubPath + "?full=true", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodPost, wire.IntakeScrubPath, http.StatusNotFound, wire.TypeNotFound},
		{http.MethodGet, wire.IntakeScrubPath, http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
	} {
		r := f.do(tc.method, tc.path, f.admin, nil)
		if r.status != tc.status || r.problem(t).Type != tc.typ {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.typ)
		}
	}
	if f.size() != before {
		t.Fatalf("refused requests wrote: %d -> %d", before, f.size())
	}
}
