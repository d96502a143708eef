// Package loadgen drives an HTTP endpoint from many concurrent clients and
// reports throughput and latency percentiles. Each client sends one request
// at a time and waits for its answer, as a producer waiting for a durable
// receipt does, so throughput is what the server sustains at that
// concurrency, not what a fire-and-forget flood reaches.
package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request to send: method, URL, headers and body.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Config describes one run. Next builds the i-th request (i counts from 0
// across all clients); Want is the status every answer must have.
type Config struct {
	Clients  int
	Duration time.Duration // run until then, or until Next returns false
	Next     func(i int) (Request, bool)
	Want     int
	Client   *http.Client // NewClient(Clients) when nil
}

// Result summarizes a run.
type Result struct {
	Requests int           // answered with the wanted status
	Errors   int           // transport errors and other statuses
	FirstErr error         // the first of those, for the report
	Elapsed  time.Duration // wall time of the run
	P50, P99 time.Duration // latency of the successful requests
}

// Rate returns the successful requests per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// String formats the result as "N/s p50 X p99 Y".
func (r Result) String() string {
	s := fmt.Sprintf("%9.0f /s  p50 %8v  p99 %8v", r.Rate(), r.P50, r.P99)
	if r.Errors > 0 {
		s += fmt.Sprintf("  (%d errors, first: %v)", r.Errors, r.FirstErr)
	}
	return s
}

// NewClient returns an HTTP/1.1 client that keeps one connection per
// concurrent client alive, so connection setup stays out of the figures.
func NewClient(clients int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// client is one worker's state.
type client struct {
	lat  []time.Duration
	errs int
	err  error
}

// Run drives the endpoint as cfg says and returns the result.
func Run(ctx context.Context, cfg Config) Result {
	if cfg.Client == nil {
		cfg.Client = NewClient(cfg.Clients)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var next atomic.Int64
	workers := make([]client, cfg.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			workers[w].loop(ctx, cfg, &next)
		}()
	}
	wg.Wait()
	return summarize(workers, time.Since(start))
}

func (c *client) loop(ctx context.Context, cfg Config, next *atomic.Int64) {
	for ctx.Err() == nil {
		req, ok := cfg.Next(int(next.Add(1) - 1))
		if !ok {
			return
		}
		t := time.Now()
		err := do(ctx, cfg.Client, req, cfg.Want)
		switch {
		case err == nil:
			c.lat = append(c.lat, time.Since(t))
		case ctx.Err() != nil:
			return // the run ended while the request was in flight
		default:
			c.errs++
			if c.err == nil {
				c.err = err
			}
		}
	}
}

func do(ctx context.Context, hc *http.Client, r Request, want int) error {
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d: %.200s", resp.StatusCode, want, body)
	}
	return nil
}

func summarize(workers []client, elapsed time.Duration) Result {
	var all []time.Duration
	r := Result{Elapsed: elapsed}
	for _, w := range workers {
		all = append(all, w.lat...)
		r.Errors += w.errs
		if r.FirstErr == nil {
			r.FirstErr = w.err
		}
	}
	r.Requests = len(all)
	if len(all) > 0 {
		slices.Sort(all)
		r.P50 = all[len(all)/2].Round(time.Microsecond)
		r.P99 = all[len(all)*99/100].Round(time.Microsecond)
	}
	return r
}
