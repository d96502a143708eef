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
	"github.com/assay-ledger/assay/ledger/runlog"
)

// AppendRunLog sends lines to the caller's log of run runID; it returns
// the run once the chunk's entry is durable.
func (c *Client) AppendRunLog(ctx context.Context, runID string, lines []wire.RunLogLine) (runlog.Run, error) {
	var r runlog.Run
	err := c.sendJSON(ctx, http.MethodPost, wire.RunLogPath(url.PathEscape(runID)), wire.RunLogAppend{Lines: lines}, http.StatusOK, &r)
	return r, err
}

// CloseRunLog seals the caller's log of run runID with the run's final
// status; it returns the sealed run (its digest and raw key).
func (c *Client) CloseRunLog(ctx context.Context, runID, status string) (runlog.Run, error) {
	var r runlog.Run
	err := c.sendJSON(ctx, http.MethodPost, wire.RunLogPath(url.PathEscape(runID))+"/close", wire.RunLogClose{Status: status}, http.StatusOK, &r)
	return r, err
}

// FollowRunLog calls fn with each line of the caller's log of run runID
// after line after, in order, each once, following new lines until the
// log is sealed; it returns the run_complete event's data then. When the
// connection drops or the server ends the stream early (a shutdown), it
// reconnects after retry with Last-Event-ID set to the last line passed
// to fn. With follow false it returns (nil, nil) at the lines the log
// holds, unless the log is sealed. A refused request (an unknown run, a
// bad line number) is returned as the server's problem, not retried.
func (c *Client) FollowRunLog(ctx context.Context, runID string, after uint64, follow bool, retry time.Duration, fn func(runlog.Line) error) (*wire.RunComplete, error) {
	last := after
	for {
		done, complete, err := c.followRunLogOnce(ctx, runID, &last, follow, fn)
		if _, refused := errors.AsType[*wire.Problem](err); refused || done || ctx.Err() != nil {
			if ctx.Err() != nil && err == nil {
				err = ctx.Err()
			}
			return complete, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(retry):
		}
	}
}

func (c *Client) followRunLogOnce(ctx context.Context, runID string, last *uint64, follow bool, fn func(runlog.Line) error) (bool, *wire.RunComplete, error) {
	hdr := http.Header{"Accept": {"text/event-stream"}, "Last-Event-ID": {strconv.FormatUint(*last, 10)}}
	q := url.Values{}
	if !follow {
		q.Set("follow", "false")
	}
	path := wire.RunLogPath(url.PathEscape(runID)) + "/stream"
	resp, err := c.do(ctx, http.MethodGet, path, q, hdr, nil)
	if err != nil {
		return false, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return false, nil, fmt.Errorf("GET %s: %w", path, problemOf(resp, out))
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
			switch event {
			case wire.StreamEventCutoff:
				return false, nil, nil // reconnect after the last line passed on
			case wire.StreamEventRunComplete:
				var rc wire.RunComplete
				if err := json.Unmarshal([]byte(data), &rc); err != nil {
					return false, nil, fmt.Errorf("run log stream: %w", err)
				}
				return true, &rc, nil
			}
			var l runlog.Line
			if err := json.Unmarshal([]byte(data), &l); err != nil {
				return false, nil, fmt.Errorf("run log stream: %w", err)
			}
			if l.Seq != *last+1 {
				return true, nil, fmt.Errorf("run log stream: line %d after line %d", l.Seq, *last)
			}
			if err := fn(l); err != nil {
				return true, nil, err
			}
			*last = l.Seq
			event, data = "", ""
		}
	}
	if err := sc.Err(); err != nil {
		return false, nil, err
	}
	return !follow, nil, nil
}
