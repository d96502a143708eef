// Command bench prints Assay's throughput figures, each beside a baseline
// measured in the same run on the same machine, since absolute numbers on
// shared machines mean little. Run it with `make bench`.
package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/domains"
)

// memoryBudget is ledger.Config.MemoryBudget (and GOMEMLIMIT) of every
// ledger the bench opens, children included: 0 keeps Badger's defaults.
var memoryBudget = flag.Int64("memory-budget", 0, "bytes: size Badger and GOMEMLIMIT as serve --memory-budget does (0: Badger's defaults)")

func main() {
	appends := flag.Int("appends", 300_000, "entries appended by the append benchmark")
	proofLog := flag.Int("proof-log", 1_000_000, "log size for the proof benchmarks")
	nExports := flag.Int("exports", 50_000, "exports per run of the export benchmark (0 skips it)")
	tesseraFor := flag.Duration("tessera", 5*time.Second, "duration of each Tessera comparison run (0 skips it)")
	logBench := flag.Bool("log", true, "run the append and proof benchmarks")
	encAppends := flag.Int("enc-appends", 50_000, "entries appended per run by each side of the ledger encryption comparison (0 skips it)")
	encProofLog := flag.Int("enc-proof-log", 250_000, "log size of each side of the ledger encryption comparison's proofs")
	upload := flag.Int64("upload", 1<<30, "bytes of the HTTP upload benchmark (0 skips it)")
	sweep := flag.Int("sweep", 100_000, "packages of the retention sweep benchmark (0 skips it)")
	streamN := flag.Int("stream", 50_000, "entries appended by each side of the live stream fan-out benchmark (0 skips it)")
	streamSubs := flag.Int("stream-subs", 100, "subscribers of the live stream fan-out benchmark")
	promote := flag.Int("promote", 100_000, "objects of the promotion benchmark (0 skips it)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *memoryBudget > 0 {
		debug.SetMemoryLimit(*memoryBudget) // as serve --memory-budget does
	}
	if *sweepChild != "" {
		sweepChildMain(*sweepChild, *sweepMode)
		return
	}
	if *promoteChild != "" {
		promoteChildMain(*promoteChild, *promoteMode)
		return
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	dir, err := os.MkdirTemp("", "assay-bench-")
	check(err)
	defer os.RemoveAll(dir)

	fmt.Printf("assay bench (%s)\n\n", time.Now().UTC().Format(time.RFC3339))
	if *logBench {
		logBenches(dir, *appends, *proofLog)
		if *encAppends > 0 {
			encryptionBench(dir, *encAppends, *encProofLog)
		}
	}
	if *sweep > 0 {
		sweepBench(dir, *sweep)
	}
	if *streamN > 0 {
		streamBench(dir, *streamN, *streamSubs)
	}
	if *promote > 0 {
		promoteBench(dir, *promote)
	}
	if *upload > 0 {
		uploadBench(dir, *upload)
	}
	if *nExports > 0 {
		exportBench(dir, *nExports, *tesseraFor)
	}
}

// logBenches prints the append and proof figures.
func logBenches(dir string, appends, proofLog int) {
	fsyncs := fsyncBaseline(filepath.Join(dir, "fsync"), 64*512)
	cpu0 := cpuTime()
	var batches batchCounter
	l0 := openLogWith(filepath.Join(dir, "append"), nil, nil, &batches)
	rate, p50, p99 := appendOn(l0, appends, 64, 512)
	check(l0.Close())
	perAppend := (cpuTime() - cpu0) / time.Duration(appends)
	fmt.Printf("durable appends, 64 appenders x 512 B: %9.0f /s  p50 %v  p99 %v  cpu %v/append\n", rate, p50, p99, perAppend)
	fmt.Printf("  baseline: write 32 KiB + fdatasync:  %9.0f /s  -> 64 x that = %.0f appends/s ceiling; ratio %.2f\n",
		fsyncs, 64*fsyncs, rate/(64*fsyncs))
	batch := batches.mean()
	alone := badgerAlone(filepath.Join(dir, "badger-alone"), appends, batch, 512)
	fmt.Printf("  baseline: Badger alone, one key per entry, durable batches of %d: %9.0f /s; the ledger's ratio %.2f\n",
		batch, alone, rate/alone)

	l := openLog(filepath.Join(dir, "proofs"))
	defer l.Close()
	t0 := time.Now()
	appendAll(l, proofLog, 512, 64, nil)
	fmt.Printf("\nbuilt a %d-entry log in %v (512 appenders)\n", proofLog, time.Since(t0).Round(time.Millisecond))
	reads := pointReadRate(l)
	incl, inclReads := proofRate(l, func(i, n uint64) error { _, err := l.InclusionProof(i%n, n); return err })
	cons, consReads := proofRate(l, func(i, n uint64) error { _, err := l.ConsistencyProof(1+i%(n-1), n); return err })
	fmt.Printf("inclusion proofs on %d entries:   %9.0f /s  (%.1f node reads each)\n", proofLog, incl, inclReads)
	fmt.Printf("consistency proofs on %d entries: %9.0f /s  (%.1f node reads each)\n", proofLog, cons, consReads)
	fmt.Printf("  baseline: Badger point reads:       %9.0f /s  -> proof ceiling incl %.0f/s (ratio %.2f), cons %.0f/s (ratio %.2f)\n",
		reads, reads/inclReads, incl/(reads/inclReads), reads/consReads, cons/(reads/consReads))
	historyBench(l, reads)
}

// encRounds is how many times each side of the encryption comparison is
// measured, alternating sides so that a busy neighbour on the shared
// machine slows both; the median is printed.
const encRounds = 3

// encryptionBench prints the append and proof rates of a plaintext ledger
// and of one encrypted with Badger's AES-256 (ledger.Config.EncryptionKey),
// both measured in this run with the same sizes, and their ratios.
func encryptionBench(dir string, appends, proofLog int) {
	key := make([]byte, 32)
	_, err := rand.Read(key)
	check(err)
	keys := [2][]byte{nil, key}
	var rate, incl, cons [2][]float64
	var p50, cpu [2][]time.Duration
	for r := range encRounds {
		for side, k := range keys {
			cpu0 := cpuTime()
			a, p, _ := appendBench(filepath.Join(dir, fmt.Sprintf("enc-append-%d-%d", side, r)), k, appends, 64, 512)
			rate[side], p50[side] = append(rate[side], a), append(p50[side], p)
			cpu[side] = append(cpu[side], (cpuTime()-cpu0)/time.Duration(appends))
		}
	}
	var logs [2]*ledger.Log
	for side, k := range keys {
		logs[side] = openLogKey(filepath.Join(dir, fmt.Sprintf("enc-proofs-%d", side)), k)
		defer logs[side].Close()
		appendAll(logs[side], proofLog, 512, 64, nil)
	}
	for range encRounds {
		for side, l := range logs {
			r, _ := proofRate(l, func(i, n uint64) error { _, err := l.InclusionProof(i%n, n); return err })
			incl[side] = append(incl[side], r)
		}
		for side, l := range logs {
			r, _ := proofRate(l, func(i, n uint64) error { _, err := l.ConsistencyProof(1+i%(n-1), n); return err })
			cons[side] = append(cons[side], r)
		}
	}
	fmt.Printf("\nledger encryption at rest (Badger AES-256), same sizes both sides, median of %d alternating runs:\n", encRounds)
	a0, a1 := median(rate[0]), median(rate[1])
	fmt.Printf("  durable appends (%d, 64 x 512 B): plain %7.0f /s (p50 %v, cpu %v/append)  aes-256 %7.0f /s (p50 %v, cpu %v/append)  ratio %.2f\n",
		appends, a0, median(p50[0]), median(cpu[0]), a1, median(p50[1]), median(cpu[1]), a1/a0)
	i0, i1 := median(incl[0]), median(incl[1])
	fmt.Printf("  inclusion proofs on %d entries:   plain %7.0f /s  aes-256 %7.0f /s  ratio %.2f\n", proofLog, i0, i1, i1/i0)
	c0, c1 := median(cons[0]), median(cons[1])
	fmt.Printf("  consistency proofs on %d entries: plain %7.0f /s  aes-256 %7.0f /s  ratio %.2f\n", proofLog, c0, c1, c1/c0)
}

// median returns the middle value of xs (sorted in place).
func median[T float64 | time.Duration](xs []T) T {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// cpuTime is the user+system CPU time this process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	check(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openLog opens a log in dir with the domain modules the server runs.
func openLog(dir string) *ledger.Log { return openLogKey(dir, nil) }

// openLogKey is openLog with the ledger encrypted at rest under key (none
// when nil).
func openLogKey(dir string, key []byte) *ledger.Log { return openLogWith(dir, key, nil, nil) }

// openLogNow is openLog with the clock now.
func openLogNow(dir string, now func() time.Time) *ledger.Log { return openLogWith(dir, nil, now, nil) }

func openLogWith(dir string, key []byte, now func() time.Time, obs ledger.SequencerObserver) *ledger.Log {
	skey, _, err := note.GenerateKey(rand.Reader, "bench")
	check(err)
	s, err := note.NewSigner(skey)
	check(err)
	l, err := ledger.Open(ledger.Config{Dir: dir, Origin: "assay.bench/log", Signer: s, Modules: domains.Modules(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), EncryptionKey: key, Now: now, MemoryBudget: *memoryBudget,
		Observer: obs})
	check(err)
	return l
}

// fsyncBaseline measures how many times a second the disk takes a write of
// batch bytes followed by fdatasync: the floor cost of one group commit.
func fsyncBaseline(path string, batch int) float64 {
	f, err := os.Create(path)
	check(err)
	defer f.Close()
	buf := make([]byte, batch)
	n, start := 0, time.Now()
	for time.Since(start) < 2*time.Second {
		_, err := f.Write(buf)
		check(err)
		check(f.Sync())
		n++
	}
	return float64(n) / time.Since(start).Seconds()
}

// benchActors is how many actors the bench entries are spread over: a
// history query by one actor selects 1 entry in benchActors.
const benchActors = 1000

func benchActor(i int) string { return fmt.Sprintf("actor-%d", i%benchActors) }

// historyBench prints the latency of history queries on l (built by
// appendAll) for a selective filter, one actor's newest 100 entries (and
// the same with a type family checked per candidate), beside the log's
// own point reads in the same run.
func historyBench(l *ledger.Log, reads float64) {
	n, _ := l.Head()
	for _, c := range []struct {
		name string
		q    func(i int) ledger.HistoryQuery
	}{
		{"actor=A, newest 100", func(i int) ledger.HistoryQuery {
			return ledger.HistoryQuery{Where: []ledger.Attr{{Name: ledger.AttrActor, Value: benchActor(i)}}, Desc: true, Limit: 100}
		}},
		{"actor=A&type=bench.*, oldest 100", func(i int) ledger.HistoryQuery {
			return ledger.HistoryQuery{Where: []ledger.Attr{{Name: ledger.AttrActor, Value: benchActor(i)}}, Types: []string{"bench.*"}, Limit: 100}
		}},
	} {
		var lat []time.Duration
		for i := 0; i < 400; i++ {
			t := time.Now()
			recs, _, err := l.History(context.Background(), c.q(i*7))
			check(err)
			if len(recs) != min(100, int(n)/benchActors) {
				check(fmt.Errorf("history %s: %d entries", c.name, len(recs)))
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		fmt.Printf("history query on %d entries (%s): p50 %v  p99 %v  (%.0f entries/s at p50)\n",
			n, c.name, p50.Round(time.Microsecond), p99.Round(time.Microsecond), 100/p50.Seconds())
	}
	fmt.Printf("  baseline: Badger point reads of entries: %.0f /s (4 goroutines) -> 100 entries in %v\n",
		reads, (time.Duration(float64(time.Second) * 100 / reads)).Round(time.Microsecond))
}

func body(size, i int) []byte {
	pad := size - 60
	return fmt.Appendf(nil, `{"seq":%d,"pad":"%0*d"}`, i, pad, 0)
}

// appendBench appends n entries of about size bytes from the given number of
// goroutines to a log encrypted under key (none when nil), each waiting for
// its append to be durable, and returns the rate and latency percentiles.
func appendBench(dir string, key []byte, n, workers, size int) (float64, time.Duration, time.Duration) {
	l := openLogKey(dir, key)
	defer l.Close()
	return appendOn(l, n, workers, size)
}

// appendOn is appendBench on an open log.
func appendOn(l *ledger.Log, n, workers, size int) (float64, time.Duration, time.Duration) {
	lat := make([][]time.Duration, workers)
	start := time.Now()
	appendAll(l, n, workers, size, func(w int, d time.Duration) { lat[w] = append(lat[w], d) })
	rate := float64(n) / time.Since(start).Seconds()
	all := slices.Concat(lat...)
	slices.Sort(all)
	return rate, all[len(all)/2].Round(time.Microsecond), all[len(all)*99/100].Round(time.Microsecond)
}

// appendAll appends n entries of about size bytes to l from the given
// number of goroutines, each waiting for its append to be durable, and
// reports each append's latency to done (when not nil) with its worker.
func appendAll(l *ledger.Log, n, workers, size int, done func(w int, d time.Duration)) {
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				t := time.Now()
				_, err := l.Append(context.Background(), ledger.Entry{Type: "bench.entry", Actor: benchActor(i), Body: body(size, i)})
				check(err)
				if done != nil {
					done(w, time.Since(t))
				}
			}
		}()
	}
	wg.Wait()
}

// parallel runs fn from two goroutines per core for d and returns calls/s.
func parallel(d time.Duration, fn func(i uint64)) float64 {
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	start := time.Now()
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			i := uint64(g) * 7919
			c := 0
			for ; time.Since(start) < d; c++ {
				i = i*6364136223846793005 + 1442695040888963407
				fn(i >> 11)
			}
			mu.Lock()
			total += c
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds()
}

func pointReadRate(l *ledger.Log) float64 {
	n, _ := l.Head()
	return parallel(2*time.Second, func(i uint64) {
		_, err := l.Entry(i % n)
		check(err)
	})
}

// proofRate returns proofs/s and the average node reads per proof.
func proofRate(l *ledger.Log, fn func(i, n uint64) error) (float64, float64) {
	n, _ := l.Head()
	before := l.Stats().Reads
	var calls uint64
	var mu sync.Mutex
	rate := parallel(2*time.Second, func(i uint64) {
		check(fn(i, n))
		mu.Lock()
		calls++
		mu.Unlock()
	})
	return rate, float64(l.Stats().Reads-before) / float64(calls)
}

// batchCounter counts the sequencer's batches and their entries.
type batchCounter struct{ batches, entries atomic.Int64 }

func (b *batchCounter) ObserveBatch(s ledger.BatchStats) {
	b.batches.Add(1)
	b.entries.Add(int64(s.Entries))
}

// mean is the mean entries per batch (at least 1).
func (b *batchCounter) mean() int {
	if n := b.batches.Load(); n > 0 {
		return max(1, int(b.entries.Load()/n))
	}
	return 1
}

// badgerAlone commits n values of about size bytes to a plain Badger
// database, one key per entry, in durable transactions of batch entries
// from one writer, as the sequencer does: the storage engine's own rate
// for the bytes the ledger writes, without the tree, projections,
// checkpoints or indexes.
func badgerAlone(dir string, n, batch, size int) float64 {
	db, err := badger.Open(badger.DefaultOptions(dir).WithSyncWrites(true).WithLogger(nil))
	check(err)
	defer db.Close()
	val := make([]byte, size+64)
	start := time.Now()
	for i := 0; i < n; {
		txn := db.NewTransaction(true)
		for j := 0; j < batch && i < n; j, i = j+1, i+1 {
			check(txn.Set(binary.BigEndian.AppendUint64([]byte{'e'}, uint64(i)), val))
		}
		check(txn.Commit())
	}
	return float64(n) / time.Since(start).Seconds()
}
