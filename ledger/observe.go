package ledger

import "time"

// BatchStats describes one batch the sequencer committed, for metrics: how
// many appends it took and how many of them its Appliers accepted, the
// encoded bytes it took, how long the sequencer held it open for more
// appends (zero when it did not linger), and how long the durable Badger
// commit of the batch with its checkpoint took. The durations are measured
// on the monotonic clock, not Config.Now, which only dates entries: they
// describe the machine, and no entry or projection depends on them.
type BatchStats struct {
	Requests int           // appends the batch took
	Entries  int           // of them, entries accepted and committed
	Bytes    int           // encoded bytes of the appends taken
	Lingered time.Duration // time held open for more appends; 0 if not held
	Commit   time.Duration // the batch's durable commit
}

// SequencerObserver is told of every batch the sequencer commits with at
// least one entry (imports and batches whose every entry was rejected are
// not batches of appends). It lets a caller such as the HTTP server export
// the group commit's behaviour as metrics without this package knowing of
// any metrics library. ObserveBatch is called from the committer goroutine
// after the batch is durable and before its callers are answered, so it
// must be quick and must not append.
type SequencerObserver interface {
	ObserveBatch(BatchStats)
}

// QueueDepth returns how many appends are waiting for the sequencer to take
// them into a batch at this moment: a sustained depth means the log is
// taking appends slower than they come.
func (l *Log) QueueDepth() int { return int(l.waiting.Load()) }
