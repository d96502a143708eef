package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/httpapi"
)

// createToken runs `assay token create` in data and returns the token.
func createToken(t *testing.T, data, name string, extra ...string) string {
	t.Helper()
	out, err := run(t.Context(), append([]string{"token", "create", "--data", data, "--name", name, "--tenant", "acme", "--scope", "log:read"}, extra...)...)
	if err != nil {
		t.Fatalf("token create %s %v: %v", name, extra, err)
	}
	return strings.TrimSpace(out)
}

// tokenRecord returns the record named name in data's token file.
func tokenRecord(t *testing.T, data, name string) httpapi.TokenRecord {
	t.Helper()
	recs, err := httpapi.ReadTokenFile(filepath.Join(data, httpapi.TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no token %q in %+v", name, recs)
	return httpapi.TokenRecord{}
}

func TestTokenCreateTTL(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		ttl  time.Duration // 0: never expires
	}{
		{"no-ttl", nil, 0},
		{"hours", []string{"--ttl", "24h"}, 24 * time.Hour},
		{"minutes", []string{"--ttl", "90m"}, 90 * time.Minute},
		{"days", []string{"--ttl", "30d"}, 30 * 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			createToken(t, data, tc.name, tc.args...)
			r := tokenRecord(t, data, tc.name)
			if got := r.Expires.Sub(r.Created); tc.ttl == 0 && !r.Expires.IsZero() || tc.ttl != 0 && got != tc.ttl {
				t.Fatalf("record %+v: expires %v after creation, want %v", r, got, tc.ttl)
			}
		})
	}
	for _, tc := range []struct{ ttl, want string }{
		{"abc", "expected a duration"},
		{"0", "positive"},
		{"-1h", "positive"},
		{"0d", "whole number of days"},
		{"1.5d", "whole number of days"},
		{"-3d", "whole number of days"},
		{"99999999d", "whole number of days"},
	} {
		t.Run("refuses "+tc.ttl, func(t *testing.T) {
			_, err := run(t.Context(), "token", "create", "--data", data, "--name", "bad", "--tenant", "acme", "--scope", "log:read", "--ttl", tc.ttl)
			if err == nil || !strings.Contains(err.Error(), "--ttl") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one about --ttl holding %q", err, tc.want)
			}
		})
	}
	if recs, _ := httpapi.ReadTokenFile(filepath.Join(data, httpapi.TokenFile)); len(recs) != 4 {
		t.Fatalf("%d records, want the 4 accepted", len(recs))
	}
}

func TestTokenRevoke(t *testing.T) {
	data := t.TempDir()
	tok := createToken(t, data, "ci")
	tokens := httpapi.OpenTokens(filepath.Join(data, httpapi.TokenFile))
	if _, ok, err := tokens.Lookup(tok); !ok || err != nil {
		t.Fatalf("lookup before revoke: %t %v", ok, err)
	}
	out, err := run(t.Context(), "token", "revoke", "ci", "--data", data)
	if err != nil || !strings.Contains(out, `token "ci" (tenant acme) revoked at `) {
		t.Fatalf("revoke: %q %v", out, err)
	}
	revoked := tokenRecord(t, data, "ci").Revoked
	if revoked.IsZero() {
		t.Fatal("the record is not marked revoked")
	}
	if _, _, err := httpapi.OpenTokens(filepath.Join(data, httpapi.TokenFile)).Lookup(tok); !errors.Is(err, httpapi.ErrTokenRevoked) {
		t.Fatalf("lookup after revoke: %v, want ErrTokenRevoked", err)
	}
	out, err = run(t.Context(), "token", "revoke", "ci", "--data", data)
	if err != nil || !strings.Contains(out, "was already revoked") || !tokenRecord(t, data, "ci").Revoked.Equal(revoked) {
		t.Fatalf("second revoke: %q %v", out, err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown name", []string{"token", "revoke", "nobody", "--data", data}, `no such token: "nobody" is not in`},
		{"no name", []string{"token", "revoke", "--data", data}, "accepts 1 arg"},
		{"two names", []string{"token", "revoke", "ci", "other", "--data", data}, "accepts 1 arg"},
		{"no token file", []string{"token", "revoke", "ci", "--data", t.TempDir()}, "there is no token file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := run(t.Context(), tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one holding %q", err, tc.want)
			}
		})
	}
}

