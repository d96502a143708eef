package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/retention"
)

// cliOf runs assay commands against s, failing the test on an error.
func cliOf(t *testing.T, s *serving, token string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		out, err := run(t.Context(), append(args, "--server", s.url, "--token", token)...)
		if err != nil {
			t.Fatalf("assay %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
}

// retentionPolicy is the retention part of a policy.applied entry.
type retentionPolicy struct {
	Catalog struct {
		Classes    map[string]string `json:"retention_classes"`
		Compliance map[string]bool   `json:"retention_compliance"`
	} `json:"catalog"`
	Retention struct {
		GraceSeconds int64 `json:"deletion_grace_seconds"`
	} `json:"retention"`
}

// lastPolicy returns the policy of the newest policy.applied entry of the
// server's log and its index.
func lastPolicy(t *testing.T, s *serving, token string) (retentionPolicy, uint64) {
	t.Helper()
	cli := cliOf(t, s, token)
	for i := sizeOfServer(t, s); i > 0; i-- {
		var e wire.LogEntry
		mustJSON(t, cli("log", "entry", fmt.Sprint(i-1)), &e)
		var body struct {
			Type   string          `json:"type"`
			Policy retentionPolicy `json:"policy"`
		}
		if err := json.Unmarshal(e.Entry, &body); err != nil {
			t.Fatal(err)
		}
		if body.Type == "policy.applied" {
			return body.Policy, i - 1
		}
	}
	t.Fatal("no policy.applied entry")
	return retentionPolicy{}, 0
}

// TestRetentionCLIAndPolicy runs the retention commands against `assay
// serve`, then restarts it with another period for a class: the restart
// logs a new policy.applied, the existing package keeps the expiry decided
// at its creation, and a new one gets the new period.
func TestRetentionCLIAndPolicy(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, "--dev", "--data", data, "--retention", "transient=7d", "--retention-compliance", "release-evidence")
	token := s.token
	cli := cliOf(t, s, token)
	pol, _ := lastPolicy(t, s, token)
	if c := pol.Catalog; len(c.Compliance) != len(c.Classes) || !c.Compliance["release-evidence"] || c.Compliance["transient"] || c.Classes["transient"] != "7d" {
		t.Fatalf("policy %v; want transient 7d and release-evidence in compliance mode", pol)
	}
	if pol.Retention.GraceSeconds != 7*24*3600 {
		t.Fatalf("policy %v; want the default deletion grace of 7 days", pol)
	}

	var p, rel catalog.Package
	mustJSON(t, cli("package", "create", "--name", "build", "--retention", "transient"), &p)
	mustJSON(t, cli("package", "create", "--name", "release", "--retention", "release-evidence"), &rel)
	var v retention.View
	mustJSON(t, cli("retention", "show", rel.ID), &v)
	if v.Mode != catalog.ModeCompliance || v.Class != "release-evidence" {
		t.Fatalf("release package retention %+v; want compliance mode", v)
	}
	var ev retention.Event
	mustJSON(t, cli("retention", "extend", p.ID, "--duration", "3d", "--reason", "audit"), &ev)
	if !ev.ExpiresAt.Equal(p.Retention.ExpiresAt.AddDate(0, 0, 3)) || ev.PolicyIndex == nil {
		t.Fatalf("extension %+v; want 3 days more, under the policy in force", ev)
	}
	var h retention.Hold
	mustJSON(t, cli("retention", "hold", p.ID, "--reason", "litigation", "--case-ref", "CASE-9"), &h)
	mustJSON(t, cli("retention", "release", p.ID, h.HoldID, "--reason", "settled"), &h)
	if h.Active || h.ReleaseReason != "settled" {
		t.Fatalf("released hold %+v", h)
	}
	mustJSON(t, cli("retention", "show", p.ID), &v)
	if len(v.Events) != 4 || len(v.Holds) != 1 || v.Holds[0].CaseRef != "CASE-9" {
		t.Fatalf("retention of %s: %+v", p.ID, v)
	}
	var page wire.EligiblePage
	mustJSON(t, cli("retention", "eligible"), &page)
	if len(page.Packages) != 0 {
		t.Fatalf("eligible %+v; nothing has expired", page)
	}
	if _, err := run(t.Context(), "retention", "extend", p.ID, "--duration", "1d", "--server", s.url, "--token", token); err == nil {
		t.Fatal("extend without --reason ran")
	}
	size := sizeOfServer(t, s)
	s.stop(t)

	s = startServe(t, "--dev", "--data", data, "--retention", "transient=30d", "--retention-compliance", "release-evidence", "--deletion-grace", "48h")
	defer s.stop(t)
	s.token = token // printed on the first start only
	cli = cliOf(t, s, token)
	pol, idx := lastPolicy(t, s, token)
	if idx != size || pol.Catalog.Classes["transient"] != "30d" || pol.Retention.GraceSeconds != 48*3600 {
		t.Fatalf("after the restart: policy %v at %d; want transient 30d and a grace of 48h logged at %d", pol, idx, size)
	}
	var again catalog.Package
	mustJSON(t, cli("package", "show", p.ID), &again)
	if !again.Retention.ExpiresAt.Equal(*p.Retention.ExpiresAt) || again.Retention.Period != "7d" {
		t.Fatalf("existing package retention %+v; want the 7d decided at creation", again.Retention)
	}
	mustJSON(t, cli("retention", "show", p.ID), &v)
	if !v.ExpiresAt.Equal(*ev.ExpiresAt) {
		t.Fatalf("existing package's expiry %v; want the extended %v", v.ExpiresAt, ev.ExpiresAt)
	}
	var fresh catalog.Package
	mustJSON(t, cli("package", "create", "--name", "later", "--retention", "transient"), &fresh)
	if d := fresh.Retention.ExpiresAt.Sub(fresh.CreatedAt); d != 30*24*time.Hour || fresh.Retention.Period != "30d" {
		t.Fatalf("new package retention %+v (%v); want 30d", fresh.Retention, d)
	}
}

// TestServeRefusesUnknownComplianceClass: a compliance flag for a class
// that does not exist stops the server before it starts.
func TestServeRefusesUnknownComplianceClass(t *testing.T) {
	_, err := run(t.Context(), "serve", "--dev", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--retention-compliance", "nosuch")
	if err == nil || !strings.Contains(err.Error(), "--retention-compliance") {
		t.Fatalf("serve: %v; want a refusal of the unknown class", err)
	}
}

// TestBundlesReplayRetention exports a log with retention and deletion
// activity as a bundle, imports it into a fresh data directory and expects
// every projection of the mirror, the retention ones among them, to equal
// the source's.
func TestBundlesReplayRetention(t *testing.T) {
	src := t.TempDir()
	// A grace period of 1ns: the purge below, a request later, is past it.
	s := startServe(t, "--dev", "--data", src, "--deletion-grace", "1ns", "--retention-sweep-interval", "0")
	cli := cliOf(t, s, s.token)
	var ids []string
	for i := range 3 {
		var p catalog.Package
		mustJSON(t, cli("package", "create", "--name", fmt.Sprintf("b%d", i), "--retention", "raw-evidence"), &p)
		ids = append(ids, p.ID)
	}
	cli("retention", "extend", ids[0], "--duration", "30d", "--reason", "audit")
	cli("retention", "extend", ids[0], "--expires-at", time.Now().AddDate(2, 0, 0).UTC().Format(time.RFC3339), "--reason", "longer")
	var h retention.Hold
	mustJSON(t, cli("retention", "hold", ids[1], "--reason", "litigation", "--case-ref", "C-1"), &h)
	cli("retention", "hold", ids[1], "--reason", "second")
	cli("retention", "release", ids[1], h.HoldID, "--reason", "settled")
	cli("retention", "hold", ids[2], "--reason", "r")
	files := t.TempDir()
	for i, name := range []string{"kept.txt", "purged.txt"} {
		os.WriteFile(filepath.Join(files, name), fmt.Appendf(nil, "file %d", i), 0o600)
	}
	var gone catalog.Package
	mustJSON(t, cli("package", "create", "--name", "gone", "--retention", "transient"), &gone)
	cli("package", "upload", gone.ID, files)
	cli("retention", "sweep")
	cli("retention", "delete", gone.ID, "--reason", "early")
	cli("retention", "restore", gone.ID, "--reason", "back")
	cli("retention", "delete", gone.ID, "--reason", "again")
	if out := cli("retention", "purge"); !strings.Contains(out, gone.ID) {
		t.Fatalf("purge: %s", out)
	}
	dir := t.TempDir()
	b := filepath.Join(dir, "all.tar.zst")
	cli("bundle", "export", "--from", "0", "--out", b, "--key", s.vkey)
	s.stop(t)

	mirror := filepath.Join(dir, "mirror")
	mustRun(t, "keys", "generate", "--name", "checkpoint", "--out", filepath.Join(mirror, "keys"), "--key-name", "mirror.test")
	f, err := os.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bundle.Verify(f, bundle.Options{Key: s.vkey})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, "bundle", "import", b, "--data", mirror, "--origin", "mirror.test", "--key", s.vkey)
	pa, pb := projections(t, openAny(t, filepath.Join(src, "ledger"))), projections(t, openAny(t, filepath.Join(mirror, "ledger")))
	delete(pb, "ledger/mirror")
	ret := 0
	for k := range pa {
		if strings.HasPrefix(k, "ret/") {
			ret++
		}
	}
	for _, k := range []string{"ret/del/" + gone.ID, "ret/blob/"} {
		found := false
		for have := range pa {
			found = found || strings.HasPrefix(have, k)
		}
		if !found {
			t.Fatalf("source has no projection key %s…", k)
		}
	}
	if ret < 12 || len(pa) != len(pb) {
		t.Fatalf("source has %d projection keys (%d of retention), mirror %d", len(pa), ret, len(pb))
	}
	for k, v := range pa {
		if pb[k] != v {
			t.Fatalf("projection %q: source %q, mirror %q", k, v, pb[k])
		}
	}
}
