package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
)

// testClock is a settable clock, safe for concurrent use.
type testClock struct{ nanos atomic.Int64 }

var clockStart = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func newTestClock() *testClock {
	c := &testClock{}
	c.nanos.Store(clockStart.UnixNano())
	return c
}

func (c *testClock) Now() time.Time  { return time.Unix(0, c.nanos.Load()).UTC() }
func (c *testClock) Set(t time.Time) { c.nanos.Store(t.UnixNano()) }
func (c *testClock) Add(d time.Duration) time.Time {
	return time.Unix(0, c.nanos.Add(int64(d))).UTC()
}

// clockedFixture is a fixture whose token lookups read clock.
func clockedFixture(t *testing.T) (*fixture, *testClock) {
	clock := newTestClock()
	f := newFixture(t, 1, func(cfg *httpapi.Config) { httpapi.SetTokensClock(cfg.Tokens, clock.Now) })
	return f, clock
}

// wantStatus fetches the checkpoint with token and checks the status and,
// for an error, the problem type.
func wantStatus(t *testing.T, f *fixture, token string, status int, typ string) {
	t.Helper()
	r := f.do("GET", "/v1/log/checkpoint", token, nil)
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if status == 200 {
		return
	}
	if p := r.problem(t); p.Type != typ {
		t.Fatalf("problem %+v, want type %s", p, typ)
	}
	if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Fatalf("WWW-Authenticate %q, want a Bearer challenge", got)
	}
}

func TestTokenExpiryOverHTTP(t *testing.T) {
	f, clock := clockedFixture(t)
	created := clock.Now()
	tok, err := httpapi.CreateToken(f.tokens, httpapi.Identity{Name: "ci", Tenant: "acme", Scopes: []string{httpapi.ScopeLogRead}},
		created, httpapi.ExpiresIn(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := httpapi.ReadTokenFile(f.tokens)
	if err != nil {
		t.Fatal(err)
	}
	if r := recs[len(recs)-1]; !r.Expires.Equal(created.Add(24*time.Hour)) || !r.Revoked.IsZero() {
		t.Fatalf("record %+v, want expiry 24h after %v and no revocation", r, created)
	}
	for _, tc := range []struct {
		name   string
		at     time.Time
		status int
		typ    string
	}{
		{"at creation", created, 200, ""},
		{"a nanosecond before expiry", created.Add(24*time.Hour - 1), 200, ""},
		{"at expiry", created.Add(24 * time.Hour), 401, wire.TypeTokenExpired},
		{"a year after", created.Add(365 * 24 * time.Hour), 401, wire.TypeTokenExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock.Set(tc.at)
			wantStatus(t, f, tok, tc.status, tc.typ)
		})
	}
	// A token that never expires is unaffected, and an unknown one stays
	// unauthorized.
	wantStatus(t, f, f.reader, 200, "")
	wantStatus(t, f, "assay_unknown", 401, wire.TypeUnauthorized)
}

func TestTokenRevokedOverHTTP(t *testing.T) {
	f, clock := clockedFixture(t)
	tok, err := httpapi.CreateToken(f.tokens, httpapi.Identity{Name: "ci", Tenant: "acme", Scopes: []string{httpapi.ScopeLogRead}}, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f, tok, 200, "")
	rec, changed, err := httpapi.RevokeToken(f.tokens, "ci", clock.Now())
	if err != nil || !changed || !rec.Revoked.Equal(clock.Now()) {
		t.Fatalf("revoke: %+v %t %v", rec, changed, err)
	}
	clock.Add(httpapi.TokenRecheck)
	wantStatus(t, f, tok, 401, wire.TypeTokenRevoked)
	r := f.do("GET", "/v1/log/checkpoint", tok, nil)
	if p := r.problem(t); p.Title != "Token revoked" || !strings.Contains(p.Detail, `"ci"`) {
		t.Fatalf("problem %+v, want the title Token revoked and the token's name", p)
	}
	// Revocation wins over expiry, and other tokens still work.
	clock.Add(100 * 365 * 24 * time.Hour)
	wantStatus(t, f, tok, 401, wire.TypeTokenRevoked)
	wantStatus(t, f, f.reader, 200, "")
}

// TestTokenFileWithoutLifecycleFields checks that a token file written
// before tokens could expire still reads, as tokens that never expire.
func TestTokenFileWithoutLifecycleFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	const tok = "assay_old"
	old := `{"tokens":[{"name":"old","tenant":"acme","scopes":["*"],"created":"2020-01-01T00:00:00Z",` +
		`"hash":"sha256:` + sha256Hex(tok) + `"}]}`
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	tokens := httpapi.OpenTokens(path)
	httpapi.SetTokensClock(tokens, func() time.Time { return time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) })
	if id, ok, err := tokens.Lookup(tok); !ok || err != nil || id.Name != "old" {
		t.Fatalf("lookup of an old record: %+v %t %v", id, ok, err)
	}
	recs, err := httpapi.ReadTokenFile(path)
	if err != nil || len(recs) != 1 || !recs[0].Expires.IsZero() || recs[0].State(time.Now()) != httpapi.TokenActive {
		t.Fatalf("records %+v, %v", recs, err)
	}
}

func TestRevokeToken(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	created := clockStart
	tok, err := httpapi.CreateToken(path, httpapi.Identity{Name: "ci", Tenant: "acme", Scopes: []string{"*"}}, created)
	if err != nil {
		t.Fatal(err)
	}
	first := created.Add(time.Hour)
	rec, changed, err := httpapi.RevokeToken(path, "ci", first)
	if err != nil || !changed || !rec.Revoked.Equal(first) || rec.Name != "ci" {
		t.Fatalf("revoke: %+v %t %v", rec, changed, err)
	}
	rec, changed, err = httpapi.RevokeToken(path, "ci", first.Add(time.Hour))
	if err != nil || changed || !rec.Revoked.Equal(first) {
		t.Fatalf("second revoke: %+v %t %v; want the first time kept", rec, changed, err)
	}
	before, _ := os.ReadFile(path)
	if _, _, err := httpapi.RevokeToken(path, "nobody", first); !errors.Is(err, httpapi.ErrTokenUnknown) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("revoke of an unknown name: %v, want ErrTokenUnknown naming it", err)
	}
	if _, err := httpapi.CreateToken(path, httpapi.Identity{Name: "ci", Tenant: "acme", Scopes: []string{"*"}}, first); !errors.Is(err, httpapi.ErrTokenSpec) {
		t.Fatalf("a new token took a revoked token's name: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Fatal("refused requests changed the token file")
	}
	if _, _, err := httpapi.OpenTokens(path).Lookup(tok); !errors.Is(err, httpapi.ErrTokenRevoked) {
		t.Fatalf("lookup of a revoked token: %v, want ErrTokenRevoked", err)
	}
}

func TestExpiresInRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	id := httpapi.Identity{Name: "ci", Tenant: "acme", Scopes: []string{"*"}}
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		ok   bool
	}{
		{"one nanosecond", 1, true},
		{"zero", 0, false},
		{"negative", -time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id.Name = strings.ReplaceAll(tc.name, " ", "-")
			_, err := httpapi.CreateToken(path, id, clockStart, httpapi.ExpiresIn(tc.ttl))
			if tc.ok && err != nil || !tc.ok && !errors.Is(err, httpapi.ErrTokenSpec) {
				t.Fatalf("error %v, want ok=%t", err, tc.ok)
			}
		})
	}
	if recs, _ := httpapi.ReadTokenFile(path); len(recs) != 1 {
		t.Fatalf("%d records, want only the accepted one", len(recs))
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