func TestTokenList(t *testing.T) {
	data := t.TempDir()
	if out, err := run(t.Context(), "token", "list", "--data", data, "--json"); err != nil || strings.TrimSpace(out) != `{
  "tokens": []
}` {
		t.Fatalf("list of no tokens: %q %v", out, err)
	}
	toks := []string{createToken(t, data, "ci"), createToken(t, data, "short", "--ttl", "1h"), createToken(t, data, "gone")}
	if _, err := run(t.Context(), "token", "revoke", "gone", "--data", data); err != nil {
		t.Fatal(err)
	}
	tokens := httpapi.OpenTokens(filepath.Join(data, httpapi.TokenFile))
	if _, ok, err := tokens.Lookup(toks[0]); !ok || err != nil {
		t.Fatalf("lookup: %t %v", ok, err)
	}
	if err := tokens.FlushUsed(); err != nil {
		t.Fatal(err)
	}
	used, err := httpapi.ReadTokenUsed(filepath.Join(data, httpapi.TokenFile))
	if err != nil || used["ci"].IsZero() {
		t.Fatalf("last used %v %v", used, err)
	}

	table, err := run(t.Context(), "token", "list", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "LAST USED") {
		t.Fatalf("table:\n%s", table)
	}
	for i, want := range [][]string{
		{"ci", "acme", "log:read", "never", used["ci"].Format(time.RFC3339), "active"},
		{"short", "never", "active"},
		{"gone", "never", "revoked " + tokenRecord(t, data, "gone").Revoked.UTC().Format(time.RFC3339)},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %q lacks %q", lines[i+1], w)
			}
		}
	}

	js, err := run(t.Context(), "token", "list", "--data", data, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Tokens []httpapi.TokenInfo }
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatalf("%v in %s", err, js)
	}
	if len(got.Tokens) != 3 || !got.Tokens[0].LastUsed.Equal(used["ci"]) || got.Tokens[1].Expires.IsZero() ||
		got.Tokens[2].State != httpapi.TokenRevoked || got.Tokens[0].State != httpapi.TokenActive {
		t.Fatalf("json list %+v", got.Tokens)
	}

	recs, _ := httpapi.ReadTokenFile(filepath.Join(data, httpapi.TokenFile))
	for _, out := range []string{table, js} {
		for i, r := range recs {
			if strings.Contains(out, toks[i]) || strings.Contains(out, strings.TrimPrefix(r.Hash, "sha256:")) || strings.Contains(out, "sha256") {
				t.Fatalf("list shows token %s or its hash:\n%s", r.Name, out)
			}
		}
	}
}

// TestServeRecordsLastUse checks the server's wiring: a use of a token is
// in the last-used file once the server has stopped.
func TestServeRecordsLastUse(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, "--dev", "--data", data)
	before := time.Now().UTC()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/v1/log/checkpoint", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d with the dev token", resp.StatusCode)
	}
	s.stop(t)
	infos, err := httpapi.ListTokens(filepath.Join(data, httpapi.TokenFile), time.Now())
	if err != nil || len(infos) != 1 || infos[0].Name != devTokenName || !infos[0].Expires.IsZero() ||
		infos[0].LastUsed.Before(before) {
		t.Fatalf("tokens %+v, %v; want the dev token, never expiring, used after %v", infos, err, before)
	}
	if st, err := os.Stat(filepath.Join(data, httpapi.TokenUsedFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("last-used file: %v %v", st, err)
	}
}
