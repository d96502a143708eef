package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

func TestHealth(t *testing.T) {
	f := newFixture(t, 3)
	r := f.do(http.MethodGet, "/health", "", nil)
	var h wire.Health
	if err := json.Unmarshal(r.body, &h); err != nil || r.status != http.StatusOK {
		t.Fatalf("GET /health: %d %s %v", r.status, r.body, err)
	}
	if h != (wire.Health{Status: "ok", Size: 3}) {
		t.Fatalf("health %+v, want ok and size 3", h)
	}
}

func TestCheckpoint(t *testing.T) {
	f := newFixture(t, 5)
	v, err := note.NewVerifier(f.vkey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		query string
		size  uint64
	}{{"", 5}, {"?size=3", 3}, {"?size=5", 5}, {"?size=0", 0}} {
		t.Run(tc.query, func(t *testing.T) {
			r := f.get("/v1/log/checkpoint" + tc.query)
			if r.status != http.StatusOK || r.header.Get("Content-Type") != httpapi.CheckpointContentType {
				t.Fatalf("%d %q %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			n, err := note.Open(r.body, note.VerifierList(v))
			if err != nil {
				t.Fatalf("note.Open: %v", err)
			}
			cp, err := verifier.ParseCheckpoint(n.Text)
			if err != nil {
				t.Fatal(err)
			}
			root, err := f.log.RootAt(tc.size)
			if err != nil {
				t.Fatal(err)
			}
			if cp.Origin != testOrigin || cp.Size != tc.size || !bytes.Equal(cp.Root, root) {
				t.Fatalf("checkpoint %+v, want size %d root %x", cp, tc.size, root)
			}
		})
	}
}

func TestEntry(t *testing.T) {
	f := newFixture(t, 4)
	for i := uint64(0); i < 4; i++ {
		var e wire.LogEntry
		f.getJSON(fmt.Sprintf("/v1/log/entries/%d", i), &e)
		checkEntry(t, f, e, i)
	}
}

// checkEntry checks a served entry against the ledger's bytes and the leaf
// hash recomputed independently with sumdb/tlog.
func checkEntry(t *testing.T, f *fixture, e wire.LogEntry, index uint64) {
	t.Helper()
	want, err := f.log.Entry(index)
	if err != nil {
		t.Fatal(err)
	}
	leaf := tlog.RecordHash(e.Entry)
	if e.Index != index || !bytes.Equal(e.Entry, want) || !bytes.Equal(e.LeafHash, leaf[:]) {
		t.Fatalf("entry %d: got index %d leaf %x bytes %s; want bytes %s leaf %x", index, e.Index, []byte(e.LeafHash), e.Entry, want, leaf)
	}
}

func TestEntryBytesUnchanged(t *testing.T) {
	f := newFixture(t, 0)
	body := `{"html":"<a href=\"x\">&amp;</a>","seps":"\u2028\u2029","uni":"é✓","esc":"\u0001\\/"}`
	a, err := f.log.Append(t.Context(), ledger.Entry{Type: "test.entry", Actor: "a<b>&c", Body: json.RawMessage(body)})
	if err != nil {
		t.Fatal(err)
	}
	r := f.get("/v1/log/entries/0")
	if !bytes.Contains(r.body, a.Record.Bytes) {
		t.Fatalf("response %s does not hold the leaf bytes %s verbatim", r.body, a.Record.Bytes)
	}
	var e wire.LogEntry
	f.getJSON("/v1/log/entries/0", &e)
	checkEntry(t, f, e, 0)
}

func TestEntries(t *testing.T) {
	f := newFixture(t, 7)
	for _, tc := range []struct {
		query      string
		start, end uint64
	}{
		{"", 0, 7}, {"?start=2", 2, 7}, {"?start=2&end=5", 2, 5}, {"?end=3", 0, 3},
		{"?start=7", 7, 7}, {"?start=4&end=4", 4, 4}, {"?start=0&end=7", 0, 7},
	} {
		t.Run(tc.query, func(t *testing.T) {
			var p wire.EntriesPage
			f.getJSON("/v1/log/entries"+tc.query, &p)
			if p.Entries == nil || uint64(len(p.Entries)) != tc.end-tc.start {
				t.Fatalf("%d entries (nil: %t), want %d", len(p.Entries), p.Entries == nil, tc.end-tc.start)
			}
			for k, e := range p.Entries {
				checkEntry(t, f, e, tc.start+uint64(k))
			}
		})
	}
}

func TestEntriesFullPage(t *testing.T) {
	f := newFixture(t, 0)
	appendConcurrently(t, f.log, wire.MaxPage+5)
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"?start=0&end=1000", 1000}, {"", 1000}, {"?start=3", 1000}, {"?start=1000", 5}, {"?start=5&end=1005", 1000},
	} {
		var p wire.EntriesPage
		f.getJSON("/v1/log/entries"+tc.query, &p)
		if len(p.Entries) != tc.want {
			t.Errorf("%s: %d entries, want %d", tc.query, len(p.Entries), tc.want)
		}
	}
	r := f.get("/v1/log/entries?start=0&end=1001")
	if p := r.problem(t); p.Type != wire.TypePageTooLarge || r.status != http.StatusBadRequest {
		t.Fatalf("page of 1001: %d %+v", r.status, p)
	}
}

// appendConcurrently appends n entries from 32 goroutines, so that they
// share group commits.
func appendConcurrently(t *testing.T, lg *ledger.Log, n int) {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := 0; w < 32; w++ {
		wg.Go(func() {
			for i := w; i < n; i += 32 {
				_, err := lg.Append(context.Background(), ledger.Entry{Type: "test.entry", Actor: "bulk", Body: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, 2)
	f.get("/v1/log/entries/1")
	r := f.get("/metrics")
	for _, want := range []string{
		"assay_ledger_size 2",
		`assay_http_requests_total{code="200",method="GET",route="/v1/log/entries/{index}"} 1`,
		`assay_http_request_duration_seconds_count{code="200",method="GET",route="/v1/log/entries/{index}"} 1`,
	} {
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("/metrics (%d) lacks %q", r.status, want)
		}
	}
	if r := f.do(http.MethodGet, "/metrics", f.reader, nil); r.status != http.StatusForbidden {
		t.Errorf("/metrics with a log:read token: %d, want 403", r.status)
	}
	public := newFixture(t, 1, func(c *httpapi.Config) { c.MetricsPublic = true })
	if r := public.do(http.MethodGet, "/metrics", "", nil); r.status != http.StatusOK {
		t.Errorf("public /metrics without a token: %d, want 200", r.status)
	}
}
