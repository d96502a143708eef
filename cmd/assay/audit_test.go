package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// forkedLogs are several ledgers signed by one key, served one at a time
// under one URL: a server that can show different histories to an auditor.
type forkedLogs struct {
	t      *testing.T
	skey   string
	vkey   string
	tokens string
	token  string
	url    string
	mu     sync.Mutex
	serve  http.Handler
	logs   map[string]*ledger.Log
	apis   map[string]http.Handler
}

func newForkedLogs(t *testing.T) *forkedLogs {
	skey, vkey, err := note.GenerateKey(rand.Reader, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	f := &forkedLogs{t: t, skey: skey, vkey: vkey, tokens: filepath.Join(t.TempDir(), httpapi.TokenFile),
		logs: map[string]*ledger.Log{}, apis: map[string]http.Handler{}}
	f.token, err = httpapi.CreateToken(f.tokens, httpapi.Identity{Name: "auditor", Tenant: "acme", Scopes: []string{httpapi.ScopeLogRead, httpapi.ScopeLogAudit}}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		h := f.serve
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// add opens a ledger named name with the common key and clock and appends
// common entries then own entries tagged with name; the first common
// entries are byte-identical across ledgers.
func (f *forkedLogs) add(name string, common, own int) {
	logger := slog.New(slog.NewTextHandler(testWriter{f.t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, _ := ledgertest.Open(f.t, f.t.TempDir(), ledgertest.Options{Key: f.skey, Logger: logger})
	api, err := httpapi.New(httpapi.Config{Log: l, Tokens: httpapi.OpenTokens(f.tokens), Logger: logger})
	if err != nil {
		f.t.Fatal(err)
	}
	f.logs[name], f.apis[name] = l, api
	f.grow(name, "common", common)
	f.grow(name, name, own)
}

func (f *forkedLogs) grow(name, tag string, n int) {
	for i := range n {
		body := json.RawMessage(fmt.Sprintf(`{"n":%d,"tag":%q}`, i, tag))
		if _, err := f.logs[name].Append(f.t.Context(), ledger.Entry{Type: "test.entry", Actor: "t", Body: body}); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *forkedLogs) show(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serve = f.apis[name]
}

func (f *forkedLogs) audit(state string, extra ...string) (string, error) {
	args := append([]string{"audit", "--server", f.url, "--token", f.token, "--key", f.vkey, "--state", state}, extra...)
	return run(f.t.Context(), args...)
}

func TestAuditFollowsAndDetectsForks(t *testing.T) {
	f := newForkedLogs(t)
	f.add("a", 300, 50)  // the honest log: 300 common entries, then its own
	f.add("b", 300, 50)  // same size, other suffix: a split view
	f.add("c", 300, 120) // longer, other suffix: a rewritten history
	f.add("d", 320, 0)   // a prefix of a: a rollback
	state := filepath.Join(t.TempDir(), "audit.state")

	f.show("a")
	out, err := f.audit(state, "--entries")
	if err != nil || !strings.Contains(out, "from size 0 to 350 (") || !strings.Contains(out, "; 350 new entries recomputed") {
		t.Fatalf("first audit: %q, %v", out, err)
	}
	f.grow("a", "a-more", 700)
	out, err = f.audit(state, "--entries")
	if err != nil || !strings.Contains(out, "from size 350 to 1050 (") || !strings.Contains(out, "; 700 new entries recomputed") {
		t.Fatalf("audit after growth: %q, %v", out, err)
	}
	f.grow("b", "b-more", 700) // b now has a's size with another root
	f.grow("c", "c-more", 700)
	saved, _ := os.ReadFile(state)
	for _, tc := range []struct{ log, want string }{
		{"b", "split view"},
		{"c", "rewritten"},
		{"d", "rollback"},
	} {
		t.Run(tc.log, func(t *testing.T) {
			f.show(tc.log)
			for _, extra := range [][]string{nil, {"--entries"}} {
				_, err := f.audit(state, extra...)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("audit of log %s %v: %v, want %q", tc.log, extra, err, tc.want)
				}
				if now, _ := os.ReadFile(state); !bytes.Equal(now, saved) {
					t.Fatal("a failed audit changed the state file")
				}
			}
		})
	}
	t.Run("state signed by another key", func(t *testing.T) {
		other := filepath.Join(t.TempDir(), "other.state")
		skey, _, _ := note.GenerateKey(rand.Reader, testOrigin)
		s, _ := note.NewSigner(skey)
		forged, _ := note.Sign(&note.Note{Text: "assay.test/log\n1\n" + strings.Repeat("A", 43) + "=\n"}, s)
		if err := os.WriteFile(other, forged, 0o600); err != nil {
			t.Fatal(err)
		}
		f.show("a")
		if _, err := f.audit(other); err == nil || !strings.Contains(err.Error(), "audit state") {
			t.Fatalf("forged state accepted: %v", err)
		}
	})
}
