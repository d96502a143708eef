package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestUncleanPathsGetProblems checks that paths with ".." or "//" are
// answered with a 4xx problem, not redirected to a cleaned path.
func TestUncleanPathsGetProblems(t *testing.T) {
	f := newCatFixture(t, nil)
	size, files := f.size(), len(f.storeFiles())
	for _, tc := range []struct{ method, path string }{
		{http.MethodGet, "/v1/objects/raw/a/../b"},
		{http.MethodPut, "/v1/objects/raw/a/../../etc/passwd"},
		{http.MethodGet, "/v1/objects/raw/a//b"},
		{http.MethodGet, "//v1/log/checkpoint"},
		{http.MethodGet, "/v1/log/../log/checkpoint"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := f.request(tc.method, tc.path, f.admin, nil, strings.NewReader("x"))
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("status %d, want a 4xx problem: %s", r.status, r.body)
			}
			r.problem(t)
		})
	}
	if f.size() != size || len(f.storeFiles()) != files {
		t.Fatal("unclean paths changed the log or the store")
	}
}
