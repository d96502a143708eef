package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

const testOrigin = ledgertest.Origin

// run executes the assay command tree in-process and returns its stdout.
func run(ctx context.Context, args ...string) (string, error) {
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// tamper rewrites the body of a response to the request r.
type tamper func(r *http.Request, body []byte) []byte

// testServer is a real ledger with n entries behind the real API, reached
// through a proxy that may tamper with responses.
type testServer struct {
	log    *ledger.Log
	url    string
	token  string
	vkey   string
	mu     sync.Mutex
	tamper tamper // nil passes responses through
}

func (ts *testServer) setTamper(fn tamper) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.tamper = fn
}

func newTestServer(t *testing.T, n int) *testServer {
	t.Helper()
	dir := t.TempDir()
	logger := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	clock := ledgertest.NewClock()
	lg, vkey := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Now: clock.Now, Logger: logger})
	tokens := filepath.Join(dir, httpapi.TokenFile)
	tok, err := httpapi.CreateToken(tokens, httpapi.Identity{Name: "auditor", Tenant: "acme", Scopes: []string{httpapi.ScopeLogRead}}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(tokens), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{log: lg, token: tok, vkey: vkey}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ts.proxy(api, w, r) }))
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	for i := range n {
		body := json.RawMessage(fmt.Sprintf(`{"n":%d,"artifact":"sha256:%064x"}`, i, i))
		if _, err := lg.Append(t.Context(), ledger.Entry{Type: "test.entry", Actor: "tester", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	return ts
}

// proxy serves r with api and passes the answer through ts.tamper.
func (ts *testServer) proxy(api http.Handler, w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	ts.mu.Lock()
	fn := ts.tamper
	ts.mu.Unlock()
	if fn != nil {
		body = fn(r, body)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rec.Code)
	w.Write(body)
}

// logArgs are the server flags of the log commands.
func (ts *testServer) logArgs(args ...string) []string {
	return append(append([]string{"log"}, args...), "--server", ts.url, "--token", ts.token)
}
