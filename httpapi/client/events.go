package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// maxEventLine bounds one line of an event stream (an entry's JSON).
const maxEventLine = 8 << 20

// Follow reads GET /v1/events/stream with the filters of q, starting
// after index after (from the server's head when nil), and calls fn with
// each entry in ledger order. When the connection drops or the server
// ends the stream (a cutoff or shutdown event), it reconnects after retry
// with Last-Event-ID set to the last entry it passed to fn, so fn sees
// every entry once. It returns when ctx ends, when fn returns an error,
// when a follow=false stream completes, or with the server's problem when
// a request is refused (a bad filter is not retried).
func (c *Client) Follow(ctx context.Context, q url.Values, after *uint64, retry time.Duration, fn func(wire.HistoryEntry) error) error {
	last := after
	for {
		done, err := c.followOnce(ctx, q, &last, fn)
		if _, refused := errors.AsType[*wire.Problem](err); refused || done || ctx.Err() != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
	}
}

// followOnce reads one connection of the stream. done says the stream
// ended by itself (follow=false) or fn stopped it.
func (c *Client) followOnce(ctx context.Context, q url.Values, last **uint64, fn func(wire.HistoryEntry) error) (done bool, err error) {
	hdr := http.Header{"Accept": {"text/event-stream"}}
	if *last != nil {
		hdr.Set("Last-Event-ID", strconv.FormatUint(**last, 10))
	}
	resp, err := c.do(ctx, http.MethodGet, "/v1/events/stream", q, hdr, nil)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return false, fmt.Errorf("GET /v1/events/stream: %w", problemOf(resp, out))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), maxEventLine)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			data = line[len("data: "):]
		case line == "" && data != "":
			if event == wire.StreamEventCutoff {
				return false, nil // reconnect from the last entry passed on
			}
			var e wire.HistoryEntry
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				return false, fmt.Errorf("event stream: %w", err)
			}
			if err := fn(e); err != nil {
				return true, err
			}
			i := e.Index
			*last = &i
			event, data = "", ""
		}
	}
	if err := sc.Err(); err != nil {
		return false, err
	}
	return q.Get("follow") == "false", nil
}
