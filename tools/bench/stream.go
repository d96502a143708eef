package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assay-ledger/assay/httpapi"
)

// streamBench measures the live event stream's fan-out: the durable append
// rate of 64 appenders with no stream open, then with subs subscribers
// following GET /v1/events/stream over loopback HTTP, each of which must
// receive every one of the n entries appended meanwhile; printed as the
// ratio of the two append rates and the subscribers' delivery rate.
func streamBench(dir string, n, subs int) {
	l := openLog(filepath.Join(dir, "stream-ledger"))
	defer l.Close()
	tokens := filepath.Join(dir, "stream-"+httpapi.TokenFile)
	tok, err := httpapi.CreateToken(tokens, httpapi.Identity{Name: "bench", Tenant: "bench", Scopes: []string{httpapi.ScopeLogRead}}, time.Now())
	check(err)
	api, err := httpapi.New(httpapi.Config{Log: l, Tokens: httpapi.OpenTokens(tokens), Logger: slog.New(slog.DiscardHandler)})
	check(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()
	url := "http://" + ln.Addr().String()

	t0 := time.Now()
	appendAll(l, n, 64, 512, nil)
	alone := float64(n) / time.Since(t0).Seconds()

	head, _ := l.Head()
	start := head - 1
	last := head + uint64(n) - 1
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var delivered atomic.Int64
	for range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			check(subscribe(ctx, url, tok, start, last, &delivered))
		}()
	}
	t1 := time.Now()
	appendAll(l, n, 64, 512, nil)
	with := float64(n) / time.Since(t1).Seconds()
	wg.Wait()
	all := time.Since(t1)
	fmt.Printf("\nlive stream, %d subscribers over loopback HTTP, %d entries of 512 B:\n", subs, n)
	fmt.Printf("  durable appends with the subscribers: %9.0f /s  (every subscriber got all %d, last one %v after the first append)\n", with, n, all.Round(time.Millisecond))
	fmt.Printf("  baseline: durable appends, no stream: %9.0f /s  -> ratio %.2f\n", alone, with/alone)
	fmt.Printf("  events delivered: %d (%.0f /s)\n", delivered.Load(), float64(delivered.Load())/all.Seconds())
}

// subscribe reads the stream after index from until it has seen index
// last, counting events. It reads only the id lines, as a consumer on
// another machine costs the server the same whatever it then does with
// the data, and this one shares the bench's two cores with the server.
func subscribe(ctx context.Context, url, tok string, from, last uint64, delivered *atomic.Int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/events/stream", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Last-Event-ID", strconv.FormatUint(from, 10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("stream: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	want := from + 1
	for sc.Scan() {
		id, ok := bytes.CutPrefix(sc.Bytes(), []byte("id: "))
		if !ok {
			continue
		}
		i, err := strconv.ParseUint(string(id), 10, 64)
		if err != nil || i != want {
			return fmt.Errorf("stream: event %q, want id %d", id, want)
		}
		delivered.Add(1)
		if i == last {
			return nil
		}
		want++
	}
	return fmt.Errorf("stream ended at %d of %d: %v", want-1, last, sc.Err())
}
