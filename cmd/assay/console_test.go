package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/retention"
)

// chromium returns the browser the console tests drive: $ASSAY_CHROMIUM,
// or chromium on the PATH. make test installs Debian's package and sets
// ASSAY_REQUIRE_BROWSER, so there a missing browser fails the test
// instead of skipping it.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ASSAY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ASSAY_REQUIRE_BROWSER") != "" {
		t.Fatal("no chromium on the PATH; make test installs Debian's chromium package")
	}
	t.Skip("no chromium on the PATH (make test installs it)")
	return ""
}

// browser is a headless Chromium tab that fails the test on any script
// exception or console error (a Content-Security-Policy violation is one).
type browser struct {
	t       *testing.T
	ctx     context.Context
	shots   string
	mu      sync.Mutex
	errors  []string
	ignored func(string) bool // console errors a step expects
}

// step is one browser action of a test.
type step = chromedp.Action[chromedp.Void]

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	shots := os.Getenv("ASSAY_TEST_ARTIFACTS")
	if shots == "" {
		shots = os.TempDir()
	}
	shots = filepath.Join(shots, "assay-console-screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ctx: ctx, shots: shots, ignored: func(string) bool { return false }}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return err
	})); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, fmt.Sprintf("%s (%s %s)", m, m.Source, m.URL))
				b.mu.Unlock()
			}
		}
	}()
	t.Logf("console screenshots: %s", shots)
	return b
}

// run runs steps, failing the test with what step names; then any console
// error the page reported since fails it too.
func (b *browser) run(name string, steps ...step) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		// What the page showed, to tell why.
		var page string
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		_ = chromedp.Do(ctx, b.shot("failed-"+name), eval(`location.href + "\n" + document.body.innerText`, &page))
		b.t.Fatalf("%s: %v\nthe page (screenshot failed-%s.png):\n%s", name, err, name, page)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		if !b.ignored(e) {
			b.t.Fatalf("%s: the page reported %s", name, e)
		}
	}
	b.errors = nil
}

// wait polls a JavaScript expression until it is truthy.
func wait(expr string) step {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(30*time.Second))
}

// eval evaluates expr, awaiting a promise, and decodes its value into out
// (when out is not nil).
func eval(expr string, out any) step {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise)(ctx, t)
		if err != nil || out == nil {
			return err
		}
		return json.Unmarshal(v, out)
	})
}

// shot saves a full-page screenshot named name.png.
func (b *browser) shot(name string) step {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		img, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(b.shots, name+".png"), img, 0o644)
	})
}

// tamperProxy forwards to the server and, when a tamper is set, rewrites
// the answers of one kind: it is the lying server the page must catch.
type tamperProxy struct {
	*httptest.Server
	mode atomic.Value // string: "", "proof", "checkpoint", "entry", "drop-cosig", "forge-cosig"
}

