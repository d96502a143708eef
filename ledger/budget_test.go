package ledger

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// TestMemoryBudget: a budget sizes Badger's memtables and caches in
// proportion (an encrypted ledger keeps the budget's index cache), a log
// opened with it works, and a budget below the minimum is refused before
// anything is written.
func TestMemoryBudget(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget int64
		key    []byte
	}{
		{"1 GiB", 1 << 30, nil},
		{"4 GiB, encrypted", 4 << 30, make([]byte, 32)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			cfg.MemoryBudget, cfg.EncryptionKey = tc.budget, tc.key
			var got badger.Options
			cfg.Badger = func(o *badger.Options) { got = *o }
			l, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			fill(t, l, 100, 4)
			if got.MemTableSize != tc.budget/32 || got.BaseTableSize != tc.budget/512 || got.TableSizeMultiplier != 1 || got.NumMemtables != 2 || got.BlockCacheSize != tc.budget/8 ||
				got.IndexCacheSize != tc.budget/16 || got.NumCompactors != 2 || got.ValueLogFileSize != tc.budget/16 || got.ValueThreshold != valueThreshold {
				t.Fatalf("options for %d: memtables %d x %d, block cache %d, index cache %d, compactors %d, value log files %d, value threshold %d", tc.budget,
					got.NumMemtables, got.MemTableSize, got.BlockCacheSize, got.IndexCacheSize, got.NumCompactors, got.ValueLogFileSize, got.ValueThreshold)
			}
			if n, _ := l.Head(); n != 100 {
				t.Fatalf("size %d", n)
			}
		})
	}
	dir := filepath.Join(t.TempDir(), "ledger")
	cfg := testConfig(t, dir)
	cfg.MemoryBudget = MinMemoryBudget - 1
	if l, err := Open(cfg); err == nil {
		l.Close()
		t.Fatal("a budget below the minimum opened")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a refused budget created %s: %v", dir, err)
	}
}
