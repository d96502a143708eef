package httpapi

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// Defaults of StreamConfig.
const (
	DefaultStreamWriteTimeout = 10 * time.Second
	DefaultStreamMaxLag       = 100_000
	DefaultStreamHeartbeat    = 15 * time.Second
)

// StreamConfig bounds the live event streams.
type StreamConfig struct {
	// WriteTimeout is how long one write to a consumer may take: a
	// consumer that takes no bytes for that long is disconnected.
	WriteTimeout time.Duration
	// MaxLag is how many entries further behind the log a consumer may
	// fall than it was when it connected: one that falls behind more is
	// sent a final cutoff event naming where to resume, and disconnected.
	MaxLag uint64
	// Heartbeat is how often an idle stream sends a comment line, so that
	// proxies keep it open.
	Heartbeat time.Duration
	// Ended, when set, is told why each stream ended ("client", "cutoff",
	// "write", "shutdown", or "complete" for follow=false), for tests.
	Ended func(reason string)
}

// streamParams are what GET /v1/events/stream accepts: the history filters
// and after= (the Last-Event-ID of a browser's first connection).
var streamParams = append(slices.Clone(historyFilters), "after", "follow")

// withDefaults fills the zero fields of cfg with the defaults.
func (cfg StreamConfig) withDefaults() StreamConfig {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultStreamWriteTimeout
	}
	if cfg.MaxLag == 0 {
		cfg.MaxLag = DefaultStreamMaxLag
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultStreamHeartbeat
	}
	return cfg
}

// CloseStreams ends every live stream (each with a final shutdown event
// naming where to resume); give it to http.Server.RegisterOnShutdown, since
// a graceful shutdown waits for handlers and a stream never ends by itself.
func (s *Server) CloseStreams() { s.streamsOnce.Do(func() { close(s.streamsStop) }) }

func (s *Server) registerStreamRoutes() {
	s.HandleHTTP(http.MethodGet, "/v1/events/stream", ScopeLogRead, http.HandlerFunc(s.eventStream))
}

// eventStream answers GET /v1/events/stream as Server-Sent Events: every
// entry the filters select that the caller may read, from after the
// Last-Event-ID header (or after=, or the log's head when neither), in
// ledger order, each once, then each new one as the log grows. Event ids
// are ledger indexes, so a reconnecting EventSource resumes with no gap and
// no duplicate. The stream reads the log (the history index), never a
// buffer the sequencer fills: a slow consumer only falls behind, and one
// that falls MaxLag further behind than it started is cut off.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) {
	p, err := parseHistoryQuery(r.URL.RawQuery, streamParams)
	if err == nil {
		err = p.scope(r)
	}
	var cursor *uint64
	if err == nil {
		cursor, err = s.streamStart(r)
	}
	follow := true
	if err == nil {
		follow, err = streamFollow(r)
	}
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	out := s.openSSE(w)
	cfg, write, ended := out.cfg, out.write, out.ended
	final := func(reason string) {
		b, _ := json.Marshal(wire.StreamCutoff{Reason: reason, ResumeAfter: cursor})
		id := "" // no id: a reconnecting EventSource keeps the one it has
		if cursor != nil {
			id = fmt.Sprintf("id: %d\n", *cursor)
		}
		write(fmt.Appendf(nil, "event: %s\n%sdata: %s\n\n", wire.StreamEventCutoff, id, b))
		ended(reason)
	}
	if !write([]byte(": assay event stream\n\n")) {
		ended("write")
		return
	}
	head, _ := s.cfg.Log.Head()
	startLag := lag(head, cursor)
	heartbeat := time.NewTicker(cfg.Heartbeat)
	defer heartbeat.Stop()
	p.q.Limit = ledger.MaxHistoryLimit
	for {
		size, _ := s.cfg.Log.Head()
		if lag(size, cursor) > startLag+cfg.MaxLag {
			final("cutoff")
			return
		}
		grown := s.cfg.Log.Grown(size)
		p.q.After = cursor
		recs, next, err := s.cfg.Log.History(r.Context(), p.q)
		if err != nil {
			if !errors.Is(err, r.Context().Err()) {
				s.log.WarnContext(r.Context(), "event stream read failed", "err", err)
			}
			ended("client")
			return
		}
		if len(recs) > 0 {
			// One write and one flush per page: the events' bytes are
			// built without re-validating the entry JSON (see appendEvent).
			buf := make([]byte, 0, len(recs)*(2*len(recs[0].Bytes)+256))
			for _, rec := range recs {
				buf = appendEvent(buf, rec)
			}
			if !write(buf) {
				ended("write")
				return
			}
			i := recs[len(recs)-1].Index
			cursor = &i
		}
		if next != nil {
			continue // more below the size the query began at
		}
		// Everything below size is read: resume above it, not at the last
		// match, so that a selective filter does not rescan.
		if size > 0 && (cursor == nil || *cursor < size-1) {
			last := size - 1
			cursor = &last
		}
		if !follow {
			ended("complete")
			return
		}
		select { // a shutdown goes first, even with new entries waiting
		case <-s.streamsStop:
			final("shutdown")
			return
		default:
		}
		select {
		case <-grown:
		case <-heartbeat.C:
			if !write([]byte(": heartbeat\n\n")) {
				ended("write")
				return
			}
		case <-s.streamsStop:
			final("shutdown")
			return
		case <-r.Context().Done():
			ended("client")
			return
		}
	}
}

