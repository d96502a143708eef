package httpapi_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
)

func TestAuthentication(t *testing.T) {
	f := newFixture(t, 1)
	const path = "/v1/log/checkpoint"
	for _, tc := range []struct {
		name    string
		headers []string // Authorization header values
		status  int
		detail  string
	}{
		{"no header", nil, 401, "no Authorization header"},
		{"basic scheme", []string{"Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, 401, "expected the Bearer scheme"},
		{"scheme only", []string{"Bearer"}, 401, "expected the Bearer scheme"},
		{"empty token", []string{"Bearer "}, 401, "malformed Authorization header"},
		{"bad characters", []string{"Bearer abc def"}, 401, "character outside"},
		{"unknown token", []string{"Bearer assay_unknown"}, 401, "token not recognized"},
		{"two headers", []string{"Bearer " + f.admin, "Bearer " + f.admin}, 401, "2 Authorization headers"},
		{"lower-case scheme", []string{"bearer " + f.admin}, 200, ""},
		{"extra spaces", []string{"Bearer   " + f.reader}, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tc.headers {
				req.Header.Add("Authorization", h)
			}
			r := f.send(req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 200 {
				return
			}
			p := r.problem(t)
			if p.Type != wire.TypeUnauthorized || !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("problem %+v, want unauthorized holding %q", p, tc.detail)
			}
			if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
			}
		})
	}
}

func TestScopes(t *testing.T) {
	f := newFixture(t, 1)
	other := f.createToken("exporter", "acme", "orchestrator:exports:write")
	for _, tc := range []struct {
		name, token, path string
		status            int
	}{
		{"reader reads the log", f.reader, "/v1/log/entries/0", 200},
		{"wildcard reads the log", f.admin, "/v1/log/entries/0", 200},
		{"wildcard reads metrics", f.admin, "/metrics", 200},
		{"reader lacks metrics:read", f.reader, "/metrics", 403},
		{"other scope lacks log:read", other, "/v1/log/checkpoint", 403},
		{"health needs no token", "", "/health", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.do(http.MethodGet, tc.path, tc.token, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status == 403 {
				if p := r.problem(t); p.Type != wire.TypeForbidden || !strings.Contains(p.Detail, "lacks scope") {
					t.Errorf("problem %+v", p)
				}
			}
		})
	}
}

func TestTokenCreatedWhileServing(t *testing.T) {
	f := newFixture(t, 1)
	if r := f.do(http.MethodGet, "/v1/log/checkpoint", f.reader, nil); r.status != 200 {
		t.Fatalf("before: %d", r.status)
	}
	late := f.createToken("late", "acme", httpapi.ScopeLogRead)
	if r := f.do(http.MethodGet, "/v1/log/checkpoint", late, nil); r.status != 200 {
		t.Fatalf("token created while serving: %d %s", r.status, r.body)
	}
}

func TestCorruptTokenFileFailsClosed(t *testing.T) {
	f := newFixture(t, 1)
	if err := os.WriteFile(f.tokens, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := f.do(http.MethodGet, "/v1/log/checkpoint", f.admin, nil)
	p := r.problem(t)
	if r.status != 500 || p.Type != wire.TypeInternal || strings.Contains(p.Detail, "json") {
		t.Fatalf("corrupt token file: %d %+v, want a generic 500", r.status, p)
	}
}

// TestHandle registers routes the way later features do and checks the
// identity, typed problems, internal errors and the body cap they get.
func TestHandle(t *testing.T) {
	f := newFixture(t, 0)
	f.api.Handle(http.MethodGet, "/test/whoami", "test:read", func(r *http.Request) (any, error) {
		id, ok := httpapi.IdentityFrom(r.Context())
		if !ok {
			return nil, errors.New("no identity")
		}
		return id, nil
	})
	f.api.Handle(http.MethodGet, "/test/conflict", "test:read", func(*http.Request) (any, error) {
		return nil, httpapi.NewProblem(http.StatusConflict, wire.ProblemBase+"duplicate", "export %s exists already", "x1")
	})
	f.api.Handle(http.MethodGet, "/test/broken", "test:read", func(*http.Request) (any, error) {
		return nil, errors.New("secret internal detail")
	})
	f.api.Handle(http.MethodPost, "/test/echo", "test:read", func(r *http.Request) (any, error) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		return &httpapi.Response{Status: http.StatusCreated, ContentType: "text/plain", Body: b}, nil
	}, httpapi.MaxBody(16))
	tok := f.createToken("svc", "tenant-a", "test:read")

	var id httpapi.Identity
	if r := f.do(http.MethodGet, "/test/whoami", tok, nil); json.Unmarshal(r.body, &id) != nil || id.Name != "svc" || id.Tenant != "tenant-a" {
		t.Errorf("whoami: %d %s", r.status, r.body)
	}
	r := f.do(http.MethodGet, "/test/conflict", tok, nil)
	if p := r.problem(t); r.status != 409 || p.Type != wire.ProblemBase+"duplicate" || p.Title != "Conflict" || p.Detail != "export x1 exists already" {
		t.Errorf("typed problem: %d %+v", r.status, p)
	}
	r = f.do(http.MethodGet, "/test/broken", tok, nil)
	if p := r.problem(t); r.status != 500 || strings.Contains(p.Detail, "secret") {
		t.Errorf("internal error: %d %+v", r.status, p)
	}
	if r := f.do(http.MethodPost, "/test/echo", tok, strings.NewReader("small")); r.status != 201 || string(r.body) != "small" {
		t.Errorf("echo: %d %s", r.status, r.body)
	}
	r = f.do(http.MethodPost, "/test/echo", tok, strings.NewReader(strings.Repeat("x", 17)))
	if p := r.problem(t); r.status != 413 || p.Type != wire.TypePayloadTooLarge {
		t.Errorf("oversized body: %d %+v", r.status, p)
	}
}

func TestHandleWithoutScopePanics(t *testing.T) {
	f := newFixture(t, 0)
	defer func() {
		if recover() == nil {
			t.Fatal("Handle with an empty scope did not panic")
		}
	}()
	f.api.Handle(http.MethodGet, "/test/open", "", func(*http.Request) (any, error) { return nil, nil })
}
