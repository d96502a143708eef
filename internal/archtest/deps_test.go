// Package archtest holds the rules of the project's dependency graph, read
// from `go list -deps`, so a change that breaks one fails `make test`.
package archtest

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/assay-ledger/assay"

// pkg is what `go list -deps -json` says of one package.
type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Module     *struct{ Path string }
}

func (p pkg) own() bool { return p.Module != nil && p.Module.Path == module }

// deps returns the packages patterns depend on, themselves included.
func deps(t *testing.T, patterns ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json"}, patterns...)...)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var ps []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if len(ps) < 2 {
		t.Fatalf("go list %v listed %d packages", patterns, len(ps))
	}
	return ps
}

// TestLedgerKnowsNoHTTP: no package of ours that a ledger package depends
// on imports net/http; domains speak in error kinds, and only httpapi
// turns them into status codes. (Badger itself imports expvar, which
// imports net/http, so the rule is about our own packages.)
func TestLedgerKnowsNoHTTP(t *testing.T) {
	checked := 0
	for _, p := range deps(t, module+"/ledger/...") {
		if !p.own() {
			continue
		}
		checked++
		if slices.Contains(p.Imports, "net/http") {
			t.Errorf("%s imports net/http", p.ImportPath)
		}
		if strings.HasPrefix(p.ImportPath, module+"/httpapi") {
			t.Errorf("a ledger package depends on %s", p.ImportPath)
		}
	}
	if checked < 5 {
		t.Fatalf("checked %d own packages, want the ledger's", checked)
	}
}

// TestClientIsNotTheServer: the client shares wire types with the server
// through httpapi/wire, and never imports the server package.
func TestClientIsNotTheServer(t *testing.T) {
	ps := deps(t, module+"/httpapi/client")
	var sawWire bool
	for _, p := range ps {
		switch p.ImportPath {
		case module + "/httpapi":
			t.Errorf("httpapi/client depends on the server package httpapi")
		case module + "/httpapi/wire":
			sawWire = true
		}
	}
	if !sawWire {
		t.Fatal("httpapi/client does not use httpapi/wire")
	}
}

// TestVerifierStandsAlone: the verifier, which auditors read to decide
// whether to trust us, depends on no package of ours and on no Ed25519
// code but the standard library's.
func TestVerifierStandsAlone(t *testing.T) {
	var sawStd bool
	for _, p := range deps(t, module+"/verifier") {
		if p.ImportPath == module+"/verifier" {
			continue
		}
		if p.own() {
			t.Errorf("verifier depends on %s", p.ImportPath)
		}
		if p.ImportPath == "crypto/ed25519" {
			sawStd = true
			continue
		}
		if strings.Contains(p.ImportPath, "ed25519") || strings.Contains(p.ImportPath, "curve25519") {
			if !p.Standard {
				t.Errorf("verifier depends on %s", p.ImportPath)
			}
		}
	}
	if !sawStd {
		t.Fatal("verifier does not use crypto/ed25519")
	}
}