func newTamperProxy(t *testing.T, target string) *tamperProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &tamperProxy{}
	p.mode.Store("")
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(r *http.Response) error {
		mode := p.mode.Load().(string)
		path := r.Request.URL.Path
		checkpoint := path == "/v1/log/checkpoint" || path == "/checkpoint"
		if r.StatusCode != http.StatusOK || mode == "" ||
			!(mode == "proof" && path == "/v1/log/proof/inclusion" || mode == "checkpoint" && path == "/v1/log/checkpoint" ||
				mode == "entry" && strings.HasPrefix(path, "/v1/log/entries/") || strings.HasSuffix(mode, "-cosig") && checkpoint) {
			return nil
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		switch mode {
		case "proof": // one bit of the first hash of the audit path
			var pr wire.InclusionProof
			if err := json.Unmarshal(body, &pr); err != nil || len(pr.Hashes) == 0 {
				return fmt.Errorf("tamper proof %s: %v", body, err)
			}
			pr.Hashes[0][0] ^= 1
			body, _ = json.Marshal(pr)
		case "checkpoint": // the size line: the signature no longer covers it
			lines := strings.SplitN(string(body), "\n", 3)
			lines[1] += "0"
			body = []byte(strings.Join(lines, "\n"))
		case "entry": // the entry's actor, leaving the claimed leaf hash
			body = bytes.Replace(body, []byte(`"actor":"dev"`), []byte(`"actor":"eve"`), 1)
		case "drop-cosig", "forge-cosig": // the note's last signature line, a witness's cosignature
			lines := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
			last := lines[len(lines)-1]
			lines = lines[:len(lines)-1]
			if mode == "forge-cosig" {
				f := strings.Fields(last)
				sig, err := base64.StdEncoding.DecodeString(f[2])
				if err != nil || len(sig) != 76 {
					return fmt.Errorf("tamper %q: not a cosignature line: %v", last, err)
				}
				sig[len(sig)-1] ^= 1
				lines = append(lines, f[0]+" "+f[1]+" "+base64.StdEncoding.EncodeToString(sig))
			}
			body = []byte(strings.Join(lines, "\n") + "\n")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", fmt.Sprint(len(body)))
		return nil
	}
	p.Server = httptest.NewServer(rp)
	t.Cleanup(p.Close)
	return p
}

// TestConsole drives the web console in headless Chromium against `assay
// serve`: log in, search history, follow it live, open a timeline, apply
// and release a hold, approve a quarantined object, verify an entry in the
// page (and catch a tampered proof, checkpoint and entry), show markup in
// keys and metadata as text, and hide what a token's scopes do not allow.
func TestConsole(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, "--dev", "--data", data, "--promotion-trust", "test-key-1=../../testdata/promotion/test-key-1.pub.hex")
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	token := func(name string, scopes ...string) string {
		out, err := run(t.Context(), "token", "create", "--data", data, "--name", name, "--tenant", devTenant, "--scope", strings.Join(scopes, ","))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	operator := token("operator", "log:read", "packages:read", "retention:read", "retention:hold", "retention:write",
		"promotions:read", "promotions:review", "orchestrator:exports:read")
	viewer := token("viewer", "log:read", "packages:read", "promotions:read")

	// Markup in an object key, its metadata, a package name and its metadata.
	const xssKey = `incoming/<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2">.txt`
	const xssMeta = `{"note":"\"><img src=x onerror=\"window.__xss=3\"><script>window.__xss=4</script>"}`
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cli("put", write("x.txt", "markup in the key"), "--key", xssKey, "--metadata", xssMeta)
	// Two objects the signed tier's proof does not list: quarantined.
	cli("put", write("q1.txt", "not in any proof"), "--key", "incoming/run-9/q1.txt")
	cli("put", write("q2.txt", "not in any proof either"), "--key", "incoming/run-9/q2.txt")
	var vec struct {
		Proof json.RawMessage `json:"verification_proof_json"`
	}
	raw, err := os.ReadFile("../../testdata/promotion/verification-proof.json")
	if err != nil {
		t.Fatal(err)
	}
	mustJSON(t, string(raw), &vec)
	cli("put", write("proof.json", string(vec.Proof)), "--key", "incoming/run-9/verification-proof.json")
	for _, k := range []string{"q1.txt", "q2.txt"} {
		if _, err := run(t.Context(), "promote", "raw/incoming/run-9/"+k, "golden/run-9/", "--tier", "signed", "--wait", "--poll", "1ms",
			"--server", s.url, "--token", s.token); err == nil {
			t.Fatalf("promotion of %s passed; want it quarantined", k)
		}
	}
	var q wire.QuarantinePage
	mustJSON(t, cli("quarantine", "list", "--prefix", "run-9/"), &q)
	if len(q.Items) != 2 {
		t.Fatalf("quarantine: %+v", q)
	}
	var pkg struct{ ID string }
	mustJSON(t, cli("package", "create", "--name", `"><img src=x onerror="window.__xss=5">`, "--metadata", xssMeta), &pkg)
	files := filepath.Join(dir, "pkg")
	if err := os.MkdirAll(files, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(files, "report.txt"), []byte("evidence"), 0o600); err != nil {
		t.Fatal(err)
	}
	cli("package", "upload", pkg.ID, files)
	cli("package", "finalize", pkg.ID)

	// A job export, for the exports page.
	runID, art := "9d1c1d7e-4f0e-4a55-8d0b-3c7d1e2f3a4b", "sha256:"+strings.Repeat("ab", 32)
	exportKey := exports.IdempotencyKey(runID, art, devTenant)
	doc, _ := json.Marshal(map[string]string{"runId": runID, "artifactHash": art, "startedAt": "2026-12-01T00:00:00Z",
		"status": "succeeded", "tenantId": devTenant, "idempotencyKey": exportKey})
	cli("export", "submit", write("export.json", string(doc)))
	keyRoute := strings.ReplaceAll(exportKey, ":", "%3A") // sha256:hex, as the page's encodeURIComponent writes it

	proxy := newTamperProxy(t, s.url)
	b := newBrowser(t)
	ui := proxy.URL + "/ui/"
	noMarkup := `!window.__xss && !document.querySelector('main img, main script')`

	// Log in with the keyboard: the token field has the focus, Enter submits.
	var active string
	b.run("login page", chromedp.Navigate(ui), chromedp.WaitVisible(chromedp.ID("token")), eval(`document.activeElement.id`, &active))
	if active != "token" {
		t.Fatalf("the login page focused %q, want the token field", active)
	}
	b.run("log in", b.shot("01-login"), chromedp.SendKeys(chromedp.ID("token"), operator+"\r"),
		wait(`document.querySelector('#log-size .value') && /^\d+$/.test(document.querySelector('#log-size .value').textContent)`),
		b.shot("02-overview"))
	// On a fresh load, Tab reaches the skip link first.
	b.run("keyboard", chromedp.Reload(), wait(`document.querySelector("#log-size")`),
		chromedp.KeyEvent(kb.Tab), eval(`document.activeElement.id`, &active))
	if active != "skip" {
		t.Fatalf("the first Tab focused %q, want the skip link", active)
	}
	var stored string
	b.run("token storage", eval(`sessionStorage.getItem('assay.token') + '|' + location.href + '|' + (localStorage.getItem('assay.token') || '')`, &stored))
	if parts := strings.Split(stored, "|"); len(parts) != 3 || parts[0] != operator || strings.Contains(parts[1], operator) || parts[2] != "" {
		t.Fatalf("token storage and URL: %q", stored)
	}

	// Pin the verifier key, then search history by type.
	b.run("pin key", chromedp.Navigate(ui+"#/settings"), chromedp.WaitVisible(chromedp.ID("vkey")),
		chromedp.SetValue(chromedp.ID("vkey"), s.vkey), chromedp.Click(chromedp.ID("pin")),
		wait(`document.querySelector('#vkey-state').className === 'pass'`), b.shot("03-settings"))
	var puts wire.HistoryPage
	getJSON(t, s.url+"/v1/history?type=object.put", s.token, &puts)
	if len(puts.Entries) < 4 {
		t.Fatalf("history of object.put: %d entries", len(puts.Entries))
	}
	b.run("history search", chromedp.Navigate(ui+"#/history"), chromedp.WaitVisible(chromedp.CSS(`input[name="type"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="type"]`), "object.put\r"),
		wait(`location.hash === '#/history?type=object.put&order=desc' && document.querySelectorAll('main tbody tr').length === `+fmt.Sprint(len(puts.Entries))),
		b.shot("04-history"))
	var rowTypes []string
	b.run("history rows", eval(`[...document.querySelectorAll('main tbody tr td:nth-child(3)')].map(td => td.textContent)`, &rowTypes))
	for _, typ := range rowTypes {
		if typ != "object.put" {
			t.Fatalf("history filtered by type object.put shows %q", rowTypes)
		}
	}
	// The key with markup is text in the row and in its entry.
	var shown bool
	b.run("markup as text", wait(noMarkup), eval(`document.querySelector('main tbody').textContent.includes(`+jsString(xssKey)+`)`, &shown))
	if !shown {
		t.Fatal("the object key with markup is not shown as text in history")
	}

	// Live tail: an entry appended while following shows up on top.
	b.run("live tail on", chromedp.Click(chromedp.ID("live")), wait(`document.querySelector('#live-state').textContent === 'following…'`))
	cli("put", write("live.txt", "appended while following"), "--key", "incoming/live.txt")
	b.run("live tail row", wait(`[...document.querySelectorAll('main tbody tr.live')].some(tr => tr.textContent.includes('raw/incoming/live.txt'))`),
		b.shot("05-history-live"), chromedp.Click(chromedp.ID("live")))

	// Artifact timeline from the digest link of the markup object's row.
	b.run("timeline", eval(`[...document.querySelectorAll('main tbody tr')].find(tr => tr.textContent.includes('<script>')).querySelector('a[href^="#/artifact/"]').click()`, nil),
		wait(`location.hash.startsWith('#/artifact/') && document.querySelectorAll('main tbody tr').length >= 1`),
		wait(noMarkup), b.shot("06-artifact-timeline"))
	var timeline string
	b.run("timeline rows", eval(`document.querySelector('main tbody').textContent`, &timeline))
	if !strings.Contains(timeline, "object.put") {
		t.Fatalf("artifact timeline: %q", timeline)
	}

	// A package: its files, then a hold applied and released, each with a reason.
	b.run("package", chromedp.Navigate(ui+"#/package/"+pkg.ID), wait(`document.querySelector('main').textContent.includes('report.txt') && document.querySelector('#manifest').textContent.includes('"manifest_version"')`),
		wait(noMarkup), chromedp.WaitVisible(chromedp.ID("hold-reason")),
		chromedp.SetValue(chromedp.ID("hold-reason"), "litigation"), chromedp.SetValue(chromedp.ID("hold-case"), "case-42"),
		chromedp.Click(chromedp.ID("hold-apply")), wait(`document.querySelector('.release-reason')`), b.shot("07-package-held"))
	var view retention.View
	mustJSON(t, cli("retention", "show", pkg.ID), &view)
	if len(view.Holds) != 1 || !view.Holds[0].Active || view.Holds[0].Reason != "litigation" || view.Holds[0].AppliedBy != "operator" {
		t.Fatalf("after the console applied a hold: %+v", view.Holds)
	}
	b.run("release", chromedp.SetValue(chromedp.CSS(".release-reason"), "case closed"), chromedp.Click(chromedp.CSS("button.release")),
		wait(`!document.querySelector('.release-reason') && document.querySelector('main').textContent.includes('released: case closed')`),
		b.shot("08-package-released"))
	mustJSON(t, cli("retention", "show", pkg.ID), &view)
	if len(view.Holds) != 1 || view.Holds[0].Active || view.Holds[0].ReleaseReason != "case closed" {
		t.Fatalf("after the console released the hold: %+v", view.Holds)
	}

	// Quarantine review: approve the first item with a reason.
	first, second := q.Items[0], q.Items[1]
	b.run("quarantine", chromedp.Navigate(ui+"#/quarantine"), wait(`document.querySelectorAll('button.approve').length === 2`), b.shot("09-quarantine"),
		eval(`(() => { const tr = [...document.querySelectorAll('main tbody tr')].find(tr => tr.textContent.includes(`+jsString(first.SourceKey)+`));
			tr.querySelector('.decision-reason').value = 'false-positive'; tr.querySelector('button.approve').click(); })()`, nil),
		wait(`document.querySelectorAll('button.approve').length === 1 && document.querySelector('main').textContent.includes('by operator: false-positive')`),
		b.shot("10-quarantine-approved"))
	mustJSON(t, cli("quarantine", "list", "--prefix", "run-9/"), &q)
	for _, it := range q.Items {
		want := "pending"
		if it.ID == first.ID {
			want = "approved"
		}
		if it.Status != want {
			t.Fatalf("quarantine item %s is %s after the console approved %s", it.SourceKey, it.Status, first.SourceKey)
		}
	}

	// Promotions dashboard and job exports render.
	b.run("promotions", chromedp.Navigate(ui+"#/promotions"), wait(`document.querySelector('#mismatch-chart')`), b.shot("11-promotions"))
	b.run("exports", chromedp.Navigate(ui+"#/exports"), wait(`document.querySelector('main a[href="#/export/`+keyRoute+`"]')`), b.shot("12-exports"),
		chromedp.Click(chromedp.CSS(`main a[href="#/export/`+keyRoute+`"]`)),
		wait(`location.hash === '#/export/`+keyRoute+`' && document.querySelector('main').textContent.includes('succeeded')`), b.shot("12-export-receipt"))

	// Verify an entry in the page: the markup object's object.put.
	var hist wire.HistoryPage
	getJSON(t, s.url+"/v1/history?type=object.put&zone=raw&key_prefix="+url.QueryEscape("incoming/<script>"), s.token, &hist)
	if len(hist.Entries) != 1 {
		t.Fatalf("history of the markup object: %+v", hist)
	}
	index := hist.Entries[0].Index
	verdict := func(name, want, failedStep string) {
		t.Helper()
		var got struct{ Verdict, Failed string }
		b.run(name, eval(`document.querySelector('main').replaceChildren()`, nil), chromedp.Navigate(fmt.Sprintf("%s#/entry/%d?verify=1&n=%s", ui, index, name)),
			wait(`document.querySelector('#verdict')`), wait(noMarkup),
			eval(`({verdict: document.querySelector('#verdict').dataset.result, failed: (document.querySelector('.steps li.fail') || {textContent: ''}).textContent})`, &got),
			b.shot(name))
		if got.Verdict != want || !strings.Contains(got.Failed, failedStep) {
			t.Fatalf("%s: verdict %q, failed step %q; want %q at %q", name, got.Verdict, got.Failed, want, failedStep)
		}
	}
	verdict("13-verify-pass", "verified", "")
	proxy.mode.Store("proof")
	verdict("14-verify-tampered-proof", "failed", "Inclusion proof leads to the signed root")
	proxy.mode.Store("checkpoint")
	verdict("15-verify-tampered-checkpoint", "failed", "Checkpoint signed by the pinned key")
	proxy.mode.Store("entry")
	verdict("16-verify-tampered-entry", "failed", "Entry bytes hash to the leaf")
	proxy.mode.Store("")

	// Phone width: nothing wider than the screen.
	var overflow bool
	b.run("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(ui+"#/history"),
		wait(`document.querySelectorAll('main tbody tr').length > 0`),
		eval(`document.documentElement.scrollWidth > window.innerWidth`, &overflow), b.shot("17-phone-history"),
		chromedp.EmulateViewport(1280, 900))
	if overflow {
		t.Fatal("the history page is wider than a phone's screen")
	}

	// A token without promotions:review: no Quarantine section, no approve
	// button, and the API refuses the approval it makes anyway.
	b.ignored = func(e string) bool { return strings.Contains(e, "403") }
	var approve struct {
		Nav     bool
		Buttons int
		Status  int
		Type    string
	}
	b.run("viewer", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), viewer+"\r"), wait(`document.querySelector('#who').textContent.startsWith('viewer')`),
		chromedp.Navigate(ui+"#/quarantine"), wait(`document.querySelector('main .error')`), b.shot("18-viewer-quarantine"),
		eval(`(async () => {
			const r = await fetch('/v1/quarantine/`+second.ID+`/approve', {method: 'POST', headers: {Authorization: 'Bearer ' + sessionStorage.getItem('assay.token'), 'Content-Type': 'application/json'}, body: '{"reason":"sneaky"}'});
			return {nav: [...document.querySelectorAll('#nav a')].some(a => a.textContent === 'Quarantine'),
				buttons: document.querySelectorAll('button.approve').length, status: r.status, type: (await r.json()).type};
		})()`, &approve))
	if approve.Nav || approve.Buttons != 0 || approve.Status != http.StatusForbidden || approve.Type != wire.TypeForbidden {
		t.Fatalf("a token without promotions:review: %+v", approve)
	}
	mustJSON(t, cli("quarantine", "list", "--prefix", "run-9/q2"), &q)
	if len(q.Items) != 1 || q.Items[0].Status != "pending" {
		t.Fatalf("after a refused approval: %+v", q.Items)
	}
	b.ignored = func(string) bool { return false }

	t.Run("VerifierAgainstGo", func(t *testing.T) { checkVerifierModule(t, b, ui) })
	t.Run("MismatchChart", func(t *testing.T) { checkMismatchChart(t, b) })
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// getJSON decodes the answer of GET url with token into v.
func getJSON(t *testing.T, url, token string, v any) {
	t.Helper()
	code, body := get(t, url, token)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// checkVerifierModule holds the console's verify.js to independent Go
// code: every inclusion proof of trees of 1 to 40 leaves that
// golang.org/x/mod/sumdb/tlog makes leads to tlog's root, a proof with one
// bit flipped does not, and checkpoints signed with sumdb/note open with
// their verifier key and with no other, and not once altered.
func checkVerifierModule(t *testing.T, b *browser, ui string) {
	type incl struct {
		I, N int64
		Leaf string
		Path []string
		Root string
		Flip int // the path hash to alter, or -1
	}
	var hashes []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var cases []incl
	leaves := []tlog.Hash{}
	for n := int64(0); n < 40; n++ {
		leaf := tlog.RecordHash([]byte(fmt.Sprintf(`{"n":%d}`, n)))
		leaves = append(leaves, leaf)
		stored, err := tlog.StoredHashes(n, []byte(fmt.Sprintf(`{"n":%d}`, n)), hr)
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, stored...)
		size := n + 1
		root, err := tlog.TreeHash(size, hr)
		if err != nil {
			t.Fatal(err)
		}
		for i := int64(0); i < size; i++ {
			proof, err := tlog.ProveRecord(size, i, hr)
			if err != nil {
				t.Fatal(err)
			}
			c := incl{I: i, N: size, Leaf: hex.EncodeToString(leaves[i][:]), Root: hex.EncodeToString(root[:]), Flip: -1}
			for _, h := range proof {
				c.Path = append(c.Path, hex.EncodeToString(h[:]))
			}
			cases = append(cases, c)
			if len(proof) > 0 {
				bad := c
				bad.Flip = int(i) % len(proof)
				cases = append(cases, bad)
			}
		}
	}
	in, _ := json.Marshal(cases)
	var got []string
	b.run("inclusion vectors", chromedp.Navigate(ui+"#/settings"), wait(`document.querySelector('#vkey')`),
		eval(`(async () => {
			const m = await import('./verify.js');
			const out = [];
			for (const c of `+string(in)+`) {
				const path = (c.Path || []).map(m.unhex);
				if (c.Flip >= 0) path[c.Flip][c.Flip % 32] ^= 1;
				try { out.push(m.hex(await m.rootFromInclusion(c.I, c.N, m.unhex(c.Leaf), path))); }
				catch (e) { out.push('error: ' + e.message); }
			}
			return out;
		})()`, &got))
	if len(got) != len(cases) {
		t.Fatalf("%d answers for %d cases", len(got), len(cases))
	}
	for k, c := range cases {
		if ok := got[k] == c.Root; ok != (c.Flip < 0) {
			t.Fatalf("index %d of %d (altered hash %d): the page computed %s, tlog's root is %s", c.I, c.N, c.Flip, got[k], c.Root)
		}
	}

	// Checkpoints.
	// A key whose base64 holds '+', as one in two does: the parser must not
	// split the key at it.
	keyPart := func(v string) string {
		if p := strings.SplitN(v, "+", 3); len(p) == 3 {
			return p[2]
		}
		return ""
	}
	var skey, vkey string
	for !strings.Contains(keyPart(vkey), "+") {
		var err error
		if skey, vkey, err = note.GenerateKey(rand.Reader, "assay.test/console"); err != nil {
			t.Fatal(err)
		}
	}
	_, otherV, err := note.GenerateKey(rand.Reader, "assay.test/other")
	if err != nil {
		t.Fatal(err)
	}
	otherS, _, err := note.GenerateKey(rand.Reader, "assay.test/console") // same name, another key
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	impostor, _ := note.NewSigner(otherS)
	root := make([]byte, 32)
	root[5] = 7
	text := "assay.test/console\n1234\n" + base64.StdEncoding.EncodeToString(root) + "\n"
	sign := func(text string, signers ...note.Signer) string {
		msg, err := note.Sign(&note.Note{Text: text}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return string(msg)
	}
	good := sign(text, signer)
	both := sign(text, impostor, signer)
	altered := strings.Replace(good, "1234", "1235", 1)
	badHash := strings.SplitN(vkey, "+", 2)[0] + "+00000000+" + strings.SplitN(vkey, "+", 3)[2]
	for _, tc := range []struct {
		name, note, vkey, want string
	}{
		{"signed", good, vkey, "1234 " + hex.EncodeToString(root)},
		{"cosigned", both, vkey, "1234 " + hex.EncodeToString(root)},
		{"impostor", sign(text, impostor), vkey, "error: no signature by assay.test/console"},
		{"altered", altered, vkey, "error: the signature by assay.test/console does not verify"},
		{"other key", good, otherV, "error: no signature by assay.test/other"},
		{"wrong key hash", good, badHash, "error: the key hash does not match the key"},
		{"unsigned", text, vkey, "error: not a signed note"},
	} {
		var out string
		b.run("checkpoint "+tc.name, eval(`(async () => {
			const m = await import('./verify.js');
			try {
				const cp = await m.openCheckpoint(`+jsString(tc.note)+`, await m.parseVerifierKey(`+jsString(tc.vkey)+`));
				return cp.size + ' ' + m.hex(cp.root);
			} catch (e) { return 'error: ' + e.message; }
		})()`, &out))
		if out != tc.want {
			t.Errorf("checkpoint %s: the page says %q, want %q", tc.name, out, tc.want)
		}
	}
}

// checkMismatchChart draws the promotions page's digest-mismatch chart from
// quarantine items of three days: a bar per day, as tall as its count
// against the largest, labelled for screen readers.
func checkMismatchChart(t *testing.T, b *browser) {
	var got struct {
		Label   string
		Heights []float64
		Empty   string
	}
	b.run("mismatch chart", eval(`(async () => {
		const m = await import('./charts.js');
		const at = ['2026-11-03T10:00:00Z', '2026-11-01T01:00:00Z', '2026-11-03T23:00:00Z', '2026-11-02T12:00:00Z', '2026-11-01T02:00:00Z', '2026-11-03T00:00:00Z'];
		const fig = m.mismatchChart(at.map(t => ({quarantined_at: t, reason: 'digest-mismatch'})));
		return {label: fig.querySelector('svg').getAttribute('aria-label'),
			heights: [...fig.querySelectorAll('rect')].map(r => Number(r.getAttribute('height'))),
			empty: m.mismatchChart([]).textContent};
	})()`, &got))
	if got.Label != "Digest mismatches per day: 2026-11-01 2, 2026-11-02 1, 2026-11-03 3" ||
		fmt.Sprint(got.Heights) != "[80 40 120]" || got.Empty != "No digest mismatches." {
		t.Fatalf("chart of 2, 1 and 3 mismatches: %+v", got)
	}
}
