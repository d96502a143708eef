package ledger

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestLinger drives linger on a log without a sequencer: the test plays the
// callers by sending requests on l.reqs.
func TestLinger(t *testing.T) {
	tests := []struct {
		name     string
		recent   int           // entries of the last two batches
		runnable int           // what the scheduler probe reports
		linger   time.Duration // Config.Linger
		maxBatch int
		send     int  // requests the test sends while linger waits
		want     int  // batch size linger returns
		held     bool // whether it reports holding the batch open
	}{
		{"busy log waits for as many as are runnable", lingerSiblings, 3, time.Hour, 1024, 3, 4, true},
		{"quiet log does not wait", lingerSiblings - 1, 3, time.Hour, 1024, 0, 1, false},
		{"nothing runnable, nothing to wait for", 100, 0, time.Hour, 1024, 0, 1, false},
		{"full batch stops the wait", 100, 10, time.Hour, 2, 1, 2, true},
		{"already full batch does not wait", 100, 10, time.Hour, 1, 0, 1, false},
		{"linger time stops the wait", 100, 5, time.Microsecond, 1024, 0, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &Log{reqs: make(chan *request), cfg: Config{Linger: tc.linger, MaxBatch: tc.maxBatch,
				runnable: func() int { return tc.runnable }}}
			got := make(chan []*request, 1)
			go func() {
				b, _, held := l.linger([]*request{{p: &prepared{}}}, 0, tc.recent)
				if (held > 0) != tc.held {
					t.Errorf("held the batch %v, want held %v", held, tc.held)
				}
				got <- b
			}()
			for i := range tc.send {
				select {
				case l.reqs <- &request{p: &prepared{}}:
				case b := <-got:
					t.Fatalf("returned a batch of %d before request %d of %d came", len(b), i+1, tc.send)
				}
			}
			if b := <-got; len(b) != tc.want {
				t.Fatalf("batch of %d, want %d", len(b), tc.want)
			}
		})
	}
}

// TestLingerBytes checks that a batch at the byte limit does not wait.
func TestLingerBytes(t *testing.T) {
	l := &Log{reqs: make(chan *request), cfg: Config{Linger: time.Hour, MaxBatch: 1024, runnable: func() int { return 5 }}}
	if b, n, held := l.linger([]*request{{p: &prepared{}}}, maxBatchBytes, 100); len(b) != 1 || n != maxBatchBytes || held != 0 {
		t.Fatalf("batch of %d (%d bytes), held %v; want 1 of %d, not held", len(b), n, held, maxBatchBytes)
	}
}

// TestRunnableGoroutines checks that the scheduler probe reads the metric
// this Go version exports (a missing one would read as zero forever).
func TestRunnableGoroutines(t *testing.T) {
	var stop atomic.Bool
	defer stop.Store(true)
	busy := 2*runtime.GOMAXPROCS(0) + 2
	for range busy {
		go func() {
			for !stop.Load() {
			}
		}()
	}
	probe := runnableGoroutines()
	for range 1000 {
		if probe() > 0 {
			return
		}
	}
	t.Fatalf("%d busy goroutines on %d CPUs, and the probe never saw one runnable", busy, runtime.GOMAXPROCS(0))
}
