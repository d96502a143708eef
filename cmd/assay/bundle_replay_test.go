package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/runlog"
)

// TestBundlesReplayEveryProjection fills a served ledger with packages,
// files, objects, promotions (to golden, masked to golden, and to
// quarantine then approved or rejected), upload permits and denials, and
// job exports, exports it as 0->N and N->M bundles,
// verifies them offline, imports them into a fresh data directory, and
// compares the mirror with the source: size, root, and every projection key
// and value, so every query the API answers from them answers the same.
func TestBundlesReplayEveryProjection(t *testing.T) {
	src := t.TempDir()
	s := startServe(t, "--dev", "--data", src, "--promotion-trust", "test-key-1=../../testdata/promotion/test-key-1.pub.hex",
		"--mask-rules", "../../testdata/promotion/mask-rules.yaml")
	cli := func(args ...string) string {
		t.Helper()
		out, err := run(t.Context(), append(args, "--server", s.url, "--token", s.token)...)
		if err != nil {
			t.Fatalf("assay %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	reviewer, err := run(t.Context(), "token", "create", "--data", src, "--name", "reviewer", "--tenant", "dev", "--scope", "promotions:review")
	if err != nil {
		t.Fatal(err)
	}
	reviewer = strings.TrimSpace(reviewer)
	dir := t.TempDir()
	var sealedLogs []string // each round's sealed run log digest
	activity := func(round int) {
		files := t.TempDir()
		for i := range 3 {
			p := filepath.Join(files, fmt.Sprintf("r%d/f%d.txt", round, i))
			os.MkdirAll(filepath.Dir(p), 0o700)
			os.WriteFile(p, fmt.Appendf(nil, "round %d file %d", round, i), 0o600)
		}
		var p catalog.Package
		mustJSON(t, cli("package", "create", "--name", fmt.Sprintf("build-%d", round), "--producer", "ci", "--retention", "raw-evidence"), &p)
		cli("package", "upload", p.ID, files)
		cli("package", "finalize", p.ID)
		cli("put", filepath.Join(files, fmt.Sprintf("r%d/f0.txt", round)), "--key", "evidence/latest.txt")
		cli("promote", "raw/evidence/", fmt.Sprintf("golden/round-%d/", round), "--tier", "basic", "--wait", "--poll", "1ms")
		// Without a proof, tier signed quarantines (promote --wait exits
		// non-zero); a reviewer decides.
		var q wire.PromotionView
		out, err := run(t.Context(), "promote", "raw/evidence/", fmt.Sprintf("golden/signed-%d/", round), "--tier", "signed", "--wait", "--poll", "1ms",
			"--server", s.url, "--token", s.token)
		if err == nil || !strings.Contains(err.Error(), "1 of 1 objects quarantined") {
			t.Fatalf("promote --wait of a quarantined object: %v", err)
		}
		mustJSON(t, out, &q)
		if q.Quarantined != 1 || q.Status != "failed" {
			t.Fatalf("signed promotion without a proof: %+v", q.Promotion)
		}
		verb := map[int]string{1: "approve", 2: "reject"}[round]
		if _, err := run(t.Context(), "quarantine", verb, q.Objects[0].QuarantineID, "--reason", "replayed",
			"--server", s.url, "--token", reviewer); err != nil {
			t.Fatalf("quarantine %s: %v", verb, err)
		}
		// Tier masked places new blobs; a permit and a denial are entries.
		proof, digests := landVector(t, cli)
		var perm, denied wire.PermitResponse
		mustJSON(t, cli("permit", "--tier", "signed", "--proof", proof, "--digest", digests[0], "--key", "raw/incoming/run-7/report.md"), &perm)
		mustJSON(t, cli("permit", "--tier", "signed", "--proof", proof, "--digest", "sha256:"+strings.Repeat("0", 64)), &denied)
		var m wire.PromotionView
		mustJSON(t, cli("promote", "raw/incoming/run-7/", fmt.Sprintf("golden/masked-%d/", round), "--tier", "masked", "--permission", perm.PermissionID, "--wait", "--poll", "10ms"), &m)
		if !perm.Permitted || denied.Permitted || m.Masked != 2 {
			t.Fatalf("permit %+v, denial %+v, masked promotion %+v", perm, denied, m.Promotion)
		}
		runID := fmt.Sprintf("3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6%d", round)
		art := "sha256:" + strings.Repeat(fmt.Sprintf("%02d", round), 32)
		// The run's log, sealed, is what the export's logsPath names.
		logRun := fmt.Sprintf("7e57c0de-0000-4000-8000-00000000000%d", round)
		cli("run", "append", logRun, fmt.Sprintf("round %d starts", round))
		cli("run", "append", logRun, fmt.Sprintf("round %d ends", round), "--level", "warn")
		var sealed runlog.Run
		mustJSON(t, cli("run", "close", logRun, "--status", "succeeded"), &sealed)
		sealedLogs = append(sealedLogs, sealed.Digest)
		for _, status := range []string{"running", "succeeded"} {
			doc, _ := json.Marshal(map[string]string{"runId": runID, "artifactHash": art, "startedAt": "2025-12-02T00:00:00Z",
				"status": status, "tenantId": "dev", "idempotencyKey": exports.IdempotencyKey(runID, art, "dev"),
				"logsPath": "cas://runs/" + logRun + "/log.ndjson"})
			f := filepath.Join(dir, fmt.Sprintf("export-%d-%s.json", round, status))
			os.WriteFile(f, doc, 0o600)
			cli("export", "submit", f)
		}
	}
	activity(1)
	first := filepath.Join(dir, "first.tar.zst")
	if _, err := run(t.Context(), "bundle", "export", "--from", "0", "--out", first, "--blobs", "--server", s.url, "--token", s.token); err == nil ||
		!strings.Contains(err.Error(), "not in the store") {
		t.Fatalf("--blobs with export artifacts not in the store: %v, want a refusal", err)
	}
	cli("bundle", "export", "--from", "0", "--out", first, "--key", s.vkey, "--blobs", "--allow-missing")
	n := sizeOfServer(t, s)
	activity(2)
	second := filepath.Join(dir, "second.tar.zst")
	cli("bundle", "export", "--from", fmt.Sprint(n), "--out", second, "--key", s.vkey, "--blobs", "--allow-missing")
	s.stop(t)

	mirror := filepath.Join(dir, "mirror")
	mustRun(t, "keys", "generate", "--name", "checkpoint", "--out", filepath.Join(mirror, "keys"), "--key-name", "mirror.test")
	for i, b := range []string{first, second} {
		f, err := os.Open(b)
		if err != nil {
			t.Fatal(err)
		}
		v, err := bundle.Verify(f, bundle.Options{Key: s.vkey})
		f.Close()
		if err != nil || len(v.Header.CAS) != 1 || "sha256:"+v.Header.CAS[0].Digest != sealedLogs[i] || v.Header.CAS[0].Tenant != "dev" {
			t.Fatalf("bundle %s: cas resolutions %+v (%v), want the round's sealed run log %s of dev resolved", b, v.Header.CAS, err, sealedLogs[i])
		}
		mustRun(t, "bundle", "verify", b, "--key", s.vkey)
		mustRun(t, "bundle", "import", b, "--data", mirror, "--origin", "mirror.test", "--key", s.vkey)
	}
	a, b := openAny(t, filepath.Join(src, "ledger")), openAny(t, filepath.Join(mirror, "ledger"))
	sa, ra := a.Head()
	sb, rb := b.Head()
	if sa != sb || !bytes.Equal(ra, rb) || sa <= n {
		t.Fatalf("mirror (%d, %x), source (%d, %x); first bundle ended at %d", sb, rb, sa, ra, n)
	}
	if ba, bb := blobSet(t, filepath.Join(src, "blobs")), blobSet(t, filepath.Join(mirror, "blobs")); len(ba) < 6 || fmt.Sprint(ba) != fmt.Sprint(bb) {
		t.Fatalf("source store holds %v, mirror %v", ba, bb)
	}
	pa, pb := projections(t, a), projections(t, b)
	t.Logf("source and mirror: %d entries (first bundle %d), %d projection keys", sa, n, len(pa))
	delete(pb, "ledger/mirror")
	if len(pa) < 20 || len(pa) != len(pb) {
		t.Fatalf("source has %d projection keys, mirror %d", len(pa), len(pb))
	}
	promoted, permits, masked := 0, 0, 0
	for k, v := range pa {
		switch {
		case strings.HasPrefix(k, "pro/q/") || strings.HasPrefix(k, "pro/req/"):
			promoted++
		case strings.HasPrefix(k, "pro/perm/"):
			permits++
		case strings.HasPrefix(k, "cat/obj/") && strings.Contains(v, `"masking":{`):
			masked++
		}
	}
	if promoted != 8 || permits != 2 || masked != 4 {
		t.Fatalf("%d promotion and quarantine projections, want 6 promotions and 2 items; %d permissions, want 2; %d masked golden objects, want 4",
			promoted, permits, masked)
	}
	for k, v := range pa {
		if pb[k] != v {
			t.Fatalf("projection %q: source %q, mirror %q", k, v, pb[k])
		}
	}
	b.Close() // release the mirror's ledger for its server
	checkMirrorServe(t, mirror, dir)
}

// blobSet lists the digests a local store holds, sorted.
func blobSet(t *testing.T, root string) []string {
	st, err := local.Open(local.Config{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = st.Walk(t.Context(), func(d cas.Digest) error { out = append(out, d.String()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func sizeOfServer(t *testing.T, s *serving) uint64 {
	out, err := run(t.Context(), "log", "checkpoint", "--server", s.url, "--token", s.token)
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	fmt.Sscan(strings.Split(out, "\n")[1], &n)
	return n
}

// openAny opens a stopped server's ledger with a throw-away signer.
func openAny(t *testing.T, dir string) *ledger.Log {
	skey, _, _ := note.GenerateKey(rand.Reader, "any")
	s, _ := note.NewSigner(skey)
	l, err := ledger.Open(ledger.Config{Dir: dir, Origin: "any", Signer: s, Modules: domains.Modules(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func projections(t *testing.T, l *ledger.Log) map[string]string {
	out := map[string]string{}
	err := l.ScanProjections(context.Background(), nil, nil, func(k, v []byte) (bool, error) {
		out[string(k)] = string(v)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkMirrorServe serves the mirror: reads work, writes are refused as a
// read-only mirror unless --mirror-writes.
func checkMirrorServe(t *testing.T, mirror, dir string) {
	m := startServe(t, "--dev", "--data", mirror, "--origin", "mirror.test")
	mcli := func(args ...string) (string, error) {
		return run(t.Context(), append(args, "--server", m.url, "--token", m.token)...)
	}
	if _, err := mcli("log", "entry", "3"); err != nil {
		t.Fatalf("reading the mirror: %v", err)
	}
	if _, err := mcli("package", "create", "--name", "x", "--producer", "p", "--retention", "transient"); err == nil || !strings.Contains(err.Error(), "is a mirror") {
		t.Fatalf("package create on a mirror: %v, want read-only-mirror", err)
	}
	runID, art := "3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e69", "sha256:"+strings.Repeat("09", 32)
	doc, _ := json.Marshal(map[string]string{"runId": runID, "artifactHash": art, "startedAt": "2025-12-02T00:00:00Z",
		"status": "running", "tenantId": "dev", "idempotencyKey": exports.IdempotencyKey(runID, art, "dev")})
	fresh := filepath.Join(dir, "export-new.json")
	os.WriteFile(fresh, doc, 0o600)
	if _, err := mcli("export", "submit", fresh); err == nil || !strings.Contains(err.Error(), "is a mirror") {
		t.Fatalf("export submit on a mirror: %v, want read-only-mirror", err)
	}
	m.stop(t)
	w := startServe(t, "--dev", "--data", mirror, "--origin", "mirror.test", "--mirror-writes")
	if _, err := run(t.Context(), "package", "create", "--name", "x", "--producer", "p", "--retention", "transient", "--server", w.url, "--token", m.token); err != nil {
		t.Fatalf("package create with --mirror-writes: %v", err)
	}
	w.stop(t)
}
