package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"sync"
	"testing"
)

// batchRecorder is a SequencerObserver that keeps what it is told.
type batchRecorder struct {
	mu      sync.Mutex
	batches []BatchStats
}

func (r *batchRecorder) ObserveBatch(b BatchStats) {
	r.mu.Lock()
	r.batches = append(r.batches, b)
	r.mu.Unlock()
}

func (r *batchRecorder) take() []BatchStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.batches
	r.batches = nil
	return out
}

// TestSequencerObserver: the observer hears of every committed batch, once,
// with its appends, accepted entries, bytes and commit time; a batch whose
// only entry is rejected is not a batch of appends.
func TestSequencerObserver(t *testing.T) {
	rec := &batchRecorder{}
	cfg := testConfig(t, t.TempDir())
	cfg.Observer = rec
	cfg.Modules = []Module{{Name: "test", Appliers: map[string]Applier{
		"test.refused": func(*Tx, *Record) error { return errors.New("refused") },
	}}}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ctx := context.Background()

	for i := range 3 {
		if _, err := l.AppendJSON(ctx, "test.entry", "tester", "", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	got := rec.take()
	if len(got) != 3 {
		t.Fatalf("%d batches observed after 3 lone appends, want 3: %+v", len(got), got)
	}
	for _, b := range got {
		if b.Requests != 1 || b.Entries != 1 || b.Bytes <= 0 || b.Commit <= 0 || b.Lingered != 0 {
			t.Fatalf("lone append's batch %+v, want 1 request, 1 entry, its bytes, a commit time and no linger", b)
		}
	}

	if _, err := l.AppendJSON(ctx, "test.refused", "tester", "", json.RawMessage(`{}`)); err == nil {
		t.Fatal("refused entry appended")
	}
	if got := rec.take(); len(got) != 0 {
		t.Fatalf("a batch of one rejected entry was observed: %+v", got)
	}

	const n = 400
	fill(t, l, n, 32)
	var entries, requests int
	for _, b := range rec.take() {
		if b.Entries > b.Requests || b.Entries < 1 || b.Bytes <= 0 || b.Commit <= 0 {
			t.Fatalf("batch %+v", b)
		}
		entries, requests = entries+b.Entries, requests+b.Requests
	}
	if entries != n || requests != n {
		t.Fatalf("observed batches hold %d entries of %d requests, want %d of each", entries, requests, n)
	}
}

// TestQueueDepth drives a log without a sequencer: appends wait on l.reqs,
// and QueueDepth counts them until the sequencer takes them, their context
// ends or the log closes.
func TestQueueDepth(t *testing.T) {
	l := &Log{reqs: make(chan *request), quit: make(chan struct{})}
	p, err := Prepare(Entry{Type: "test.entry", Actor: "tester", Body: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitDepth := func(want int) {
		t.Helper()
		for l.QueueDepth() != want {
			runtime.Gosched() // the appenders' goroutines move the count
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 4)
	for i := range 4 {
		c := context.Background()
		if i == 0 {
			c = ctx
		}
		go func() {
			_, err := l.AppendPrepared(c, p)
			errs <- err
		}()
	}
	waitDepth(4)
	cancel() // one caller gives up before the sequencer takes it
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled append: %v", err)
	}
	waitDepth(3)
	r := <-l.reqs // the sequencer takes one
	waitDepth(2)
	r.done <- result{err: errors.New("answered")}
	if err := <-errs; err == nil || err.Error() != "answered" {
		t.Fatalf("taken append: %v", err)
	}
	close(l.quit)
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Fatalf("append on a closed log: %v", err)
		}
	}
	waitDepth(0)
}
