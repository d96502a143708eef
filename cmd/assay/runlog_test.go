package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/ledger/runlog"
)

// TestRunLogCLI: assay run append (a message, then stdin lines), assay
// run log --no-follow, assay run close, and assay run log following a
// sealed log to its end, which prints the seal on stderr.
func TestRunLogCLI(t *testing.T) {
	s := startServe(t, "--dev", "--data", t.TempDir())
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	const id = "5d1c9a2e-3b4f-4a6d-8e7f-0a1b2c3d4e5f"
	var r runlog.Run
	mustJSON(t, cli("run", "append", id, "compiling", "--phase", "build"), &r)
	if r.Lines != 1 || r.Status != runlog.StatusOpen {
		t.Fatalf("after one line: %+v", r)
	}
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetArgs([]string{"run", "append", id, "--phase", "test", "--level", "warn", "--server", s.url, "--token", s.token})
	root.SetIn(strings.NewReader("one\ntwo\n\nthree\n"))
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	mustJSON(t, out.String(), &r)
	if r.Lines != 4 || r.Chunks != 2 {
		t.Fatalf("after stdin: %+v", r)
	}
	got := cli("run", "log", id, "--no-follow", "--ndjson", "--after", "1")
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(got), "\n") {
		var line runlog.Line
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, fmt.Sprintf("%d %s %s %s", line.Seq, line.Phase, line.Level, line.Message))
	}
	if strings.Join(msgs, "|") != "2 test warn one|3 test warn two|4 test warn three" {
		t.Fatalf("run log --after 1: %q", msgs)
	}
	mustJSON(t, cli("run", "close", id, "--status", "failed"), &r)
	if r.Status != runlog.StatusSealed || r.FinalStatus != "failed" || r.Key != "raw/runs/"+id+"/log.ndjson" {
		t.Fatalf("closed: %+v", r)
	}
	root = newRootCmd()
	out.Reset()
	errOut.Reset()
	root.SetArgs([]string{"run", "log", id, "--server", s.url, "--token", s.token})
	root.SetOut(&out)
	root.SetErr(&errOut)
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 4 || !strings.Contains(out.String(), "\tbuild\tinfo\tcompiling\n") ||
		!strings.Contains(errOut.String(), "failed: 4 lines sealed as cas://runs/"+id+"/log.ndjson ("+r.Digest) {
		t.Fatalf("run log of the sealed run: %q, stderr %q", out.String(), errOut.String())
	}
	if _, err := run(t.Context(), "run", "append", id, "late", "--server", s.url, "--token", s.token); err == nil ||
		!strings.Contains(err.Error(), "sealed") {
		t.Fatalf("append after close: %v", err)
	}
}
