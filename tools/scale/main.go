// Command scale builds a large log through the ledger's Go API with
// concurrent appenders and prints, per million entries, the append rate,
// the process's RSS, the Go heap and the disk use; then proof and tile
// read rates and the time to reopen the log. It is `make scale`, not part
// of `make test`: at its default of 10,000,000 entries it runs for minutes.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/dgraph-io/badger/v4"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
)

func main() {
	entries := flag.Uint64("entries", 10_000_000, "entries to append")
	workers := flag.Int("workers", 256, "concurrent appenders, each waiting for its append to be durable")
	size := flag.Int("size", 512, "bytes of each entry's body")
	budget := flag.Int64("memory-budget", ledger.DefaultMemoryBudget, "ledger.Config.MemoryBudget and GOMEMLIMIT (0: Badger's defaults, no limit)")
	every := flag.Uint64("every", 1_000_000, "print a line every this many entries")
	readFor := flag.Duration("read-for", 10*time.Second, "duration of each read measurement")
	dir := flag.String("dir", "", "data directory (a new temporary one, removed at the end, when empty)")
	memProfile := flag.String("memprofile", "", "write a heap profile to this file when the appends end")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the appends to this file")
	valueThreshold := flag.Int64("value-threshold", 0, "Badger's ValueThreshold (0: the ledger's default)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "assay-scale-")
		check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	if *budget > 0 {
		debug.SetMemoryLimit(*budget)
	}
	skey, _, err := note.GenerateKey(rand.Reader, "assay.scale/log")
	check(err)
	signer, err := note.NewSigner(skey)
	check(err)
	obs := &batchObserver{}
	cfg := ledger.Config{Dir: filepath.Join(*dir, "ledger"), Origin: "assay.scale/log", Signer: signer, MemoryBudget: *budget, Observer: obs,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if *valueThreshold > 0 {
		cfg.Badger = func(o *badger.Options) { *o = o.WithValueThreshold(*valueThreshold) }
	}
	l, err := ledger.Open(cfg)
	check(err)
	fmt.Printf("assay scale (%s): %d entries of %d B from %d appenders, memory budget %d MiB, in %s\n",
		time.Now().UTC().Format(time.RFC3339), *entries, *size, *workers, *budget>>20, *dir)

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	peak := newPeakRSS()
	defer peak.stop()
	var next, done atomic.Uint64
	var wg sync.WaitGroup
	body := json.RawMessage(`{"pad":"` + strings.Repeat("x", max(*size-10, 1)) + `"}`)
	marks := make(chan uint64, 1024)
	for range *workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= *entries {
					return
				}
				_, err := l.Append(context.Background(), ledger.Entry{Type: "scale.entry", Actor: "scale", Body: body})
				check(err)
				if n := done.Add(1); n%*every == 0 {
					marks <- n
				}
			}
		})
	}
	go func() { wg.Wait(); close(marks) }()
	fmt.Printf("%12s %12s %10s %10s %10s %10s %10s %10s %8s %9s\n", "entries", "appends/s", "RSS MiB", "anon MiB", "file MiB", "peak MiB", "heap MiB", "disk MiB", "batch", "commit")
	start, last, lastN := time.Now(), time.Now(), uint64(0)
	var first, final float64
	for n := range marks {
		now := time.Now()
		rate := float64(n-lastN) / now.Sub(last).Seconds()
		if first == 0 {
			first = rate
		}
		final = rate
		last, lastN = now, n
		st := status()
		batches, mean := obs.take()
		fmt.Printf("%12d %12.0f %10d %10d %10d %10d %10d %10d %8.0f %9v\n", n, rate, st["VmRSS"]>>20, st["RssAnon"]>>20, st["RssFile"]>>20,
			peak.max()>>20, heap()>>20, du(*dir)>>20, batches, mean.Round(time.Microsecond))
	}
	total := time.Since(start)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	size0, _ := l.Head()
	fmt.Printf("appended %d entries in %v (%.0f/s); rate of the last %d vs the first: %.2fx\n", size0, total.Round(time.Second),
		float64(size0)/total.Seconds(), *every, final/first)
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		check(err)
		check(pprof.WriteHeapProfile(f))
		check(f.Close())
	}
	if *budget > 0 {
		fmt.Printf("peak RSS while appending: %d MiB, %.2fx the budget\n", peak.max()>>20, float64(peak.max())/float64(*budget))
	}

	peak.reset()
	reads := func(name string, fn func(i uint64)) {
		r0 := l.Stats().Reads
		n := parallel(*readFor, fn)
		st := status()
		fmt.Printf("%-34s %10.0f/s  %.1f reads each (4 goroutines); RSS %d MiB (anon %d, file %d), peak %d MiB\n", name, float64(n)/readFor.Seconds(),
			float64(l.Stats().Reads-r0)/float64(n), st["VmRSS"]>>20, st["RssAnon"]>>20, st["RssFile"]>>20, peak.max()>>20)
	}
	reads("inclusion proofs at the head:", func(i uint64) {
		_, err := l.InclusionProof(i%size0, size0)
		check(err)
	})
	reads("consistency proofs to the head:", func(i uint64) {
		_, err := l.ConsistencyProof(1+i%(size0-1), size0)
		check(err)
	})
	reads("level-0 tiles (256 hashes):", func(i uint64) {
		_, err := l.Tile(0, i%(size0/256), 256)
		check(err)
	})
	reads("entry bundles (256 entries):", func(i uint64) {
		_, err := l.EntryBundle(i%(size0/256), 256)
		check(err)
	})
	fmt.Printf("peak RSS while reading: %d MiB\n", peak.max()>>20)
	check(l.Close())
	t := time.Now()
	l, err = ledger.Open(cfg)
	check(err)
	fmt.Printf("reopen: %v\n", time.Since(t).Round(time.Millisecond))
	fmt.Printf("disk %d MiB\n", du(*dir)>>20)
	check(l.Close())
}

