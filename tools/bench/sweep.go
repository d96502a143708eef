package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/retention"
)

// The retention sweep runs in child processes of the bench (so that each
// one's peak RSS is its own): -sweep-child names the ledger directory the
// parent built and -sweep-mode what to measure.
var (
	sweepChild = flag.String("sweep-child", "", "internal: run one retention sweep measurement on this ledger directory")
	sweepMode  = flag.String("sweep-mode", "", "internal: dry (a dry-run sweep), real (a sweep that announces), scan (the baseline)")
)

// sweepAhead is how far past the packages' creation the sweeps judge: the
// transient packages (7d) have expired, the release-evidence ones (7y)
// have not.
const sweepAhead = 30 * 24 * time.Hour

// sweepBench builds a ledger of n packages, half transient and half
// release-evidence, and measures in child processes a dry-run sweep, a
// sweep that announces the n/2 eligible ones, and the baseline: one Badger
// iteration (Log.ScanProjections) over the same n package keys.
func sweepBench(dir string, n int) {
	ldir := filepath.Join(dir, "sweep-ledger")
	t0 := time.Now()
	buildPackages(ldir, n)
	fmt.Printf("retention sweep of %d packages (%d expired, no holds), each measured in a child process (built in %v):\n",
		n, n/2, time.Since(t0).Round(time.Millisecond))
	scan, scanRSS := runSweepChild(ldir, "scan")
	dry, dryRSS := runSweepChild(ldir, "dry")
	real, realRSS := runSweepChild(ldir, "real")
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	fmt.Printf("  sweep, dry run:               %9.0f packages/s  (%v, peak RSS %d MiB)  ratio to baseline %.2f\n",
		rate(dry), dry.Round(time.Millisecond), dryRSS>>20, rate(dry)/rate(scan))
	fmt.Printf("  sweep, announcing %d:     %9.0f packages/s  (%v, peak RSS %d MiB)  ratio to baseline %.2f\n",
		n/2, rate(real), real.Round(time.Millisecond), realRSS>>20, rate(real)/rate(scan))
	fmt.Printf("  baseline: Badger iteration over the %d package keys: %9.0f keys/s  (%v, peak RSS %d MiB)\n\n",
		n, rate(scan), scan.Round(time.Millisecond), scanRSS>>20)
}

// buildPackages creates n packages in a ledger at dir from 64 goroutines.
func buildPackages(dir string, n int) {
	l := openLog(dir)
	defer l.Close()
	svc := &catalog.Service{Catalog: catalog.New(l), Classes: catalog.DefaultClasses()}
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 64 {
				class := "transient"
				if i%2 == 1 {
					class = "release-evidence"
				}
				_, err := svc.CreatePackage(context.Background(), "bench", "acme", catalog.CreateRequest{Name: fmt.Sprint("build-", i), RetentionClass: class})
				check(err)
			}
		}()
	}
	wg.Wait()
}

// runSweepChild runs this program as a child measuring mode on the ledger
// at dir and returns the time the child measured and its peak RSS.
func runSweepChild(dir, mode string) (time.Duration, int64) {
	cmd := exec.Command(os.Args[0], "-sweep-child", dir, "-sweep-mode", mode)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	check(err)
	var ns int64
	_, err = fmt.Sscan(string(out), &ns)
	check(err)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return time.Duration(ns), ru.Maxrss << 10 // Linux reports kilobytes
}

// sweepChildMain is the child: it opens the ledger, measures its mode and
// prints the nanoseconds it took.
func sweepChildMain(dir, mode string) {
	l := openLogNow(dir, func() time.Time { return time.Now().Add(sweepAhead) })
	defer l.Close()
	ctx := context.Background()
	var d time.Duration
	switch mode {
	case "scan":
		keys := 0
		t := time.Now()
		check(l.ScanProjections(ctx, []byte("cat/pkg/"), nil, func(_, _ []byte) (bool, error) { keys++; return true, nil }))
		d = time.Since(t)
		if keys == 0 {
			check(fmt.Errorf("scan found no package keys"))
		}
	case "dry", "real":
		cat := catalog.New(l)
		svc, err := retention.NewService(retention.Config{Log: l, Catalog: cat, Now: func() time.Time { return time.Now().Add(sweepAhead) }})
		check(err)
		st, err := local.Open(local.Config{Root: filepath.Join(filepath.Dir(dir), "sweep-blobs")})
		check(err)
		del, err := retention.NewDeleter(retention.DeleterConfig{Service: svc, Store: st})
		check(err)
		t := time.Now()
		res, err := del.Sweep(ctx, "bench", "acme", mode == "dry")
		d = time.Since(t)
		check(err)
		if len(res.Eligible) == 0 {
			check(fmt.Errorf("sweep found no eligible package"))
		}
	default:
		check(fmt.Errorf("-sweep-mode %q: want scan, dry or real", mode))
	}
	fmt.Println(d.Nanoseconds())
}