// appendEvent appends the Server-Sent Event of rec: id, event type, and
// data, the wire.HistoryEntry of rec. The entry's bytes and body are
// copied as they are (the log stored them as compact JSON, checked when
// appended), so 100 subscribers cost 100 copies, not 100 encodings.
func appendEvent(b []byte, rec *ledger.Record) []byte {
	b = fmt.Appendf(b, "id: %d\nevent: %s\ndata: {\"index\":%d,\"time\":", rec.Index, rec.Type, rec.Index)
	b = append(b, '"')
	b = rec.Time.AppendFormat(b, time.RFC3339Nano) // as time.Time's MarshalJSON
	b = append(b, `","type":`...)
	b = appendJSONString(b, rec.Type)
	b = append(b, `,"actor":`...)
	b = appendJSONString(b, rec.Actor)
	b = append(b, `,"tenant":`...)
	b = appendJSONString(b, rec.Tenant)
	b = append(b, `,"body":`...)
	b = append(b, rec.Body...)
	b = append(b, `,"leaf_hash":"`...)
	b = hex.AppendEncode(b, verifier.LeafHash(rec.Bytes))
	b = append(b, `","entry":`...)
	b = append(b, rec.Bytes...)
	return append(b, "}\n\n"...)
}

// streamFollow reads follow= (true when absent): false ends the stream
// once it has sent what the log held when it connected.
func streamFollow(r *http.Request) (bool, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return false, err
	}
	v, ok, err := q.str("follow")
	if err != nil || !ok {
		return true, err
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalidParam("follow %q: expected true or false", echo(v))
	}
	return b, nil
}

// lag is how many entries of a log of size lie after cursor.
func lag(size uint64, cursor *uint64) uint64 {
	if cursor == nil {
		return size
	}
	if *cursor+1 >= size {
		return 0
	}
	return size - *cursor - 1
}

// streamStart is the index a stream starts after: Last-Event-ID, else
// after=, else the entry before the head (nil for an empty log: from 0).
func (s *Server) streamStart(r *http.Request) (*uint64, error) {
	size, _ := s.cfg.Log.Head()
	name, v := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if v == "" {
		q, err := parseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, err
		}
		var ok bool
		if v, ok, err = q.str("after"); err != nil {
			return nil, err
		} else if !ok {
			if size == 0 {
				return nil, nil
			}
			last := size - 1
			return &last, nil
		}
		name = "after"
	}
	i, err := strconv.ParseUint(v, 10, 64)
	if err != nil || strconv.FormatUint(i, 10) != v {
		return nil, invalidParam("%s %q: expected a ledger index", name, echo(v))
	}
	if i >= size {
		return nil, NewProblem(http.StatusBadRequest, wire.TypeBeyondTree, "%s %d beyond the log of %d entries", name, i, size)
	}
	return &i, nil
}

// sse is an open Server-Sent Events answer: write sends bytes with the
// stream's write timeout and flushes them; ended tells StreamConfig.Ended
// why the stream ended.
type sse struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	cfg StreamConfig
}

// openSSE answers 200 text/event-stream, not cached nor buffered by
// proxies.
func (s *Server) openSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sse{w: w, rc: http.NewResponseController(w), cfg: s.streams}
}

func (e *sse) write(b []byte) bool {
	_ = e.rc.SetWriteDeadline(time.Now().Add(e.cfg.WriteTimeout))
	if _, err := e.w.Write(b); err != nil {
		return false
	}
	return e.rc.Flush() == nil
}

func (e *sse) ended(reason string) {
	if e.cfg.Ended != nil {
		e.cfg.Ended(reason)
	}
}
