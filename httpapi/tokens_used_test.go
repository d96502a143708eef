package httpapi_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-ledger/assay/httpapi"
)

func TestLastUsedRecordedAndFlushed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, httpapi.TokenFile)
	usedPath := filepath.Join(dir, httpapi.TokenUsedFile)
	clock := newTestClock()
	ci := mustCreate(t, path, "ci", clock.Now(), httpapi.ExpiresIn(time.Hour))
	ops := mustCreate(t, path, "ops", clock.Now())
	tokens := httpapi.OpenTokens(path)
	httpapi.SetTokensClock(tokens, clock.Now)
	lookup := func(tok string) {
		t.Helper()
		if _, ok, err := tokens.Lookup(tok); !ok || err != nil {
			t.Fatalf("lookup: %t %v", ok, err)
		}
	}
	flushed := func() map[string]time.Time {
		t.Helper()
		if err := tokens.FlushUsed(); err != nil {
			t.Fatal(err)
		}
		used, err := httpapi.ReadTokenUsed(path)
		if err != nil {
			t.Fatal(err)
		}
		return used
	}

	if err := tokens.FlushUsed(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(usedPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a flush with no use wrote the last-used file: %v", err)
	}
	t1 := clock.Add(time.Minute)
	lookup(ci)
	if used := flushed(); !used["ci"].Equal(t1) || !used["ops"].IsZero() {
		t.Fatalf("last used %v, want ci at %v only", used, t1)
	}
	if st, _ := os.Stat(usedPath); st.Mode().Perm() != 0o600 {
		t.Fatalf("last-used file mode %v, want 0600", st.Mode().Perm())
	}

	// Within the resolution a use moves nothing and a flush writes nothing.
	clock.Add(time.Second - 1)
	lookup(ci)
	if err := os.Remove(usedPath); err != nil {
		t.Fatal(err)
	}
	if err := tokens.FlushUsed(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(usedPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a flush with nothing moved wrote the last-used file")
	}

	// A refused use is not a use.
	clock.Set(t1.Add(2 * time.Hour))
	if _, _, err := tokens.Lookup(ci); !errors.Is(err, httpapi.ErrTokenExpired) {
		t.Fatalf("lookup after expiry: %v", err)
	}
	t2 := clock.Now()
	lookup(ops)
	if used := flushed(); !used["ops"].Equal(t2) || !used["ci"].Equal(t1) {
		t.Fatalf("last used %v, want ops at %v and ci still at %v", used, t2, t1)
	}

	// A failed flush is retried by the next one.
	t3 := clock.Add(time.Minute)
	lookup(ops)
	if err := os.Remove(usedPath); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(usedPath, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := tokens.FlushUsed(); err == nil {
		t.Fatal("a flush onto a directory succeeded")
	}
	if err := os.Remove(usedPath); err != nil {
		t.Fatal(err)
	}
	if used := flushed(); !used["ops"].Equal(t3) {
		t.Fatalf("last used %v after a retried flush, want ops at %v", used, t3)
	}

	// A restarted server keeps the times of tokens it has not seen used.
	restarted := httpapi.OpenTokens(path)
	httpapi.SetTokensClock(restarted, clock.Now)
	t4 := clock.Add(time.Minute)
	if _, _, err := httpapi.RevokeToken(path, "ci", t4); err != nil {
		t.Fatal(err)
	}
	ci2 := mustCreate(t, path, "ci2", t4)
	if _, ok, err := restarted.Lookup(ci2); !ok || err != nil {
		t.Fatalf("lookup: %t %v", ok, err)
	}
	if err := restarted.FlushUsed(); err != nil {
		t.Fatal(err)
	}
	used, err := httpapi.ReadTokenUsed(path)
	if err != nil || !used["ops"].Equal(t3) || !used["ci2"].Equal(t4) {
		t.Fatalf("last used %v, %v; want ops at %v from the first run and ci2 at %v", used, err, t3, t4)
	}
}

func TestFlushUsedEveryFlushesOnStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	clock := newTestClock()
	tok := mustCreate(t, path, "ci", clock.Now())
	tokens := httpapi.OpenTokens(path)
	httpapi.SetTokensClock(tokens, clock.Now)
	stop := tokens.FlushUsedEvery(time.Hour, func(err error) { t.Errorf("flush: %v", err) })
	if _, ok, err := tokens.Lookup(tok); !ok || err != nil {
		t.Fatalf("lookup: %t %v", ok, err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("second stop: %v", err)
	}
	if used, err := httpapi.ReadTokenUsed(path); err != nil || !used["ci"].Equal(clock.Now()) {
		t.Fatalf("last used %v, %v after stop; want ci at %v", used, err, clock.Now())
	}
}

// TestLastUsedConcurrently runs lookups of two tokens from many goroutines,
// each stepping the shared clock by a second, against concurrent flushes.
// The last step's lookup must be flushed as its token's last use, and each
// token's time must be no earlier than its own last step. Run it with -race.
func TestLastUsedConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	clock := newTestClock()
	names := []string{"a", "b"}
	toks := []string{mustCreate(t, path, names[0], clock.Now()), mustCreate(t, path, names[1], clock.Now())}
	tokens := httpapi.OpenTokens(path)
	httpapi.SetTokensClock(tokens, clock.Now)
	const workers, steps = 8, 200
	lastStep := make([]time.Time, workers) // each worker's last clock step
	var lookups, flushes sync.WaitGroup
	for w := range workers {
		lookups.Go(func() {
			for range steps {
				lastStep[w] = clock.Add(time.Second)
				if _, ok, err := tokens.Lookup(toks[w%len(toks)]); !ok || err != nil {
					t.Errorf("lookup: %t %v", ok, err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	flushes.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				if err := tokens.FlushUsed(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	lookups.Wait()
	close(done)
	flushes.Wait()
	if err := tokens.FlushUsed(); err != nil {
		t.Fatal(err)
	}
	used, err := httpapi.ReadTokenUsed(path)
	if err != nil {
		t.Fatal(err)
	}
	end := clock.Now()
	if want := clockStart.Add(workers * steps * time.Second); !end.Equal(want) {
		t.Fatalf("clock at %v, want %v", end, want)
	}
	if !used["a"].Equal(end) && !used["b"].Equal(end) {
		t.Errorf("last used %v; want one token at the final step %v", used, end)
	}
	for w, at := range lastStep {
		if name := names[w%len(names)]; used[name].Before(at) || used[name].After(end) {
			t.Errorf("token %s last used %v, want within [%v, %v]", name, used[name], at, end)
		}
	}
}

func TestListTokensHidesSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), httpapi.TokenFile)
	clock := newTestClock()
	created := clock.Now()
	toks := []string{
		mustCreate(t, path, "active", created),
		mustCreate(t, path, "expiring", created, httpapi.ExpiresIn(time.Hour)),
		mustCreate(t, path, "revoked", created),
	}
	tokens := httpapi.OpenTokens(path)
	httpapi.SetTokensClock(tokens, clock.Now)
	used := clock.Add(time.Minute)
	if _, ok, err := tokens.Lookup(toks[0]); !ok || err != nil {
		t.Fatalf("lookup: %t %v", ok, err)
	}
	if err := tokens.FlushUsed(); err != nil {
		t.Fatal(err)
	}
	revoked := clock.Add(time.Minute)
	if _, _, err := httpapi.RevokeToken(path, "revoked", revoked); err != nil {
		t.Fatal(err)
	}
	infos, err := httpapi.ListTokens(path, created.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := []httpapi.TokenInfo{
		{Name: "active", Tenant: "acme", Scopes: []string{"*"}, Created: created, LastUsed: used, State: httpapi.TokenActive},
		{Name: "expiring", Tenant: "acme", Scopes: []string{"*"}, Created: created, Expires: created.Add(time.Hour), State: httpapi.TokenExpired},
		{Name: "revoked", Tenant: "acme", Scopes: []string{"*"}, Created: created, Revoked: revoked, State: httpapi.TokenRevoked},
	}
	got, _ := json.Marshal(infos)
	if w, _ := json.Marshal(want); string(got) != string(w) {
		t.Fatalf("list\n%s\nwant\n%s", got, w)
	}
	recs, _ := httpapi.ReadTokenFile(path)
	for i, r := range recs {
		hash := strings.TrimPrefix(r.Hash, "sha256:")
		if strings.Contains(string(got), hash) || strings.Contains(string(got), toks[i]) || strings.Contains(string(got), "sha256") {
			t.Fatalf("the list of token %s shows its hash or the token: %s", r.Name, got)
		}
	}
	if infos, err := httpapi.ListTokens(filepath.Join(t.TempDir(), httpapi.TokenFile), created); err != nil || len(infos) != 0 {
		t.Fatalf("list of a missing token file: %v %v", infos, err)
	}
}

// TestListTokensIgnoresEarlierNamesake checks that a use recorded for an
// earlier token of the same name (deleted by hand) is not shown for a new
// token created after it.
func TestListTokensIgnoresEarlierNamesake(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, httpapi.TokenFile)
	mustCreate(t, path, "ci", clockStart)
	stale := `{"last_used":{"ci":"` + clockStart.Add(-time.Hour).Format(time.RFC3339) + `"}}`
	if err := os.WriteFile(filepath.Join(dir, httpapi.TokenUsedFile), []byte(stale), 0o600); err != nil {
		t.Fatal(err)
	}
	infos, err := httpapi.ListTokens(path, clockStart)
	if err != nil || len(infos) != 1 || !infos[0].LastUsed.IsZero() {
		t.Fatalf("list %+v, %v; want ci never used", infos, err)
	}
}

func mustCreate(t *testing.T, path, name string, now time.Time, opts ...httpapi.TokenOption) string {
	t.Helper()
	tok, err := httpapi.CreateToken(path, httpapi.Identity{Name: name, Tenant: "acme", Scopes: []string{"*"}}, now, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
