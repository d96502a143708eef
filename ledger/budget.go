package ledger

import (
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// DefaultMemoryBudget is the memory a server's ledger is sized for when
// its operator names no budget (serve --memory-budget).
const DefaultMemoryBudget = 1 << 30

// MinMemoryBudget is the smallest budget Open accepts: below it Badger's
// own fixed costs (two memtables, table builders) leave nothing to size.
const MinMemoryBudget = 256 << 20

// budgetOptions sizes Badger for a process that must stay within budget
// bytes. Left to its defaults, Badger's memory grows with the database:
// five 64 MiB memtables, a 256 MiB block cache, the index and Bloom filter
// of every table held in memory (IndexCacheSize 0: they grow with the
// data), four compactors each building tables in parallel. The budget
// gives, of every GiB:
//
//	memtables     2 x 1/32 (64 MiB)   writes waiting for a flush
//	block cache   1/8      (128 MiB)  data blocks of recent reads
//	index cache   1/16     (64 MiB)   table indexes and Bloom filters, now bounded
//	tables        2 MiB at every level, 2 compactors, L0 compacted at 3 tables
//	value log     files of 1/16 (64 MiB)
//	mapped files  their resident pages given back past 1/8 (see mappedFiles)
//
// Small memtables and tables keep small the buffers of the table builders
// of flushes and compactions, which a heap profile under append load shows
// to be most of Badger's memory (a builder holds its whole table).
// which leaves about half of the budget for the Go heap of everything else
// (requests, the sequencer's batches, table builders of flushes and
// compactions, garbage awaiting the collector, which the server's
// GOMEMLIMIT, set to the same budget, reclaims before the process grows).
func budgetOptions(opts *badger.Options, budget int64) error {
	if budget < MinMemoryBudget {
		return fmt.Errorf("ledger: memory budget of %d bytes, at least %d (%d MiB)", budget, int64(MinMemoryBudget), MinMemoryBudget>>20)
	}
	*opts = opts.
		WithMemTableSize(budget / 32).
		WithBaseTableSize(budget / 512).
		WithNumMemtables(2).
		WithBlockCacheSize(budget / 8).
		WithIndexCacheSize(budget / 16).
		WithNumCompactors(2).
		WithValueLogFileSize(budget / 16).
		WithNumLevelZeroTables(3).
		WithNumLevelZeroTablesStall(10)
	opts.TableSizeMultiplier = 1
	return nil
}
