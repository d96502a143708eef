package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// The promotion runs in child processes of the bench (so that each one's
// peak RSS is its own): -promote-child names the directory the parent
// built (ledger and blobs) and -promote-mode what to measure.
var (
	promoteChild = flag.String("promote-child", "", "internal: run one promotion measurement on this directory")
	promoteMode  = flag.String("promote-mode", "", "internal: promote (the gate's worker), hash (the baseline)")
)

// promoteBench lands n small objects in raw and measures in child
// processes the promotion of their prefix through promotion.Service (a
// request, then the worker's pass: read and sha256 every object's bytes,
// append its check and its outcome) and the baseline: reading the same
// objects' bytes from the same store and hashing them with sha256.
func promoteBench(dir string, n int) {
	root := filepath.Join(dir, "promote")
	t0 := time.Now()
	landObjects(root, n)
	fmt.Printf("promotion of %d small objects (basic tier), each measured in a child process (landed in %v):\n", n, time.Since(t0).Round(time.Millisecond))
	hash, hashRSS, hashHeap := runPromoteChild(root, "hash")
	prom, promRSS, promHeap := runPromoteChild(root, "promote")
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	fmt.Printf("  promotion (check + outcome appended per object): %9.0f objects/s  (%v, peak RSS %d MiB, peak Go heap %d MiB)  ratio to baseline %.4f\n",
		rate(prom), prom.Round(time.Millisecond), promRSS>>20, promHeap>>20, rate(prom)/rate(hash))
	fmt.Printf("  baseline: read + sha256 of the same objects' bytes: %9.0f objects/s  (%v, peak RSS %d MiB, peak Go heap %d MiB)\n\n",
		rate(hash), hash.Round(time.Millisecond), hashRSS>>20, hashHeap>>20)
}

// landObjects puts n small objects under raw/bench/ from 64 goroutines.
func landObjects(root string, n int) {
	l := openLog(filepath.Join(root, "ledger"))
	defer l.Close()
	st, err := local.Open(local.Config{Root: filepath.Join(root, "blobs")})
	check(err)
	svc := &catalog.Service{Catalog: catalog.New(l), Store: st, Classes: catalog.DefaultClasses()}
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Go(func() {
			for i := w; i < n; i += 64 {
				_, err := svc.PutObject(context.Background(), "producer", "acme", fmt.Sprintf("bench/%07d.json", i), "application/json", nil,
					catalog.Landing{}, strings.NewReader(fmt.Sprintf(`{"object":%d,"result":"pass"}`, i)))
				check(err)
			}
		})
	}
	wg.Wait()
}

// runPromoteChild runs this program as a child measuring mode on the
// directory root and returns the time the child measured, its peak RSS
// and its peak Go heap (in use). RSS also counts the pages of the ledger's
// files Badger maps, which grow with the database whatever the work; the
// heap is what the work itself holds.
func runPromoteChild(root, mode string) (time.Duration, int64, int64) {
	cmd := exec.Command(os.Args[0], "-promote-child", root, "-promote-mode", mode, "-memory-budget", fmt.Sprint(*memoryBudget))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	check(err)
	var ns, heap int64
	_, err = fmt.Sscan(string(out), &ns, &heap)
	check(err)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return time.Duration(ns), ru.Maxrss << 10, heap // Linux reports kilobytes
}

// heapPeak samples the Go heap in use every 10 ms until stop is closed,
// then sends the largest sample.
func heapPeak(stop <-chan struct{}, peak chan<- uint64) {
	var top uint64
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for {
		metrics.Read(sample)
		top = max(top, sample[0].Value.Uint64())
		select {
		case <-stop:
			peak <- top
			return
		case <-t.C:
		}
	}
}

// promoteChildMain is the child: it opens the ledger and the store,
// measures its mode and prints the nanoseconds it took.
func promoteChildMain(root, mode string) {
	l := openLog(filepath.Join(root, "ledger"))
	defer l.Close()
	st, err := local.Open(local.Config{Root: filepath.Join(root, "blobs")})
	check(err)
	cat := catalog.New(l)
	ctx := context.Background()
	var d time.Duration
	stop, peak := make(chan struct{}), make(chan uint64)
	go heapPeak(stop, peak)
	switch mode {
	case "hash":
		t := time.Now()
		objects := 0
		cursor := ""
		for {
			objs, next, err := cat.Objects(ctx, "acme", catalog.ZoneRaw, "bench/", cursor, 256)
			check(err)
			for _, o := range objs {
				dg, err := cas.ParseDigest(o.Digest)
				check(err)
				rc, err := st.Get(ctx, dg, 0, -1)
				check(err)
				h := sha256.New()
				_, err = io.Copy(h, rc)
				check(err)
				check(rc.Close())
				objects++
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		d = time.Since(t)
		if objects == 0 {
			check(fmt.Errorf("no object to hash"))
		}
	case "promote":
		svc, err := promotion.NewService(promotion.Config{Log: l, Catalog: cat, Store: st})
		check(err)
		t := time.Now()
		p, err := svc.Request(ctx, "bench", "acme", promotion.Request{Source: "raw/bench/", Destination: "golden/bench/", Tier: promotion.TierBasic})
		check(err)
		check(svc.ProcessPending(ctx))
		d = time.Since(t)
		p, err = svc.Promotion("acme", p.ID)
		check(err)
		if p.Status != promotion.StatusCompleted || p.Promoted == 0 {
			check(fmt.Errorf("promotion %+v", p))
		}
	default:
		check(fmt.Errorf("-promote-mode %q: want promote or hash", mode))
	}
	close(stop)
	fmt.Println(d.Nanoseconds(), <-peak)
}
