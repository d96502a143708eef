package httpapi

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTokensRecheck checks when Lookup looks at the token file again: at
// once for a token it does not know (a new token counts at once), and for
// a known one only after tokenRecheck (a removed token stops working then).
func TestTokensRecheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), TokenFile)
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	first, err := CreateToken(path, Identity{Name: "first", Tenant: "t", Scopes: []string{"log:read"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	tokens := &Tokens{path: path, now: func() time.Time { return now }}
	lookup := func(tok string) bool {
		t.Helper()
		_, ok, err := tokens.Lookup(tok)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !lookup(first) {
		t.Fatal("the first token was refused")
	}
	second, err := CreateToken(path, Identity{Name: "second", Tenant: "t", Scopes: []string{"log:read"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !lookup(second) {
		t.Fatal("a token created after the last load was refused")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	now = now.Add(tokenRecheck - time.Millisecond)
	if !lookup(first) {
		t.Fatal("a known token was refused before the recheck interval passed")
	}
	now = now.Add(time.Millisecond)
	if lookup(first) || lookup(second) {
		t.Fatal("a token removed from the file still worked after the recheck interval")
	}
}
