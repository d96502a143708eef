package ledger

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// mappedRSS sums the resident pages of the process's maps of files under
// dir whose names end in suffix (from /proc/self/smaps), so that other
// tests' ledgers do not count.
func mappedRSS(t *testing.T, dir, suffix string) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var n int64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":") {
			in = len(fields) >= 6 && strings.HasPrefix(fields[5], dir+"/") && strings.HasSuffix(fields[5], suffix)
			continue
		}
		if v, ok := strings.CutPrefix(line, "Rss:"); ok && in {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("smaps line %q: %v", line, err)
			}
			n += kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReleaseMappedPages pins the Badger internals mappedFiles reaches
// and checks that giving back the pages of Badger's tables and value log
// files takes them out of the process, while appends and reads go on and
// every entry reads back as written.
func TestReleaseMappedPages(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.MemoryBudget = MinMemoryBudget // value log files of 16 MiB, tables of 512 KiB
	cfg.noRelease = true
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m, err := mappedFilesOf(l.db)
	if err != nil {
		t.Fatalf("Badger's internals changed: %v", err)
	}
	pad := strings.Repeat("p", 4000)
	body := func(i int) json.RawMessage { return json.RawMessage(fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, pad)) }
	appendRange := func(from, to int) error {
		for i := from; i < to; i++ {
			if _, err := l.Append(context.Background(), Entry{Type: "test.mapped", Actor: "t", Body: body(i)}); err != nil {
				return err
			}
		}
		return nil
	}
	const first = 20_000 // 80 MiB of entries: several value log files and tables
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() { errs <- appendRange(w*first/8, (w+1)*first/8) })
	}
	wg.Wait()
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := l.db.Flatten(1); err != nil { // move the memtables' entries into tables
		t.Fatal(err)
	}
	tables, vlog := mappedRSS(t, dir, ".sst"), mappedRSS(t, dir, ".vlog")
	if tables < 1<<20 || vlog < 32<<20 {
		t.Fatalf("only %d MiB of tables and %d MiB of value log resident after 80 MiB of entries: nothing to give back", tables>>20, vlog>>20)
	}
	l.cfg.MemoryBudget = 1 << 40 // the resident pages are far below an eighth of it: kept
	l.releaseMapped(m)
	if kept := mappedRSS(t, dir, ""); kept < (tables+vlog)*9/10 {
		t.Fatalf("pages given back below the budget's threshold: %d of %d MiB resident", kept>>20, (tables+vlog)>>20)
	}
	l.cfg.MemoryBudget = MinMemoryBudget // above an eighth of it: given back
	l.releaseMapped(m)
	tablesAfter, vlogAfter := mappedRSS(t, dir, ".sst"), mappedRSS(t, dir, ".vlog")
	t.Logf("resident pages of Badger's tables: %d MiB before, %d MiB after; of its value log: %d MiB before, %d MiB after",
		tables>>20, tablesAfter>>20, vlog>>20, vlogAfter>>20)
	if tablesAfter > tables/4 || vlogAfter > vlog/2 {
		t.Fatal("the pages were not given back")
	}

	// Give pages back while entries are appended and read.
	done := make(chan struct{})
	var releases int
	releaser := make(chan error, 1)
	go func() {
		defer close(releaser)
		for {
			select {
			case <-done:
				return
			default:
			}
			if err := m.release(); err != nil {
				releaser <- err
				return
			}
			releases++
		}
	}()
	for w := range 4 {
		wg.Go(func() { errs <- appendRange(first+w*1000, first+(w+1)*1000) })
	}
	wg.Go(func() {
		for i := uint64(0); i < first; i += 97 {
			if _, err := l.Entry(i); err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	})
	wg.Wait()
	close(done)
	if err := <-releaser; err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if releases == 0 {
		t.Fatal("no release ran beside the appends")
	}
	size, _ := l.Head()
	if size != first+4_000 {
		t.Fatalf("size %d", size)
	}
	seen := make([]bool, size)
	entries, err := l.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		var rec struct { // the body's members are the entry's own
			N   int    `json:"n"`
			Pad string `json:"pad"`
		}
		if err := json.Unmarshal(e, &rec); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
		if rec.Pad != pad || rec.N < 0 || rec.N >= int(size) || seen[rec.N] {
			t.Fatalf("entry %d reads back as %.300q", i, e)
		}
		seen[rec.N] = true
	}
}
