package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

var sequencerSample = regexp.MustCompile(`^(assay_sequencer_[a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$`)

// sequencerMetrics reads the assay_sequencer_ samples of GET /metrics.
func sequencerMetrics(t *testing.T, f *fixture) map[string]float64 {
	t.Helper()
	r := f.get("/metrics")
	if r.status != http.StatusOK {
		t.Fatalf("/metrics: %d %s", r.status, r.body)
	}
	out := map[string]float64{}
	for line := range strings.SplitSeq(string(r.body), "\n") {
		if m := sequencerSample.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				t.Fatal(err)
			}
			out[m[1]] = v
		}
	}
	return out
}

// TestSequencerMetrics: the sequencer's batches show in GET /metrics, one
// batch per lone append and fewer batches than entries under concurrent
// appends (group commit), with their bytes and commit times, and the queue
// depth is back to zero once every append is answered.
func TestSequencerMetrics(t *testing.T) {
	seq := httpapi.NewSequencerMetrics()
	dir := t.TempDir()
	lg, _ := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Logger: testLogger(t), Observer: seq})
	f := &fixture{t: t, log: lg, tokens: filepath.Join(dir, httpapi.TokenFile)}
	f.admin = f.createToken("admin", "acme", httpapi.AllScopes)
	var err error
	if f.api, err = httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(f.tokens), Logger: testLogger(t), Sequencer: seq}); err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)

	m := sequencerMetrics(t, f)
	for _, name := range []string{"assay_sequencer_batch_entries_count", "assay_sequencer_batch_bytes_count",
		"assay_sequencer_commit_seconds_count", "assay_sequencer_linger_seconds_count", "assay_sequencer_queue_depth"} {
		if v, ok := m[name]; !ok || v != 0 {
			t.Fatalf("%s = %v (present %v) before any append, want 0: %v", name, v, ok, m)
		}
	}

	f.append(5) // one append at a time: one batch each
	m = sequencerMetrics(t, f)
	if m["assay_sequencer_batch_entries_count"] != 5 || m["assay_sequencer_batch_entries_sum"] != 5 ||
		m[`assay_sequencer_batch_entries_bucket{le="1"}`] != 5 || m["assay_sequencer_commit_seconds_count"] != 5 ||
		m["assay_sequencer_commit_seconds_sum"] <= 0 || m["assay_sequencer_batch_bytes_sum"] <= 0 {
		t.Fatalf("after 5 lone appends: %v", m)
	}

	const n, workers = 600, 48
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				body := json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
				if _, err := lg.Append(context.Background(), ledger.Entry{Type: "test.entry", Actor: "tester", Body: body}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	m = sequencerMetrics(t, f)
	batches := m["assay_sequencer_batch_entries_count"] - 5
	if m["assay_sequencer_batch_entries_sum"] != 5+n || batches < 1 || batches >= n ||
		m["assay_sequencer_commit_seconds_count"] != 5+batches || m["assay_sequencer_queue_depth"] != 0 {
		t.Fatalf("after %d concurrent appends: %v", n, m)
	}
	t.Logf("%d concurrent appends from %d goroutines committed in %.0f batches (%.1f entries a batch); %.0f batches lingered",
		n, workers, batches, n/batches, m["assay_sequencer_linger_seconds_count"])
}
