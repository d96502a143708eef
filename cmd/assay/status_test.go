package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestStatusAndGoldenCLI serves with a golden layout, lands an object with
// landing metadata through assay put, promotes it, and reads it back with
// assay status and assay golden ls; a destination outside the layout is
// refused and the policy records the layout.
func TestStatusAndGoldenCLI(t *testing.T) {
	s := startServe(t, "--dev", "--data", t.TempDir(), "--golden-layout", "incoming/,archive/")
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	src := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(src, []byte(`{"ok":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("put", src, "--key", "ci/run-9/report.json", "--source", "github.com/acme/app", "--commit", "0123abcd",
		"--tier", "basic", "--custody", "ticket:SEC-9", "--custody", "https://ci.example/run/9")
	var st wire.ObjectStatus
	mustJSON(t, cli("status", "raw/ci/run-9/report.json"), &st)
	if l := st.Object.Landing; st.State != "landed" || l == nil || l.Commit != "0123abcd" || len(l.Custody) != 2 || l.ExpectedDigest != st.Object.Digest {
		t.Fatalf("status after landing %+v (landing %+v)", st, st.Object.Landing)
	}
	if _, err := run(t.Context(), "promote", "raw/ci/run-9/", "golden/release/", "--server", s.url, "--token", s.token); err == nil ||
		!strings.Contains(err.Error(), "layout") {
		t.Fatalf("promotion outside the layout: %v", err)
	}
	var v wire.PromotionView
	mustJSON(t, cli("promote", "raw/ci/run-9/", "golden/incoming/run-9/", "--wait", "--poll", "1ms"), &v)
	mustJSON(t, cli("status", "golden/incoming/run-9/report.json"), &st)
	if st.State != "promoted" || st.SourceKey != "ci/run-9/report.json" || len(st.Steps) != 2 || st.Steps[1].Index != v.Objects[0].OutcomeIndex {
		t.Fatalf("golden status %+v", st)
	}
	var page wire.GoldenPage
	mustJSON(t, cli("golden", "ls", "--prefix", "incoming/"), &page)
	if len(page.Objects) != 1 || page.Objects[0].Verification == nil || page.Objects[0].Verification.Status != "verified" ||
		strings.Join(page.Layout, ",") != "archive/,incoming/" {
		t.Fatalf("golden ls %+v", page)
	}
	if _, err := run(t.Context(), "status", "raw", "--server", s.url, "--token", s.token); err == nil || !strings.Contains(err.Error(), "ZONE/KEY") {
		t.Fatalf("status without a key: %v", err)
	}
	found := false
	for i := range sizeOfServer(t, s) {
		var e wire.LogEntry
		mustJSON(t, cli("log", "entry", fmt.Sprint(i)), &e)
		found = found || strings.Contains(string(e.Entry), `"golden_layout":["archive/","incoming/"]`)
	}
	if !found {
		t.Fatal("policy.applied does not record the golden layout")
	}
	if _, err := run(t.Context(), "serve", "--dev", "--data", t.TempDir(), "--golden-layout", "a/b/"); err == nil || !strings.Contains(err.Error(), "golden-layout") {
		t.Fatalf("serve with a bad layout: %v", err)
	}
}
