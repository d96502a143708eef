// Package loadgen drives an HTTP endpoint from many concurrent clients and
// reports throughput and latency percentiles. Each client sends one request
// at a time and waits for its answer, as a producer waiting for a durable
// receipt does, so throughput is what the server sustains at that
// concurrency, not what a fire-and-forget flood reaches.
//
// Each client owns one keep-alive HTTP/1.1 connection and speaks the
// protocol itself: it writes the request in one write and reads the answer
// with http.ReadResponse on the same goroutine. net/http's Transport costs
// about twice the CPU per request (two goroutines per connection and
// channel hand-offs between them and the caller), and on a 2-core machine
// that shares the cores with the server under test, the load generator's
// own cost is what limits a run: with the Transport, 512 clients reached
// only about 17k requests/s against a handler that does nothing.
package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request to send: method, URL, headers and body. The URL
// must be http:// (the load generator does not speak TLS).
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

// client is one worker's state: its connection and what it measured.
type client struct {
	mu   sync.Mutex // guards conn, which the end of a run closes from another goroutine
	conn net.Conn
	br   *bufio.Reader // reads conn; nil when conn must be dialed again
	buf  []byte        // the request being written
	body bytes.Buffer  // the answer being read, reused
	url  string        // the URL u was parsed from
	u    *url.URL
	lat  []time.Duration
	errs int
	err  error
}

// Run drives the endpoint as cfg says and returns the result.
func Run(ctx context.Context, cfg Config) Result {
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
	defer c.drop()
	stop := context.AfterFunc(ctx, c.interrupt) // unblocks a read in flight when the run ends
	defer stop()
	for ctx.Err() == nil {
		req, ok := cfg.Next(int(next.Add(1) - 1))
		if !ok {
			return
		}
		t := time.Now()
		err := c.do(req, cfg.Want)
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

// interrupt closes the connection from outside the worker's goroutine.
func (c *client) interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
}

// drop closes the client's connection; the next request dials a new one.
// Only the worker's goroutine calls it.
func (c *client) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.br = nil, nil
}

// do sends r on the client's connection, dialing it first if needed, and
// reads the answer, which must have status want.
func (c *client) do(r Request, want int) error {
	if r.URL != c.url || c.u == nil {
		u, err := url.Parse(r.URL)
		if err != nil {
			return err
		}
		c.url, c.u = r.URL, u
	}
	u := c.u
	if u.Scheme != "http" {
		return fmt.Errorf("loadgen speaks plain HTTP only, not %q", u.Scheme)
	}
	if c.conn == nil {
		conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.conn, c.br = conn, bufio.NewReaderSize(conn, 16<<10)
		c.mu.Unlock()
	}
	c.buf = appendRequest(c.buf[:0], r, u)
	if _, err := c.conn.Write(c.buf); err != nil {
		c.drop()
		return err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.drop()
		return err
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil || resp.Close {
		c.drop()
	}
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d: %.200s", resp.StatusCode, want, c.body.Bytes())
	}
	return nil
}

// appendRequest appends r as an HTTP/1.1 request with a Content-Length.
func appendRequest(b []byte, r Request, u *url.URL) []byte {
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, u.Host...)
	b = append(b, "\r\n"...)
	for k, vs := range r.Header {
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(r.Body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, r.Body...)
}

func summarize(workers []client, elapsed time.Duration) Result {
	var all []time.Duration
	r := Result{Elapsed: elapsed}
	for i := range workers {
		w := &workers[i]
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
