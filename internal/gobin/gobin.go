// Package gobin finds the programs `go install` put on this machine, for
// the tests that run real servers (versitygw, litewitness): on the PATH,
// in $GOBIN, or in the bin directory of each GOPATH entry.
package gobin

import (
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Find returns the path of the program name, or "" when it is not
// installed.
func Find(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	dirs := []string{os.Getenv("GOBIN")}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		dirs = append(dirs, lines[0])
		for _, gp := range filepath.SplitList(lines[len(lines)-1]) {
			dirs = append(dirs, filepath.Join(gp, "bin"))
		}
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// Require returns the path of the program name for a test that runs it.
// When it is missing the test is skipped, or failed when CI is "true" or
// the environment variable requireEnv is set (make test sets it, having
// installed the program); either way the message says how to install it.
func Require(t testing.TB, name, install, requireEnv string) string {
	t.Helper()
	p := Find(name)
	if p == "" {
		msg := name + " not found in PATH or $(go env GOPATH)/bin; `make test` installs it (" + install + ")"
		if os.Getenv(requireEnv) != "" || os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}
