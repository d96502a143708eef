package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/verifier"
)

// banner is what `assay serve` printed before serving.
type banner struct {
	url, vkey, token string
	lines            []string
}

// serving is a running `assay serve`, in-process.
type serving struct {
	banner
	cancel context.CancelFunc
	done   chan error
}

// startServe runs `assay serve args...` on a free loopback port and returns
// once its banner is printed, i.e. once it is listening.
func startServe(t testing.TB, args ...string) *serving {
	t.Helper()
	return startServeLogging(t, testWriter{t}, args...)
}

// startServeLogging is startServe with the server's log written to errOut.
func startServeLogging(t testing.TB, errOut io.Writer, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	pr, pw := io.Pipe()
	s := &serving{cancel: cancel, done: make(chan error, 1)}
	root := newRootCmd()
	root.SetArgs(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	root.SetOut(pw)
	root.SetErr(errOut)
	go func() {
		err := root.ExecuteContext(ctx)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		s.lines = append(s.lines, line)
		if v, ok := strings.CutPrefix(line, "Assay serving "); ok {
			s.url, _, _ = strings.Cut(v, " ")
		}
		if v, ok := strings.CutPrefix(line, "Checkpoint verifier key: "); ok {
			s.vkey = v
		}
		if _, v, ok := strings.Cut(line, "shown only now): "); ok {
			s.token = v
		}
		if strings.Contains(line, "curl ") {
			go io.Copy(io.Discard, pr)
			return s
		}
	}
	cancel()
	t.Fatalf("serve %v stopped before its banner: %v", args, <-s.done)
	return nil
}

// stop signals the server and expects a clean shutdown.
func (s *serving) stop(t testing.TB) {
	t.Helper()
	s.cancel()
	if err := <-s.done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// checkpoint fetches and verifies the served checkpoint with vkey.
func (s *serving) checkpoint(t *testing.T, token, vkey, origin string) verifier.Checkpoint {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/v1/log/checkpoint", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(body, note.VerifierList(v)); err != nil {
		t.Fatalf("checkpoint %d %q does not open with %s: %v", resp.StatusCode, body, vkey, err)
	}
	cp, err := verifier.OpenCheckpoint(body, vkey, origin)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

func TestServeDev(t *testing.T) {
	data := t.TempDir()
	first := startServe(t, "--dev", "--data", data)
	if first.token == "" || first.vkey == "" || !strings.HasPrefix(first.url, "http://127.0.0.1:") {
		t.Fatalf("first dev start banner lacks URL, key or token:\n%s", strings.Join(first.lines, "\n"))
	}
	if last := first.lines[len(first.lines)-1]; !strings.Contains(last, "curl -H 'Authorization: Bearer "+first.token+"' "+first.url+"/v1/log/checkpoint") {
		t.Fatalf("curl example %q", last)
	}
	if cp := first.checkpoint(t, first.token, first.vkey, devOrigin); cp.Size != 1 {
		t.Fatalf("size %d after first start, want 1 (the policy entry)", cp.Size)
	}
	out, err := run(t.Context(), "log", "verify", "--server", first.url, "--token", first.token, "--key", first.vkey, "--index", "0")
	if err != nil {
		t.Fatalf("log verify against the dev server: %v\n%s", err, out)
	}
	if !slices.Contains(first.lines, "Dev token tenant: dev (job exports send it in X-Tenant-Id; `assay whoami` shows a token's tenant)") {
		t.Fatalf("banner does not name the dev token's tenant:\n%s", strings.Join(first.lines, "\n"))
	}
	out, err = run(t.Context(), "whoami", "--server", first.url, "--token", first.token)
	if err != nil {
		t.Fatalf("whoami: %v", err)
	}
	var who wire.WhoAmI
	if err := json.Unmarshal([]byte(out), &who); err != nil || who.Name != devTokenName || who.Tenant != devTenant || !slices.Equal(who.Scopes, []string{"*"}) {
		t.Fatalf("whoami printed %q (%v), want the dev token's identity", out, err)
	}
	_, err = run(t.Context(), "whoami", "--server", first.url, "--token", "wrong-token")
	if p, ok := errors.AsType[*wire.Problem](err); !ok || p.Status != http.StatusUnauthorized ||
		!strings.HasSuffix(errorLine(err), " (request id "+p.RequestID+")") || p.RequestID == "" {
		t.Fatalf("whoami with an unknown token: %v, want a 401 problem whose message names its request id", err)
	}
	first.stop(t)

	again := startServe(t, "--dev", "--data", data)
	if again.token != "" || again.vkey != first.vkey {
		t.Fatalf("second dev start made a new token or key:\n%s", strings.Join(again.lines, "\n"))
	}
	if cp := again.checkpoint(t, first.token, first.vkey, devOrigin); cp.Size != 1 {
		t.Fatalf("size %d after a restart with the same policy, want 1", cp.Size)
	}
	again.stop(t)

	moved := startServe(t, "--data", data, "--origin", "assay.test/moved")
	if cp := moved.checkpoint(t, first.token, first.vkey, "assay.test/moved"); cp.Size != 2 {
		t.Fatalf("size %d after a policy change, want 2", cp.Size)
	}
	moved.stop(t)
}

func TestServeWithGeneratedKeyAndToken(t *testing.T) {
	data := t.TempDir()
	keys := filepath.Join(data, "keys")
	vkey, err := run(t.Context(), "keys", "generate", "--name", "checkpoint", "--out", keys, "--key-name", testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	vkey = strings.TrimSpace(vkey)
	tok, err := run(t.Context(), "token", "create", "--data", data, "--name", "ops", "--tenant", "acme", "--scope", "log:read")
	if err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--data", data, "--origin", testOrigin)
	if s.vkey != vkey || s.token != "" {
		t.Fatalf("banner key %q (want %q), token %q (want none)", s.vkey, vkey, s.token)
	}
	if cp := s.checkpoint(t, strings.TrimSpace(tok), vkey, testOrigin); cp.Size != 1 {
		t.Fatalf("size %d, want 1", cp.Size)
	}
	s.stop(t)
}

func TestServeRefuses(t *testing.T) {
	mismatched := t.TempDir()
	if _, err := writeKeyPair(filepath.Join(mismatched, "keys"), "checkpoint", "a"); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if _, err := writeKeyPair(other, "checkpoint", "a"); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(other, "checkpoint.vkey"), filepath.Join(mismatched, "keys", "checkpoint.vkey"))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", []string{"serve", "--data", t.TempDir(), "--origin", testOrigin}, "run `assay keys generate --name checkpoint"},
		{"no origin", []string{"serve", "--data", t.TempDir(), "--origin", ""}, "no --origin"},
		{"halves of two keys", []string{"serve", "--data", mismatched, "--origin", testOrigin}, "not one key pair"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t.Context(), tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one holding %q", err, tc.want)
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer safe for the server's and the test's
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeJSONLog: serve logs JSON by default, one object a line, and a
// request's line carries the id it was answered with in X-Request-Id.
func TestServeJSONLog(t *testing.T) {
	var logs lockedBuffer
	s := startServeLogging(t, &logs, "--dev", "--data", t.TempDir())
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/v1/log/entries/x", nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set(wire.RequestIDHeader, "trace-0123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get(wire.RequestIDHeader) != "trace-0123" {
		t.Fatalf("status %d, X-Request-Id %q", resp.StatusCode, resp.Header.Get(wire.RequestIDHeader))
	}
	s.stop(t)
	var found bool
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if rec["msg"] == "http request" && rec["path"] == "/v1/log/entries/x" {
			found = rec["request_id"] == "trace-0123" && rec["status"] == float64(http.StatusBadRequest)
		}
	}
	if !found {
		t.Fatalf("no JSON request line with request_id trace-0123 and status 400 in:\n%s", logs.String())
	}
	if _, err := run(t.Context(), "serve", "--data", t.TempDir(), "--dev", "--log-format", "xml"); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Fatalf("serve --log-format xml: %v", err)
	}
}
