package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/torchwood"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/verifier"
	"github.com/assay-ledger/assay/witness/witnesstest"
)

// get fetches url with token and returns the status and body.
func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// waitWitnesses polls GET /v1/witnesses until done accepts the view.
func waitWitnesses(t *testing.T, s *serving, done func(wire.WitnessesView) bool) wire.WitnessesView {
	t.Helper()
	for i := 0; ; i++ {
		var v wire.WitnessesView
		getJSON(t, s.url+wire.WitnessesPath, s.token, &v)
		if done(v) {
			return v
		}
		if i == 20000 {
			t.Fatalf("witnesses never got there: %+v", v)
		}
	}
}

// TestServeWitnesses runs `assay serve` with two litewitnesses and quorum
// 2: nothing is served as witnessed until both know the log; then the
// served checkpoint carries both cosignatures, which verify with sumdb/note
// (and transparency-dev/formats' cosignature verifier); audit, log verify,
// receipts and bundles require them, and fail when one is dropped or
// forged. A second server with the same key and origin but another
// history is refused by the witness, and says so in /v1/witnesses and its
// metrics.
func TestServeWitnesses(t *testing.T) {
	wa, wb := witnesstest.Start(t, "witness.test/a"), witnesstest.Start(t, "witness.test/b")
	data := t.TempDir()
	s := startServe(t, "--dev", "--data", data, "--witness", wa.URL+"="+wa.VKey, "--witness", wb.URL+"="+wb.VKey,
		"--witness-quorum", "2", "--witness-interval", "10ms")
	defer s.stop(t)
	cli := cliOf(t, s, s.token)

	// The witnesses do not know the log yet: they refuse, nothing is
	// witnessed, and ?witnessed=false still answers.
	waitWitnesses(t, s, func(v wire.WitnessesView) bool {
		return v.Quorum == 2 && len(v.Witnesses) == 2 && strings.Contains(v.Witnesses[0].LastError, "unknown-log") && strings.Contains(v.Witnesses[1].LastError, "unknown-log")
	})
	if code, body := get(t, s.url+"/v1/log/checkpoint", s.token); code != http.StatusServiceUnavailable || !strings.Contains(string(body), wire.TypeNotWitnessed) {
		t.Fatalf("checkpoint before any cosignature: %d %s", code, body)
	}
	if code, body := get(t, s.url+"/v1/log/checkpoint?witnessed=false", s.token); code != http.StatusOK || !strings.HasPrefix(string(body), devOrigin+"\n") {
		t.Fatalf("?witnessed=false: %d %s", code, body)
	}

	wa.AddLog(devOrigin, s.vkey)
	wb.AddLog(devOrigin, s.vkey)
	dir := t.TempDir()
	for i := range 3 {
		p := filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(p, []byte(fmt.Sprint("witnessed ", i)), 0o600); err != nil {
			t.Fatal(err)
		}
		cli("put", p, "--key", fmt.Sprintf("w/%d.txt", i))
	}
	var health wire.Health
	getJSON(t, s.url+"/health", s.token, &health)
	waitWitnesses(t, s, func(v wire.WitnessesView) bool { return v.WitnessedSize == health.Size })

	code, cp := get(t, s.url+"/v1/log/checkpoint", s.token)
	if code != http.StatusOK {
		t.Fatalf("checkpoint: %d %s", code, cp)
	}
	logV, _ := note.NewVerifier(s.vkey)
	va, _ := fnote.NewVerifierForCosignatureV1(wa.VKey)
	vb, _ := fnote.NewVerifierForCosignatureV1(wb.VKey)
	n, err := note.Open(cp, note.VerifierList(logV, va, vb))
	if err != nil || len(n.Sigs) != 3 || n.Sigs[1].Name != wa.Name || n.Sigs[2].Name != wb.Name {
		t.Fatalf("served checkpoint %s: %v (%d signatures)", cp, err, len(n.Sigs))
	}
	if _, tiles := get(t, s.url+"/checkpoint", s.token); string(tiles) != string(cp) {
		t.Fatalf("/checkpoint %s differs from /v1/log/checkpoint %s", tiles, cp)
	}

	// The policy in force names the witnesses and the quorum.
	if out := cli("policy", "show"); !strings.Contains(out, `"quorum": 2`) || !strings.Contains(out, wa.VKey) || !strings.Contains(out, wb.VKey) {
		t.Fatalf("policy show does not name the witnesses:\n%s", out)
	}

	// Clients require the cosignatures.
	require := []string{"--key", s.vkey, "--witness", wa.VKey, "--witness", wb.VKey, "--witness-quorum", "2"}
	state := filepath.Join(dir, "audit.state")
	if out, err := run(t.Context(), append([]string{"audit", "--state", state, "--server", s.url, "--token", s.token}, require...)...); err != nil {
		t.Fatalf("audit with both witnesses: %v\n%s", err, out)
	}
	if out, err := run(t.Context(), append([]string{"log", "verify", "--index", "1", "--server", s.url, "--token", s.token}, require...)...); err != nil {
		t.Fatalf("log verify with both witnesses: %v\n%s", err, out)
	}
	proxy := newTamperProxy(t, s.url)
	for _, tc := range []struct{ mode, want string }{
		{"drop-cosig", "1 valid cosignatures (witness.test/a) of the 2 required"},
		{"forge-cosig", "the signature by witness.test/b does not verify"},
	} {
		proxy.mode.Store(tc.mode)
		out, err := run(t.Context(), append([]string{"audit", "--state", state, "--server", proxy.URL, "--token", s.token}, require...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("audit of a checkpoint with %s: %v, want %q\n%s", tc.mode, err, tc.want, out)
		}
	}
	proxy.mode.Store("drop-cosig")
	if out, err := run(t.Context(), "log", "verify", "--server", proxy.URL, "--token", s.token, "--key", s.vkey,
		"--witness", wa.VKey, "--witness", wb.VKey, "--witness-quorum", "1"); err != nil {
		t.Fatalf("log verify with quorum 1 of a checkpoint one witness cosigned: %v\n%s", err, out)
	}

	// A fresh receipt proves an entry in the cosigned checkpoint.
	var rc wire.Receipt
	getJSON(t, s.url+"/v1/log/receipt?index=2", s.token, &rc)
	c, err := verifier.OpenWitnessed([]byte(rc.Checkpoint), s.vkey, devOrigin, verifier.Witnesses{Keys: []string{wa.VKey, wb.VKey}})
	if err != nil || rc.Index != 2 || c.Size != health.Size {
		t.Fatalf("receipt %+v: %v", rc, err)
	}
	if err := verifier.VerifyInclusion(2, c.Size, verifier.LeafHash(rc.Entry), hashes(rc.InclusionProof), c.Root); err != nil {
		t.Fatalf("receipt proof: %v", err)
	}

	// Bundles keep the cosigned checkpoint; an export through a server
	// that forged a cosignature is a consistent bundle that fails only
	// the witness check.
	good, forged := filepath.Join(dir, "good.bundle"), filepath.Join(dir, "forged.bundle")
	for _, b := range []struct{ mode, out string }{{"", good}, {"forge-cosig", forged}} {
		proxy.mode.Store(b.mode)
		if out, err := run(t.Context(), "bundle", "export", "--from", "0", "--out", b.out, "--server", proxy.URL, "--token", s.token); err != nil {
			t.Fatalf("bundle export (%q): %v\n%s", b.mode, err, out)
		}
	}
	if out, err := run(t.Context(), append([]string{"bundle", "verify", good}, require...)...); err != nil {
		t.Fatalf("bundle verify with witnesses: %v\n%s", err, out)
	}
	if out, err := run(t.Context(), "bundle", "verify", forged, "--key", s.vkey); err != nil {
		t.Fatalf("the forged bundle without witnesses: %v\n%s", err, out)
	}
	if _, err := run(t.Context(), append([]string{"bundle", "verify", forged}, require...)...); err == nil || !strings.Contains(err.Error(), "the signature by witness.test/b does not verify") {
		t.Fatalf("bundle verify of a forged cosignature: %v", err)
	}

	if code, m := get(t, s.url+"/metrics", s.token); code != http.StatusOK || !strings.Contains(string(m), `assay_witness_lag_entries{witness="witness.test/a"}`) ||
		!strings.Contains(string(m), fmt.Sprintf("assay_witnessed_size %d", health.Size)) || !strings.Contains(string(m), `assay_witness_request_seconds_count{witness="witness.test/b"}`) {
		t.Fatalf("metrics: %d\n%s", code, m)
	}

	// Split view: another server signs another history with the same key
	// and origin. Witness a refuses it.
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"checkpoint.key", "checkpoint.vkey"} {
		b, err := os.ReadFile(filepath.Join(data, "keys", k))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(other, "keys", k), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	split := startServe(t, "--dev", "--data", other, "--witness", wa.URL+"="+wa.VKey, "--witness-interval", "10ms")
	defer split.stop(t)
	if split.vkey != s.vkey {
		t.Fatalf("the second server signs with %s, not %s", split.vkey, s.vkey)
	}
	splitCli := cliOf(t, split, split.token)
	for i := range health.Size + 2 {
		p := filepath.Join(dir, fmt.Sprint("other-", i))
		if err := os.WriteFile(p, []byte(fmt.Sprint("another history ", i)), 0o600); err != nil {
			t.Fatal(err)
		}
		splitCli("put", p, "--key", fmt.Sprintf("eve/%d.txt", i))
	}
	v := waitWitnesses(t, split, func(v wire.WitnessesView) bool {
		return strings.Contains(v.Witnesses[0].LastError, "split-view") && strings.Contains(v.Witnesses[0].LastError, "422")
	})
	if v.WitnessedSize != 0 || v.Witnesses[0].CosignedSize != 0 {
		t.Fatalf("the split view was cosigned: %+v", v)
	}
	if _, m := get(t, split.url+"/metrics", split.token); !strings.Contains(string(m), `assay_witness_failures_total{reason="split-view",witness="witness.test/a"}`) {
		t.Fatalf("no split-view failure metric:\n%s", m)
	}
	if logs := wa.Logs(); !strings.Contains(logs, fmt.Sprintf(`"size":%d`, health.Size)) {
		t.Fatalf("witness a moved off the first server's history: %s", logs)
	}
}

func hashes(hs []wire.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

// TestServeWitnessFlags: malformed witness flags stop serve before it
// writes anything.
func TestServeWitnessFlags(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := torchwood.NewCosignatureSigner("witness.test/a", priv)
	if err != nil {
		t.Fatal(err)
	}
	lw := signer.Verifier().String()
	file := filepath.Join(t.TempDir(), "witnesses")
	if err := os.WriteFile(file, []byte("# comment\n\nnot a spec\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--witness", "http://127.0.0.1:1"}, "want URL=VKEY"},
		{[]string{"--witness", "ftp://x=" + lw}, "http:// or https://"},
		{[]string{"--witness", "http://x=witness.test/a+00000000+AQ"}, "witness key"},
		{[]string{"--witness", "http://x=" + lw, "--witness-quorum", "2"}, "--witness-quorum 2 of 1"},
		{[]string{"--witness-quorum", "1"}, "needs --witness"},
		{[]string{"--witness-file", file}, "witnesses:3: witness \"not a spec\""},
		{[]string{"--witness", "http://x=" + lw, "--witness-interval", "0s"}, "must be positive"},
		{[]string{"--witness", "http://x=" + lw, "--witness", "http://y=" + lw}, "configured twice"},
	} {
		data := t.TempDir()
		_, err := run(t.Context(), append([]string{"serve", "--dev", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %v: %v, want %q", tc.args, err, tc.want)
		}
		if left, _ := os.ReadDir(data); len(left) != 0 {
			t.Errorf("serve %v wrote %d files before refusing", tc.args, len(left))
		}
	}
}
