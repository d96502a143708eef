package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	id, event string
	data      []byte
}

// sseStream reads the events of one stream.
type sseStream struct {
	resp *http.Response
	sc   *bufio.Scanner
}

// openStream connects to path with token and, when lastID is not "", a
// Last-Event-ID header, and checks the answer is an event stream.
func openStream(t *testing.T, f *fixture, path, token, lastID string) *sseStream {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	return &sseStream{resp: resp, sc: sc}
}

// next returns the next event (comments skipped), or ok=false at the end.
func (s *sseStream) next() (e sseEvent, ok bool) {
	for s.sc.Scan() {
		line := s.sc.Text()
		switch {
		case line == "":
			if e.event != "" || e.id != "" || e.data != nil {
				return e, true
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			e.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			e.event = line[7:]
		case strings.HasPrefix(line, "data: "):
			e.data = []byte(line[6:])
		}
	}
	return e, false
}

func (s *sseStream) close() { s.resp.Body.Close() }

// entryEvent checks that e is the event of a log entry and returns it.
func entryEvent(t *testing.T, e sseEvent) wire.HistoryEntry {
	t.Helper()
	var h wire.HistoryEntry
	if err := json.Unmarshal(e.data, &h); err != nil {
		t.Fatalf("event %+v: %v", e, err)
	}
	if e.id != strconv.FormatUint(h.Index, 10) || e.event != h.Type {
		t.Fatalf("event id %q type %q for entry %d %s", e.id, e.event, h.Index, h.Type)
	}
	return h
}

// appendTyped appends n entries of tenant acme from 8 goroutines,
// alternating types test.a and test.b.
func appendTyped(t *testing.T, l *ledger.Log, n int) { appendPadded(t, l, n, 400) }

// appendPadded is appendTyped with bodies padded by pad bytes.
func appendPadded(t *testing.T, l *ledger.Log, n, pad int) {
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				typ := []string{"test.a", "test.b"}[i%2]
				if _, err := l.Append(context.Background(), ledger.Entry{Type: typ, Actor: "load", Tenant: "acme", Body: json.RawMessage(fmt.Sprintf(`{"i":%d,"pad":"%0*d"}`, i, pad, 0))}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestStreamUnderLoad connects consumers while entries are being appended:
// one resuming from a Last-Event-ID, one from the head that disconnects
// and resumes, and one filtered by type. Each sees every index it should
// exactly once, in order.
func TestStreamUnderLoad(t *testing.T) {
	f := newFixture(t, 0)
	const first, load = 300, 3000
	appendTyped(t, f.log, first)
	last := uint64(first + load - 1)
	done := make(chan struct{})
	go func() { defer close(done); appendTyped(t, f.log, load) }()

	// A: resumes after index 99, sees 100..last.
	a := openStream(t, f, "/v1/events/stream", f.reader, "99")
	// C: only test.b, from after 99.
	c := openStream(t, f, "/v1/events/stream?type=test.b", f.reader, "99")
	// B: from the head at connection, 500 events, then resumes.
	b := openStream(t, f, "/v1/events/stream", f.reader, "")
	var seenB []uint64
	for len(seenB) < 500 {
		e, ok := b.next()
		if !ok {
			t.Fatal("stream B ended")
		}
		seenB = append(seenB, entryEvent(t, e).Index)
	}
	b.close()
	b = openStream(t, f, "/v1/events/stream", f.reader, fmt.Sprint(seenB[len(seenB)-1]))
	for seenB[len(seenB)-1] != last {
		e, ok := b.next()
		if !ok {
			t.Fatal("stream B ended after resuming")
		}
		seenB = append(seenB, entryEvent(t, e).Index)
	}
	b.close()
	for i := 1; i < len(seenB); i++ {
		if seenB[i] != seenB[i-1]+1 {
			t.Fatalf("B saw %d after %d: a gap or a duplicate across the reconnection", seenB[i], seenB[i-1])
		}
	}
	if seenB[0] < first-1 {
		t.Fatalf("B connected after %d entries but started at %d", first, seenB[0])
	}
	for want := uint64(100); want <= last; want++ {
		e, ok := a.next()
		if !ok {
			t.Fatalf("stream A ended before %d", want)
		}
		if got := entryEvent(t, e).Index; got != want {
			t.Fatalf("A saw %d, want %d", got, want)
		}
	}
	a.close()
	<-done
	var wantC []uint64
	raw, err := f.log.Entries(100, last+1)
	if err != nil {
		t.Fatal(err)
	}
	for i, data := range raw {
		rec, err := ledger.ParseRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type == "test.b" {
			wantC = append(wantC, uint64(100+i))
		}
	}
	for _, want := range wantC {
		e, ok := c.next()
		if !ok {
			t.Fatalf("stream C ended before %d", want)
		}
		if h := entryEvent(t, e); h.Index != want || h.Type != "test.b" {
			t.Fatalf("C saw %d (%s), want %d", h.Index, h.Type, want)
		}
	}
	c.close()
}

// TestStreamSlowConsumers checks that a consumer that stops reading never
// holds the appends back, and is cut off: by the write timeout when it
// takes nothing, and, when it reads again but has fallen more than MaxLag
// behind, with a cutoff event naming where to resume, from which it gets
// the rest exactly once.
func TestStreamSlowConsumers(t *testing.T) {
	ended := make(chan string, 8)
	f := newFixture(t, 0, func(c *httpapi.Config) {
		c.Streams = httpapi.StreamConfig{WriteTimeout: 300 * time.Millisecond, MaxLag: 50, Ended: func(r string) { ended <- r }}
	})
	appendTyped(t, f.log, 10)
	stalled := openStream(t, f, "/v1/events/stream", f.reader, "0")
	defer stalled.close()
	// The consumer reads nothing while 6,000 entries of ~2 KB (about 20 MB
	// of events, far beyond the socket buffers) are appended: if the
	// stream held the sequencer back, this would not return.
	appendPadded(t, f.log, 6000, 1600)
	if r := <-ended; r != "write" {
		t.Fatalf("the stalled stream ended with %q, want write", r)
	}

	// A consumer that falls behind and then reads again.
	f2 := newFixture(t, 0, func(c *httpapi.Config) {
		c.Streams = httpapi.StreamConfig{WriteTimeout: 10 * time.Minute, MaxLag: 50, Ended: func(r string) { ended <- r }}
	})
	appendTyped(t, f2.log, 10)
	slow := openStream(t, f2, "/v1/events/stream", f2.reader, "")
	appendPadded(t, f2.log, 6000, 1600)
	size, _ := f2.log.Head()
	var seen []uint64
	var cut *wire.StreamCutoff
	for cut == nil {
		e, ok := slow.next()
		if !ok {
			t.Fatal("the slow stream ended without a cutoff event")
		}
		if e.event == wire.StreamEventCutoff {
			cut = new(wire.StreamCutoff)
			if err := json.Unmarshal(e.data, cut); err != nil {
				t.Fatal(err)
			}
			break
		}
		seen = append(seen, entryEvent(t, e).Index)
	}
	slow.close()
	if r := <-ended; r != "cutoff" || cut.Reason != "cutoff" || cut.ResumeAfter == nil || *cut.ResumeAfter != seen[len(seen)-1] {
		t.Fatalf("cutoff %+v (ended %q) after %d events ending at %d", cut, r, len(seen), seen[len(seen)-1])
	}
	if uint64(len(seen)) >= size-10 {
		t.Fatalf("the slow consumer was not cut off: it saw %d of %d", len(seen), size-10)
	}
	resumed := openStream(t, f2, "/v1/events/stream", f2.reader, fmt.Sprint(*cut.ResumeAfter))
	defer resumed.close()
	for len(seen) < int(size-10) {
		e, ok := resumed.next()
		if !ok {
			t.Fatal("the resumed stream ended")
		}
		seen = append(seen, entryEvent(t, e).Index)
	}
	for i, idx := range seen {
		if idx != uint64(10+i) {
			t.Fatalf("event %d is index %d, want %d: a gap or duplicate across the cutoff", i, idx, 10+i)
		}
	}
}

// TestStreamShutdown checks that CloseStreams ends a stream with a final
// shutdown event naming where to resume.
func TestStreamShutdown(t *testing.T) {
	f := newFixture(t, 5)
	var page wire.HistoryPage
	f.getJSON("/v1/history?cursor=1", &page)
	s := openStream(t, f, "/v1/events/stream", f.reader, "1")
	for want := uint64(2); want < 5; want++ {
		e, ok := s.next()
		if !ok {
			t.Fatalf("the stream ended before %d", want)
		}
		// An event's data is the entry as a history answer has it.
		if got := entryEvent(t, e); !reflect.DeepEqual(got, page.Entries[want-2]) {
			t.Fatalf("event %d: %+v, want %+v", want, got, page.Entries[want-2])
		}
	}
	f.api.CloseStreams()
	e, ok := s.next()
	var cut wire.StreamCutoff
	if !ok || e.event != wire.StreamEventCutoff || json.Unmarshal(e.data, &cut) != nil || cut.Reason != "shutdown" ||
		cut.ResumeAfter == nil || *cut.ResumeAfter != 4 || e.id != "4" {
		t.Fatalf("after CloseStreams: %+v %s (%v)", e, e.data, ok)
	}
	if _, ok := s.next(); ok {
		t.Fatal("the stream went on after its shutdown event")
	}
}

// TestStreamBadInput checks the stream's refusals: each a problem, with
// nothing written.
func TestStreamBadInput(t *testing.T) {
	f := newFixture(t, 5)
	other := f.createToken("other", "evil", httpapi.ScopeLogRead)
	cases := []struct {
		path, token, lastID string
		status              int
		want                string
	}{
		{"/v1/events/stream?colour=red", f.reader, "", 400, "unknown parameter"},
		{"/v1/events/stream?limit=5", f.reader, "", 400, "unknown parameter"},
		{"/v1/events/stream?since=soon", f.reader, "", 400, "since"},
		{"/v1/events/stream", f.reader, "abc", 400, "Last-Event-ID"},
		{"/v1/events/stream", f.reader, "007", 400, "Last-Event-ID"},
		{"/v1/events/stream", f.reader, "5", 400, "beyond"},
		{"/v1/events/stream?after=99", f.reader, "", 400, "beyond"},
		{"/v1/events/stream?after=x", f.reader, "", 400, "after"},
		{"/v1/events/stream?follow=sometimes", f.reader, "", 400, "follow"},
		{"/v1/events/stream?tenant=acme", other, "", 403, "log:audit"},
	}
	for _, c := range cases {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		if c.lastID != "" {
			req.Header.Set("Last-Event-ID", c.lastID)
		}
		r := roundTrip(t, f.srv, req)
		if r.status != c.status {
			t.Errorf("GET %s (Last-Event-ID %q): %d %s, want %d", c.path, c.lastID, r.status, r.body, c.status)
			continue
		}
		if p := r.problem(t); !strings.Contains(p.Detail, c.want) {
			t.Errorf("GET %s: detail %q does not say %q", c.path, p.Detail, c.want)
		}
	}
	if n, _ := f.log.Head(); n != 5 {
		t.Fatalf("bad stream requests wrote: log of %d", n)
	}
}

// TestClientFollowResumes checks the client's Follow: after the server
// ends its stream (a shutdown event) it reconnects from the last entry it
// passed on, so the caller sees every index once.
func TestClientFollowResumes(t *testing.T) {
	var shutdowns atomic.Int32
	f := newFixture(t, 10, func(c *httpapi.Config) {
		c.Streams.Ended = func(r string) {
			if r == "shutdown" {
				shutdowns.Add(1)
			}
		}
	})
	cli, err := client.New(f.srv.URL, f.reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	after := uint64(4)
	err = cli.Follow(t.Context(), nil, &after, time.Millisecond, func(e wire.HistoryEntry) error {
		got = append(got, e.Index)
		switch len(got) {
		case 5:
			f.api.CloseStreams() // every stream from now on ends after its first page
			f.append(10)
		case 15:
			return errDone
		}
		return nil
	})
	if err != errDone {
		t.Fatalf("Follow: %v", err)
	}
	for i, idx := range got {
		if idx != uint64(5+i) {
			t.Fatalf("Follow passed on %v: want 5, 6, … each once", got)
		}
	}
	// The stream open at CloseStreams had sent its page (5..9) and ended
	// by shutdown, so 10..19 came over a new connection: Follow
	// reconnected. (Whether that one also ends by shutdown or by the
	// client leaving first is a race, not part of the contract.)
	if shutdowns.Load() < 1 {
		t.Fatalf("%d streams ended by shutdown: CloseStreams ended none", shutdowns.Load())
	}
}

var errDone = fmt.Errorf("done")
