package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestKeysGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	out, err := run(t.Context(), "keys", "generate", "--name", "signer", "--out", dir, "--key-name", "assay.test/dsse")
	if err != nil {
		t.Fatal(err)
	}
	vkey := strings.TrimSpace(out)
	if v, err := note.NewVerifier(vkey); err != nil || v.Name() != "assay.test/dsse" {
		t.Fatalf("printed verifier key %q: %v", vkey, err)
	}
	for file, mode := range map[string]os.FileMode{"signer.key": 0o600, "signer.vkey": 0o644} {
		st, err := os.Stat(filepath.Join(dir, file))
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v, mode %v; want mode %v", file, err, st.Mode().Perm(), mode)
		}
	}
	signer, loaded, err := loadKeyPair(dir, "signer")
	if err != nil || loaded != vkey || signer.Name() != "assay.test/dsse" {
		t.Fatalf("loadKeyPair: %q %v", loaded, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"keys", "generate", "--name", "signer", "--out", dir}, "refusing to overwrite"},
		{[]string{"keys", "generate", "--name", "../x", "--out", dir}, "without slashes"},
		{[]string{"keys", "generate", "--name", "k", "--out", dir, "--key-name", "has space"}, "no spaces"},
		{[]string{"keys", "generate", "--out", dir}, `"name" not set`},
	} {
		if _, err := run(t.Context(), tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one holding %q", tc.args, err, tc.want)
		}
	}
}

func TestTokenCreate(t *testing.T) {
	data := t.TempDir()
	out, err := run(t.Context(), "token", "create", "--data", data, "--name", "ci", "--tenant", "acme", "--scope", "log:read,metrics:read", "--scope", "orchestrator:exports:write")
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(out)
	id, ok, err := httpapi.OpenTokens(filepath.Join(data, httpapi.TokenFile)).Lookup(tok)
	if err != nil || !ok || id.Tenant != "acme" || len(id.Scopes) != 3 || !id.HasScope("orchestrator:exports:write") {
		t.Fatalf("created token resolves to %+v, %t, %v", id, ok, err)
	}
	if _, err := run(t.Context(), "token", "create", "--data", data, "--name", "ci", "--tenant", "acme", "--scope", "log:read"); err == nil {
		t.Fatal("a second token named ci was created")
	}
}

func TestReadKeyArg(t *testing.T) {
	if _, err := readKeyArg("@" + filepath.Join(t.TempDir(), "missing.vkey")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing key file: %v", err)
	}
	if k, _ := readKeyArg(" name+1234+abc \n"); k != "name+1234+abc" {
		t.Fatalf("inline key %q", k)
	}
}
