package httpapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestConsoleFiles serves every file of httpapi/ui, in an order where each
// name follows another, with its own bytes and content type, the strict
// Content-Security-Policy and revalidation by ETag; /ui/ is index.html and
// /ui redirects there.
func TestConsoleFiles(t *testing.T) {
	f := newFixture(t, 1)
	names, err := filepath.Glob("ui/*")
	if err != nil || len(names) < 5 {
		t.Fatalf("console files %v: %v", names, err)
	}
	types := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	for _, round := range []int{0, 1} { // twice: no answer depends on the one before
		for _, name := range names {
			want, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			path := httpapi.ConsolePath + filepath.Base(name)
			if filepath.Base(name) == "index.html" && round == 1 {
				path = httpapi.ConsolePath
			}
			r := f.do(http.MethodGet, path, "", nil) // no token: the files hold no data
			if r.status != http.StatusOK || string(r.body) != string(want) {
				t.Fatalf("GET %s: %d, %d bytes, want the %d of %s", path, r.status, len(r.body), len(want), name)
			}
			if ct := r.header.Get("Content-Type"); ct != types[filepath.Ext(name)] {
				t.Fatalf("GET %s: content type %q", path, ct)
			}
			if csp := r.header.Get("Content-Security-Policy"); csp != httpapi.ConsoleCSP || !strings.Contains(csp, "script-src 'self';") {
				t.Fatalf("GET %s: CSP %q", path, csp)
			}
			if r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Referrer-Policy") != "no-referrer" || r.header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("GET %s: headers %v", path, r.header)
			}
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+path, nil)
			req.Header.Set("If-None-Match", r.header.Get("Etag"))
			if again := f.send(req); again.status != http.StatusNotModified || len(again.body) != 0 {
				t.Fatalf("GET %s with its ETag: %d, %d bytes", path, again.status, len(again.body))
			}
		}
	}
	client := *f.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(f.srv.URL + "/ui")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != httpapi.ConsolePath {
		t.Fatalf("GET /ui: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestConsoleBadInput: unknown files, paths that climb out, and any method
// but GET are problems, and write nothing.
func TestConsoleBadInput(t *testing.T) {
	f := newFixture(t, 1)
	before := f.size()
	for _, tc := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodGet, "/ui/nope.js", http.StatusNotFound, wire.TypeNotFound},
		{http.MethodGet, "/ui/..%2fconsole.go", http.StatusNotFound, wire.TypeNotFound},
		{http.MethodGet, "/ui/../server.go", http.StatusNotFound, wire.TypeNotFound},
		{http.MethodGet, "/ui/ui/app.js", http.StatusNotFound, wire.TypeNotFound},
		{http.MethodGet, "/ui/%3Cscript%3E", http.StatusNotFound, wire.TypeNotFound},
		{http.MethodPost, "/ui/", http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
		{http.MethodPut, "/ui/app.js", http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
		{http.MethodDelete, "/ui", http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
	} {
		r := f.do(tc.method, tc.path, "", strings.NewReader("x"))
		if r.status != tc.status || r.problem(t).Type != tc.typ {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.typ)
		}
		if strings.Contains(string(r.body), "<script>") {
			t.Errorf("%s %s echoes markup: %s", tc.method, tc.path, r.body)
		}
	}
	if f.size() != before {
		t.Fatalf("refused console requests wrote: size %d -> %d", before, f.size())
	}
}
