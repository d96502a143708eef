package witness_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/torchwood"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/witness"
)

// hangingWitness answers nothing: each request is held until release is
// closed or the client gives up. held counts requests being held.
type hangingWitness struct {
	*httptest.Server
	held    atomic.Int64
	arrived chan struct{}
	release chan struct{}
}

func newHangingWitness(t testing.TB) *hangingWitness {
	h := &hangingWitness{arrived: make(chan struct{}, 1), release: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.held.Add(1)
		defer h.held.Add(-1)
		select {
		case h.arrived <- struct{}{}:
		default:
		}
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
		http.Error(w, "gave up", http.StatusServiceUnavailable)
	}))
	t.Cleanup(func() {
		close(h.release)
		h.Close()
	})
	return h
}

// appendConcurrently appends n entries from 8 goroutines and returns how
// long it took.
func appendConcurrently(t testing.TB, l *ledger.Log, n int) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Value
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				body, _ := json.Marshal(map[string]int{"n": i})
				if _, err := l.Append(context.Background(), ledger.Entry{Type: "test.entry", Actor: "tester", Body: body}); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// slowService runs a service whose one witness hangs, until the test ends.
func slowService(t testing.TB, l *ledger.Log) *hangingWitness {
	h := newHangingWitness(t)
	_, vkey := cosignerKey(t)
	w, err := witness.ParseSpec(h.URL + "=" + vkey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := witness.New(witness.Config{Log: l, Witnesses: []witness.Witness{w}, Interval: time.Millisecond, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return h
}

// TestAppendsDoNotWaitForWitnesses: while the only witness holds the
// service's request open, appends go on and are durable; the witness is
// still holding when they are done.
func TestAppendsDoNotWaitForWitnesses(t *testing.T) {
	l, _ := ledgertest.Open(t, t.TempDir(), ledgertest.Options{})
	h := slowService(t, l)
	<-h.arrived
	appendConcurrently(t, l, 2000)
	if size, _ := l.Head(); size != 2000 {
		t.Fatalf("size %d after 2000 appends", size)
	}
	if h.held.Load() != 1 {
		t.Fatalf("%d requests held by the witness, want the one still waiting", h.held.Load())
	}
}

// BenchmarkAppendsWithSlowWitness appends the same number of entries to a
// ledger without witnesses and to one whose witness service is stuck on a
// witness that never answers, in the same run, and reports both rates and
// their ratio (1 means the witness costs nothing).
func BenchmarkAppendsWithSlowWitness(b *testing.B) {
	const n = 5000
	var plain, slow time.Duration
	for range b.N {
		l, _ := ledgertest.Open(b, b.TempDir(), ledgertest.Options{})
		plain += appendConcurrently(b, l, n)
		l2, _ := ledgertest.Open(b, b.TempDir(), ledgertest.Options{})
		h := slowService(b, l2)
		<-h.arrived
		slow += appendConcurrently(b, l2, n)
	}
	rate := func(d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
	b.ReportMetric(rate(plain), "appends/s-no-witness")
	b.ReportMetric(rate(slow), "appends/s-slow-witness")
	b.ReportMetric(rate(slow)/rate(plain), "ratio")
}

// cosignerKey makes a cosignature/v1 key with torchwood: its signer and
// verifier key.
func cosignerKey(t testing.TB) (*torchwood.CosignatureSigner, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := torchwood.NewCosignatureSigner("witness.test/slow", priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Verifier().String()
}
