package ledger

import (
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Storage layout of values. Entries (hundreds of bytes each, immutable)
// and the larger projections are kept in Badger's value
// log, written once, and only a pointer to each goes into its LSM tree.
// With the values inside the tree, as Badger keeps those below 1 MiB by
// default, every compaction rewrote them: at ten million entries the
// tree's compactions took the append rate down to half of what it was at
// one million, and proofs and tiles read through a tree of several GiB.
// With the pointers alone the tree stays about a tenth of that size.
//
// Its files are valueLogFileSize long (a memory budget makes them smaller)
// rather than Badger's 1 GiB, so that collection rewrites less at a time.
const (
	valueThreshold   = 256
	valueLogFileSize = 256 << 20
)

// Value log upkeep. A value replaced or deleted (a projection rewritten,
// the tree head of every batch) leaves its old bytes in the value log;
// Badger's value log collection rewrites the live values of a file whose
// share of such garbage passed gcDiscardRatio, then deletes it. Entries
// are never replaced, so a file of entries is never rewritten.
const (
	gcInterval     = 10 * time.Minute
	gcDiscardRatio = 0.5
	// releaseInterval is how often the strata are synced and a log with a
	// memory budget checks the resident pages of its mapped files (see
	// mappedFiles).
	releaseInterval = 200 * time.Millisecond
)

// maintain runs beside the sequencer until the log closes: it syncs the
// strata written since the last tick (strata.go); with a memory budget, it
// gives back the resident pages of Badger's mapped files when
// they pass an eighth of the budget (mappedFiles), and it collects the
// value log every gcInterval.
func (l *Log) maintain(m *mappedFiles) {
	defer close(l.maintained)
	tick := time.NewTicker(releaseInterval)
	defer tick.Stop()
	lastGC := time.Now()
	for {
		select {
		case <-l.quit:
			return
		case <-tick.C:
		}
		if l.strataf.written.Load() > l.strataf.synced.Load() {
			if err := l.strataf.sync(); err != nil {
				l.cfg.Logger.Warn("ledger: strata not synced; the next open writes them again", "err", err)
			}
		}
		l.releaseMapped(m)
		if time.Since(lastGC) >= gcInterval {
			lastGC = time.Now()
			if err := l.collectValueLog(); err != nil {
				l.cfg.Logger.Warn("ledger: value log collection failed", "err", err)
			}
		}
	}
}

// releaseMapped gives back the resident pages of Badger's mapped files if
// they take more than an eighth of the memory budget.
func (l *Log) releaseMapped(m *mappedFiles) {
	if m == nil {
		return
	}
	if rss, ok := fileRSS(); ok && rss > l.cfg.MemoryBudget/8 {
		if err := m.release(); err != nil {
			l.cfg.Logger.Warn("ledger: giving back the pages of mapped files failed", "err", err)
		}
	}
}

// collectValueLog runs Badger's value log collection until no file is
// worth rewriting, or the log closes.
func (l *Log) collectValueLog() error {
	for {
		select {
		case <-l.quit:
			return nil
		default:
		}
		err := l.db.RunValueLogGC(gcDiscardRatio)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