// batchObserver sums the sequencer's batches between two lines of output.
type batchObserver struct {
	mu              sync.Mutex
	batches, values int64
	commit          time.Duration
}

func (o *batchObserver) ObserveBatch(s ledger.BatchStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.batches++
	o.values += int64(s.Entries)
	o.commit += s.Commit
}

// take returns the mean entries per batch and the mean commit time since
// the last call.
func (o *batchObserver) take() (float64, time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	defer func() { o.batches, o.values, o.commit = 0, 0, 0 }()
	if o.batches == 0 {
		return 0, 0
	}
	return float64(o.values) / float64(o.batches), o.commit / time.Duration(o.batches)
}

// parallel calls fn from 4 goroutines for d and returns the calls made.
func parallel(d time.Duration, fn func(i uint64)) uint64 {
	var total atomic.Uint64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 4 {
		wg.Go(func() {
			i := uint64(g)*7919 + 1
			for time.Since(start) < d {
				i = i*6364136223846793005 + 1442695040888963407
				fn(i >> 11)
				total.Add(1)
			}
		})
	}
	wg.Wait()
	return total.Load()
}

// peakRSS samples the process's RSS every 50 ms and keeps the largest.
type peakRSS struct {
	top  atomic.Int64
	done chan struct{}
}

func newPeakRSS() *peakRSS {
	p := &peakRSS{done: make(chan struct{})}
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if r := rss(); r > p.top.Load() {
				p.top.Store(r)
			}
			select {
			case <-p.done:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakRSS) max() int64 { return p.top.Load() }
func (p *peakRSS) stop()      { close(p.done) }
func (p *peakRSS) reset()     { p.top.Store(rss()) }

// rss is the process's resident set size (VmRSS).
func rss() int64 { return status()["VmRSS"] }

// status returns the sizes /proc/self/status gives in kB, in bytes: VmRSS
// and its parts RssAnon (heap, stacks, anonymous maps) and RssFile (pages
// of mapped files, such as Badger's tables, which the kernel may drop).
func status() map[string]int64 {
	f, err := os.Open("/proc/self/status")
	check(err)
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), ":")
		if v, isKB := strings.CutSuffix(strings.TrimSpace(v), " kB"); ok && isKB {
			kb, err := strconv.ParseInt(v, 10, 64)
			check(err)
			out[name] = kb << 10
		}
	}
	return out
}

// heap is the Go heap's bytes in objects, live or not yet swept.
func heap() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// du is the disk space the files under dir take (their allocated blocks:
// Badger's value log is a sparse file much larger than its data).
func du(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				if st, ok := info.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512
				}
			}
		}
		return nil
	})
	return n
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}
