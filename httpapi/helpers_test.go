package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

const testOrigin = ledgertest.Origin

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, nil))
}

// fixture is a real ledger in a temp dir behind a real server on loopback.
type fixture struct {
	t      *testing.T
	log    *ledger.Log
	api    *httpapi.Server
	srv    *httptest.Server
	tokens string // token file path
	vkey   string
	admin  string // token with scope "*"
	reader string // token with scope log:read only
	audit  string // token with scopes log:read and log:audit
}

// openLedger opens a real ledger in dir/ledger with a fresh checkpoint key,
// the step clock and the given modules, closed at the end of the test. It
// returns the ledger and the key's verifier.
func openLedger(t testing.TB, dir string, logger *slog.Logger, mods ...ledger.Module) (*ledger.Log, string) {
	t.Helper()
	return ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Logger: logger, Modules: mods})
}

func newFixture(t *testing.T, entries int, opts ...func(*httpapi.Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	lg, vkey := openLedger(t, dir, testLogger(t))
	var err error
	f := &fixture{t: t, log: lg, tokens: filepath.Join(dir, httpapi.TokenFile), vkey: vkey}
	f.admin = f.createToken("admin", "acme", httpapi.AllScopes)
	f.reader = f.createToken("reader", "acme", httpapi.ScopeLogRead)
	f.audit = f.createToken("auditor", "acme", httpapi.ScopeLogRead, httpapi.ScopeLogAudit)
	cfg := httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(f.tokens), Logger: testLogger(t)}
	for _, o := range opts {
		o(&cfg)
	}
	if f.api, err = httpapi.New(cfg); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	f.append(entries)
	return f
}

func (f *fixture) createToken(name, tenant string, scopes ...string) string {
	f.t.Helper()
	return newToken(f.t, f.tokens, name, tenant, scopes...)
}

// newToken creates a never-expiring token in the token file path.
func newToken(t testing.TB, path, name, tenant string, scopes ...string) string {
	t.Helper()
	tok, err := httpapi.CreateToken(path, httpapi.Identity{Name: name, Tenant: tenant, Scopes: scopes}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// append adds n test entries, each in its own batch so that a checkpoint is
// published at every size.
func (f *fixture) append(n int) {
	f.t.Helper()
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"n":%d,"note":"entry <%d> & more"}`, i, i)
		if _, err := f.log.Append(context.Background(), ledger.Entry{Type: "test.entry", Actor: "tester", Body: json.RawMessage(body)}); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

// response is a fetched answer with its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the given token ("" for none) and reads the answer.
func (f *fixture) do(method, path, token string, body io.Reader) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return f.send(req)
}

func (f *fixture) send(req *http.Request) response { return roundTrip(f.t, f.srv, req) }

// roundTrip sends req to srv and returns the status, headers and body.
func roundTrip(t *testing.T, srv *httptest.Server, req *http.Request) response {
	t.Helper()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (f *fixture) get(path string) response { return f.do(http.MethodGet, path, f.admin, nil) }

// getJSON fetches path with the admin token, expects 200 and decodes into v.
func (f *fixture) getJSON(path string, v any) {
	f.t.Helper()
	r := f.get(path)
	if r.status != http.StatusOK {
		f.t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		f.t.Fatalf("GET %s: %v in %s", path, err, r.body)
	}
}

// problem decodes a problem answer, checking its content type and status.
func (r response) problem(t *testing.T) wire.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != wire.ProblemContentType {
		t.Fatalf("content type %q, want %s; body %s", ct, wire.ProblemContentType, r.body)
	}
	var p wire.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	if p.Status != r.status || p.Title == "" || p.Detail == "" {
		t.Fatalf("problem %+v does not match status %d or lacks title/detail", p, r.status)
	}
	return p
}
