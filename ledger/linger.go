package ledger

import (
	"runtime/metrics"
	"time"
)

// Lingering. Each batch costs about 400 µs of CPU however few entries it
// holds: two msyncs in Badger's commit, the checkpoint signature, and the
// hand-offs between the sequencer, the committer and Badger's writer. On a
// busy log whose process is short of CPU, a batch closed at once holds only
// the appends that reached the sequencer while the rest of the callers wait
// in the Go scheduler's run queue, and its fixed cost takes CPU from the
// very requests the next batch waits for. So when the last two batches
// held at least lingerSiblings entries, the sequencer holds the next one
// open for as many more appends as there are runnable goroutines, or until
// Config.Linger passes. A log with a few callers never lingers, so a lone
// caller is not delayed.

// DefaultLinger is the default of Config.Linger.
const DefaultLinger = time.Millisecond

// lingerSiblings is the size of the last two batches together from which
// the sequencer lingers: smaller batches mean few concurrent callers, whom
// waiting for each other would only slow down. (Two, because a batch that
// lingered leaves few callers for the one after it.)
const lingerSiblings = 12

// runnableGoroutines returns a function that reads how many goroutines are
// ready to run but waiting for a CPU. Only the sequencer's goroutine calls
// it.
func runnableGoroutines() func() int {
	s := []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}}
	return func() int {
		metrics.Read(s)
		if s[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return int(s[0].Value.Uint64())
	}
}

// linger adds to batch (of n encoded bytes) the appends that arrive until
// as many have come as goroutines were runnable, l.cfg.Linger passes or the
// batch is full. recent is the size of the previous two batches. It returns
// the batch, its encoded bytes and how long it held the batch open (zero
// when it did not).
func (l *Log) linger(batch []*request, n, recent int) ([]*request, int, time.Duration) {
	if recent < lingerSiblings {
		return batch, n, 0
	}
	need := l.cfg.runnable()
	if need <= 0 || len(batch) >= l.cfg.MaxBatch || n >= maxBatchBytes {
		return batch, n, 0
	}
	start := time.Now()
	t := time.NewTimer(l.cfg.Linger)
	defer t.Stop()
	for ; need > 0 && len(batch) < l.cfg.MaxBatch && n < maxBatchBytes; need-- {
		select {
		case r := <-l.reqs:
			batch = append(batch, r)
			n += len(r.p.head) + len(r.p.tail)
		case <-t.C:
			return batch, n, time.Since(start)
		}
	}
	return batch, n, time.Since(start)
}
