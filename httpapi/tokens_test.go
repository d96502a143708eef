package httpapi_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-ledger/assay/httpapi"
)

func TestCreateTokenStoresOnlyHashes(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	tok, err := httpapi.CreateToken(path, httpapi.Identity{Name: "ci", Tenant: "acme", Scopes: []string{"log:read", "metrics:read"}}, created)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, httpapi.TokenPrefix) || len(tok) != len(httpapi.TokenPrefix)+43 {
		t.Fatalf("token %q: want %s and 43 base64url characters", tok, httpapi.TokenPrefix)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v, want 0600", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), strings.TrimPrefix(tok, httpapi.TokenPrefix)) {
		t.Fatal("the token file holds the token itself")
	}
	recs, err := httpapi.ReadTokenFile(path)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %+v, %v", recs, err)
	}
	if r := recs[0]; r.Name != "ci" || r.Tenant != "acme" || !r.Created.Equal(created) || !strings.HasPrefix(r.Hash, "sha256:") {
		t.Fatalf("record %+v", r)
	}
	tokens := httpapi.OpenTokens(path)
	id, ok, err := tokens.Lookup(tok)
	if err != nil || !ok || id.Name != "ci" || !id.HasScope("metrics:read") || id.HasScope("log:write") {
		t.Fatalf("lookup: %+v %t %v", id, ok, err)
	}
	if _, ok, _ := tokens.Lookup(tok + "x"); ok {
		t.Fatal("a different token authenticated")
	}
}

func TestCreateTokenRejects(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	if _, err := httpapi.CreateToken(path, httpapi.Identity{Name: "dup", Tenant: "t", Scopes: []string{"*"}}, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		id   httpapi.Identity
	}{
		{"duplicate name", httpapi.Identity{Name: "dup", Tenant: "t", Scopes: []string{"*"}}},
		{"empty name", httpapi.Identity{Name: "", Tenant: "t", Scopes: []string{"*"}}},
		{"name with space", httpapi.Identity{Name: "a b", Tenant: "t", Scopes: []string{"*"}}},
		{"empty tenant", httpapi.Identity{Name: "x", Tenant: "", Scopes: []string{"*"}}},
		{"no scopes", httpapi.Identity{Name: "x", Tenant: "t"}},
		{"bad scope", httpapi.Identity{Name: "x", Tenant: "t", Scopes: []string{"Log Read"}}},
		{"partial wildcard", httpapi.Identity{Name: "x", Tenant: "t", Scopes: []string{"log:*"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := httpapi.CreateToken(path, tc.id, time.Unix(0, 0)); !errors.Is(err, httpapi.ErrTokenSpec) {
				t.Fatalf("error %v, want ErrTokenSpec", err)
			}
		})
	}
	if recs, _ := httpapi.ReadTokenFile(path); len(recs) != 1 {
		t.Fatalf("%d records after rejected requests, want 1", len(recs))
	}
}

func TestCreateTokenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	const n = 16
	var wg sync.WaitGroup
	toks := make([]string, n)
	for i := range n {
		wg.Go(func() {
			id := httpapi.Identity{Name: "t" + string(rune('a'+i)), Tenant: "x", Scopes: []string{"log:read"}}
			tok, err := httpapi.CreateToken(path, id, time.Unix(0, 0))
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		})
	}
	wg.Wait()
	tokens := httpapi.OpenTokens(path)
	for i, tok := range toks {
		if _, ok, err := tokens.Lookup(tok); !ok || err != nil {
			t.Errorf("token %d lost: %v", i, err)
		}
	}
}
