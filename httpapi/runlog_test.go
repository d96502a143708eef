package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/runlog"
)

const testRunID = "3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f"

// runLogFixture is a server with the catalog and run log routes over a
// real ledger and local store, with tokens for a producer of tenant acme,
// a follower of acme (runs:read only), and another tenant.
type runLogFixture struct {
	*fixture
	blobs              string
	producer, follower string
	other              string
	prodCli            *client.Client
}

func newRunLogFixture(t *testing.T) *runLogFixture {
	t.Helper()
	dir := t.TempDir()
	lg, vkey := openLedger(t, dir, testLogger(t), domains.Modules()...)
	f := &runLogFixture{fixture: &fixture{t: t, log: lg, tokens: filepath.Join(dir, httpapi.TokenFile), vkey: vkey}, blobs: filepath.Join(dir, "blobs")}
	f.producer = f.createToken("producer", "acme", httpapi.ScopeRunsWrite, httpapi.ScopeRunsRead, httpapi.ScopeObjectsRead, httpapi.ScopeObjectsWrite,
		httpapi.ScopeLogRead)
	f.follower = f.createToken("follower", "acme", httpapi.ScopeRunsRead)
	f.other = f.createToken("intruder", "evil", httpapi.AllScopes)
	store, err := local.Open(local.Config{Root: f.blobs})
	if err != nil {
		t.Fatal(err)
	}
	if f.api, err = httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(f.tokens), Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	f.api.HandleCatalog(httpapi.CatalogConfig{Service: &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()},
		Backend: httpapi.BackendInfo{Name: "default", Kind: "local"}, MaxUpload: 1 << 20})
	f.api.HandleRunLogs(&runlog.Service{Log: lg, Store: store})
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	if f.prodCli, err = client.New(f.srv.URL, f.producer, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *runLogFixture) storeFiles() []string {
	var out []string
	_ = filepath.WalkDir(f.blobs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func (f *runLogFixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

// lines returns n lines numbered from first, for their messages.
func lines(first, n int) []wire.RunLogLine {
	out := make([]wire.RunLogLine, n)
	for i := range out {
		out[i] = wire.RunLogLine{Phase: "build", Level: "info", Message: fmt.Sprintf("line %d", first+i)}
	}
	return out
}

// readRun reads a run log stream until run_complete or its end, checking
// that the lines come each once, in order, after after; it returns the
// lines' data and the run_complete data (nil if the stream ended first).
func readRun(t *testing.T, s *sseStream, after uint64) ([][]byte, *wire.RunComplete) {
	t.Helper()
	var got [][]byte
	next := after + 1
	for {
		e, ok := s.next()
		if !ok {
			return got, nil
		}
		if e.event == wire.StreamEventRunComplete {
			var rc wire.RunComplete
			if err := json.Unmarshal(e.data, &rc); err != nil {
				t.Fatal(err)
			}
			return got, &rc
		}
		var l runlog.Line
		if err := json.Unmarshal(e.data, &l); err != nil || e.event != wire.StreamEventRunLine || e.id != strconv.FormatUint(l.Seq, 10) {
			t.Fatalf("event %+v: %v", e, err)
		}
		if l.Seq != next || l.Message != fmt.Sprintf("line %d", l.Seq) {
			t.Fatalf("line %d %q, want line %d", l.Seq, l.Message, next)
		}
		next++
		got = append(got, e.data)
	}
}

// TestRunLogFollow: a follower connected mid-run and one resuming with
// Last-Event-ID each see every line once, in order, then run_complete with
// the sealed log's digest; the sealed object raw/runs/<id>/log.ndjson
// downloads with that digest and holds exactly the lines followed; the
// log's entries name the chunks and the seal.
func TestRunLogFollow(t *testing.T) {
	f := newRunLogFixture(t)
	ctx := t.Context()
	for b := range 3 {
		if _, err := f.prodCli.AppendRunLog(ctx, testRunID, lines(b*10+1, 10)); err != nil {
			t.Fatal(err)
		}
	}
	mid := openStream(t, f.fixture, wire.RunLogPath(testRunID)+"/stream", f.follower, "")
	resumed := openStream(t, f.fixture, wire.RunLogPath(testRunID)+"/stream", f.follower, "15")
	done := make(chan error, 1)
	go func() { // the producer goes on while both follow
		for b := range 20 {
			if _, err := f.prodCli.AppendRunLog(ctx, testRunID, lines(31+b*5, 5)); err != nil {
				done <- err
				return
			}
		}
		_, err := f.prodCli.CloseRunLog(ctx, testRunID, "succeeded")
		done <- err
	}()
	all, rc := readRun(t, mid, 0)
	mid.close()
	tail, rc2 := readRun(t, resumed, 15)
	resumed.close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(all) != 130 || len(tail) != 115 || rc == nil || rc2 == nil || *rc != *rc2 {
		t.Fatalf("followers saw %d and %d lines, completions %+v %+v", len(all), len(tail), rc, rc2)
	}
	run, err := f.prodCli.CloseRunLog(ctx, testRunID, "failed")
	if err == nil {
		t.Fatalf("second close: %+v", run)
	}
	if rc.Status != "succeeded" || rc.Lines != 130 || rc.Key != "raw/runs/"+testRunID+"/log.ndjson" || rc.URI != "cas://runs/"+testRunID+"/log.ndjson" {
		t.Fatalf("run_complete %+v", rc)
	}
	d, err := f.prodCli.GetObject(ctx, "raw", "runs/"+testRunID+"/log.ndjson", "")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(d.Body)
	d.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if "sha256:"+hex.EncodeToString(sum[:]) != rc.Digest || int64(len(body)) != rc.Size {
		t.Fatalf("sealed log %d bytes hashing to %x, run_complete says %s (%d bytes)", len(body), sum, rc.Digest, rc.Size)
	}
	if want := append(bytes.Join(all, []byte("\n")), '\n'); !bytes.Equal(body, want) {
		t.Fatalf("sealed log differs from the lines followed:\n%s\nwant\n%s", body, want)
	}
	// The seal is an entry naming the object and its digest; every chunk
	// one run.log_appended.
	chunks, seals := 0, 0
	for i := range f.size() {
		e, err := f.log.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case bytes.Contains(e, []byte(`"type":"`+runlog.TypeAppended+`"`)):
			chunks++
		case bytes.Contains(e, []byte(`"type":"`+runlog.TypeSealed+`"`)):
			seals++
			if !bytes.Contains(e, []byte(rc.Digest)) || rc.SealedIndex != i {
				t.Fatalf("seal entry %d %s, run_complete %+v", i, e, rc)
			}
		}
	}
	if chunks != 23 || seals != 1 {
		t.Fatalf("%d chunks and %d seals in the log, want 23 and 1", chunks, seals)
	}
	// A stream of the sealed run replays and completes at once.
	again, rc3 := readRun(t, openStream(t, f.fixture, wire.RunLogPath(testRunID)+"/stream?after=128", f.follower, ""), 128)
	if len(again) != 2 || rc3 == nil || *rc3 != *rc {
		t.Fatalf("after 128: %d lines, %+v", len(again), rc3)
	}
	// The history index finds the run's entries, and the seal by its key.
	h, err := f.prodCli.History(ctx, url.Values{"run_id": {testRunID}, "limit": {"100"}})
	if err != nil || len(h.Entries) != 24 || h.Entries[23].Type != runlog.TypeSealed {
		t.Fatalf("history by run: %+v, %v", h, err)
	}
	h, err = f.prodCli.History(ctx, url.Values{"zone": {"raw"}, "key_prefix": {"runs/"}})
	if err != nil || len(h.Entries) != 1 || h.Entries[0].Index != rc.SealedIndex {
		t.Fatalf("history by key: %+v, %v", h, err)
	}
}

// TestRunLogFollowNoFollow: follow=false ends at the lines the log holds,
// without run_complete while the run is open.
func TestRunLogFollowNoFollow(t *testing.T) {
	f := newRunLogFixture(t)
	if _, err := f.prodCli.AppendRunLog(t.Context(), testRunID, lines(1, 4)); err != nil {
		t.Fatal(err)
	}
	got, rc := readRun(t, openStream(t, f.fixture, wire.RunLogPath(testRunID)+"/stream?follow=false", f.follower, "1"), 1)
	if len(got) != 3 || rc != nil {
		t.Fatalf("follow=false: %d lines, completion %+v", len(got), rc)
	}
}

// TestRunLogBadInput: each bad request is a 4xx problem and writes nothing
// to the log or the store; another tenant's run does not exist for it.
func TestRunLogBadInput(t *testing.T) {
	f := newRunLogFixture(t)
	ctx := t.Context()
	const sealed = "00000000-0000-4000-8000-000000000001"
	if _, err := f.prodCli.AppendRunLog(ctx, testRunID, lines(1, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.prodCli.AppendRunLog(ctx, sealed, lines(1, 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.prodCli.CloseRunLog(ctx, sealed, "failed"); err != nil {
		t.Fatal(err)
	}
	line := func(phase, level, msg string) string {
		b, _ := json.Marshal(wire.RunLogAppend{Lines: []wire.RunLogLine{{Phase: phase, Level: level, Message: msg}}})
		return string(b)
	}
	many, _ := json.Marshal(wire.RunLogAppend{Lines: lines(1, runlog.MaxLinesPerAppend+1)})
	logs := wire.RunLogPath(testRunID)
	for _, tc := range []struct {
		name, method, path, token, body string
		status                          int
		typ                             string
	}{
		{"run id not a UUID", "POST", wire.RunLogPath("run-7"), f.producer, line("build", "info", "x"), 400, wire.TypeRunLogInvalidRunID},
		{"run id upper case", "POST", wire.RunLogPath(strings.ToUpper(testRunID)), f.producer, line("build", "info", "x"), 400, wire.TypeRunLogInvalidRunID},
		{"not JSON", "POST", logs, f.producer, `lines=1`, 400, wire.TypeRunLogInvalidLine},
		{"unknown member", "POST", logs, f.producer, `{"lines":[{"phase":"b","level":"info","message":"x","extra":1}]}`, 400, wire.TypeRunLogInvalidLine},
		{"no lines", "POST", logs, f.producer, `{"lines":[]}`, 400, wire.TypeRunLogInvalidLine},
		{"too many lines", "POST", logs, f.producer, string(many), 400, wire.TypeRunLogInvalidLine},
		{"bad level", "POST", logs, f.producer, line("build", "loud", "x"), 400, wire.TypeRunLogInvalidLine},
		{"bad phase", "POST", logs, f.producer, line("Build Step", "info", "x"), 400, wire.TypeRunLogInvalidLine},
		{"empty message", "POST", logs, f.producer, line("build", "info", ""), 400, wire.TypeRunLogInvalidLine},
		{"bad time", "POST", logs, f.producer, `{"lines":[{"time":"yesterday","phase":"b","level":"info","message":"x"}]}`, 400, wire.TypeRunLogInvalidLine},
		{"oversized line", "POST", logs, f.producer, line("build", "info", strings.Repeat("x", runlog.MaxMessage+1)), 413, wire.TypeRunLogLineTooLarge},
		{"line to a sealed run", "POST", wire.RunLogPath(sealed), f.producer, line("build", "info", "late"), 409, wire.TypeRunLogSealed},
		{"missing scope", "POST", logs, f.follower, line("build", "info", "x"), 403, wire.TypeForbidden},
		{"close with a bad status", "POST", logs + "/close", f.producer, `{"status":"running"}`, 400, wire.TypeRunLogInvalidState},
		{"close unknown member", "POST", logs + "/close", f.producer, `{"status":"failed","force":true}`, 400, wire.TypeRunLogInvalidLine},
		{"close an unknown run", "POST", wire.RunLogPath("00000000-0000-4000-8000-000000000002") + "/close", f.producer, `{"status":"failed"}`, 404, wire.TypeRunLogNotFound},
		{"close a sealed run", "POST", wire.RunLogPath(sealed) + "/close", f.producer, `{"status":"succeeded"}`, 409, wire.TypeRunLogSealed},
		{"close another tenant's run", "POST", logs + "/close", f.other, `{"status":"failed"}`, 404, wire.TypeRunLogNotFound},
		{"stream another tenant's run", "GET", logs + "/stream", f.other, "", 404, wire.TypeRunLogNotFound},
		{"stream an unknown run", "GET", wire.RunLogPath("00000000-0000-4000-8000-000000000002") + "/stream", f.follower, "", 404, wire.TypeRunLogNotFound},
		{"stream after beyond the lines", "GET", logs + "/stream?after=3", f.follower, "", 400, wire.TypeInvalidParameter},
		{"stream after not a number", "GET", logs + "/stream?after=-1", f.follower, "", 400, wire.TypeInvalidParameter},
		{"stream unknown parameter", "GET", logs + "/stream?level=error", f.follower, "", 400, wire.TypeInvalidParameter},
		{"stream bad follow", "GET", logs + "/stream?follow=maybe", f.follower, "", 400, wire.TypeInvalidParameter},
		{"put the sealed log's key", "PUT", "/v1/objects/raw/runs/" + testRunID + "/log.ndjson", f.producer, "forged", 400, wire.TypePathReserved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, files := f.size(), f.storeFiles()
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r := f.do(tc.method, tc.path, tc.token, body)
			if r.status != tc.status || r.problem(t).Type != tc.typ {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tc.status, tc.typ)
			}
			if f.size() != size || !slices.Equal(f.storeFiles(), files) {
				t.Fatalf("a refused request wrote: log %d -> %d, store %d -> %d files", size, f.size(), len(files), len(f.storeFiles()))
			}
		})
	}
	// The other tenant's lines for the same run id make its own run: acme's
	// stays as it was, and each streams only its own.
	evil, err := client.New(f.srv.URL, f.other, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := evil.AppendRunLog(ctx, testRunID, []wire.RunLogLine{{Phase: "x", Level: "info", Message: "evil"}})
	if err != nil || run.Lines != 1 || run.Tenant != "evil" {
		t.Fatalf("evil's run: %+v, %v", run, err)
	}
	got, _ := readRun(t, openStream(t, f.fixture, logs+"/stream?follow=false", f.follower, ""), 0)
	if len(got) != 2 {
		t.Fatalf("acme's run has %d lines after evil's append, want 2", len(got))
	}
}
