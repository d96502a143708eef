package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/runlog"
)

// Scopes of the run log routes.
const (
	ScopeRunsWrite = "runs:write" // send a run's log lines and close it
	ScopeRunsRead  = "runs:read"  // follow a run's log
)

// maxRunLogBody bounds one append: MaxLinesPerAppend lines of up to
// MaxMessage bytes with their members (a body over it is 413).
const maxRunLogBody = runlog.MaxLinesPerAppend*(runlog.MaxMessage+512) + 4096

// HandleRunLogs registers the run log routes backed by svc:
//
//	POST /v1/runs/{run_id}/logs          runs:write  {"lines":[...]}: 200, the run after the append
//	POST /v1/runs/{run_id}/logs/close    runs:write  {"status":"succeeded"}: 200, the sealed run
//	GET  /v1/runs/{run_id}/logs/stream   runs:read   Server-Sent Events: the lines, then run_complete
//
// Every route serves the caller's tenant's run only.
func (s *Server) HandleRunLogs(svc *runlog.Service) {
	h := runLogRoutes{s: s, svc: svc}
	s.Handle(http.MethodPost, wire.RunsPath+"/{run_id}/logs", ScopeRunsWrite, h.append, MaxBody(maxRunLogBody))
	s.Handle(http.MethodPost, wire.RunsPath+"/{run_id}/logs/close", ScopeRunsWrite, h.close, MaxBody(4<<10))
	s.HandleHTTP(http.MethodGet, wire.RunsPath+"/{run_id}/logs/stream", ScopeRunsRead, http.HandlerFunc(h.stream))
}

type runLogRoutes struct {
	s   *Server
	svc *runlog.Service
}

func decodeRunLogBody(r *http.Request, v any) error {
	err := readObject(r, v)
	if errors.Is(err, errNotObject) {
		return fmt.Errorf("%w: want one JSON object of the documented members: %w", runlog.ErrInvalidLine, err)
	}
	return err
}

func (h runLogRoutes) append(r *http.Request) (any, error) {
	runID := mux.Vars(r)["run_id"]
	if err := runlog.CheckRunID(runID); err != nil {
		return nil, err
	}
	var req wire.RunLogAppend
	if err := decodeRunLogBody(r, &req); err != nil {
		return nil, err
	}
	lines := make([]runlog.LineInput, len(req.Lines))
	for i, l := range req.Lines {
		lines[i] = runlog.LineInput{Phase: l.Phase, Level: l.Level, Message: l.Message}
		if l.Time != nil {
			lines[i].Time = *l.Time
		}
	}
	id := caller(r)
	return h.svc.Append(r.Context(), id.Name, id.Tenant, runID, lines)
}

func (h runLogRoutes) close(r *http.Request) (any, error) {
	runID := mux.Vars(r)["run_id"]
	if err := runlog.CheckRunID(runID); err != nil {
		return nil, err
	}
	var req wire.RunLogClose
	if err := decodeRunLogBody(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	return h.svc.Close(r.Context(), id.Name, id.Tenant, runID, req.Status)
}

// stream answers GET /v1/runs/{run_id}/logs/stream as Server-Sent Events:
// the run's lines after Last-Event-ID (or after=, or from the first), each
// once, in order, each an event "line" whose id is its line number; then
// each new line as the producer sends it; and, once the log is sealed, a
// last event run_complete with the final status and the sealed log's
// digest. follow=false ends the stream at the lines the log holds when it
// connects (with run_complete if it is sealed).
func (h runLogRoutes) stream(w http.ResponseWriter, r *http.Request) {
	s := h.s
	runID := mux.Vars(r)["run_id"]
	tenant := caller(r).Tenant
	run, err := h.svc.Run(tenant, runID)
	var after uint64
	if err == nil {
		after, err = runLogStart(r, run)
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
	if !write([]byte(": assay run log " + runID + "\n\n")) {
		ended("write")
		return
	}
	heartbeat := time.NewTicker(cfg.Heartbeat)
	defer heartbeat.Stop()
	for {
		size, _ := s.cfg.Log.Head()
		grown := s.cfg.Log.Grown(size)
		// The run as of size: a line appended after it grows the log.
		if run, err = h.svc.Run(tenant, runID); err != nil {
			s.log.WarnContext(r.Context(), "run log stream read failed", "err", err)
			ended("client")
			return
		}
		var buf []byte
		err := h.svc.Lines(r.Context(), tenant, runID, after, func(l runlog.Line, raw []byte) error {
			if l.Seq > run.Lines {
				return errStopLines // a chunk appended after run was read
			}
			buf = fmt.Appendf(buf, "id: %d\nevent: %s\ndata: ", l.Seq, wire.StreamEventRunLine)
			buf = append(buf, bytes.TrimSpace(raw)...)
			buf = append(buf, "\n\n"...)
			after = l.Seq
			if len(buf) >= 64<<10 {
				if !write(buf) {
					return errStreamWrite
				}
				buf = buf[:0]
			}
			return nil
		})
		if err == nil || errors.Is(err, errStopLines) {
			if len(buf) > 0 && !write(buf) {
				err = errStreamWrite
			}
		}
		switch {
		case errors.Is(err, errStreamWrite):
			ended("write")
			return
		case err != nil && !errors.Is(err, errStopLines):
			if !errors.Is(err, r.Context().Err()) {
				s.log.WarnContext(r.Context(), "run log stream read failed", "err", err)
			}
			ended("client")
			return
		}
		if run.Status == runlog.StatusSealed && after >= run.Lines {
			b, _ := json.Marshal(wire.RunComplete{RunID: runID, Status: run.FinalStatus, Digest: run.Digest, Size: run.Size, Lines: run.Lines,
				SealedIndex: run.SealedIndex, Key: run.Key, URI: "cas://" + catalog.RunLogKey(runID)})
			write(fmt.Appendf(nil, "event: %s\ndata: %s\n\n", wire.StreamEventRunComplete, b))
			ended("complete")
			return
		}
		if !follow {
			ended("complete")
			return
		}
		select {
		case <-grown:
		case <-heartbeat.C:
			if !write([]byte(": heartbeat\n\n")) {
				ended("write")
				return
			}
		case <-s.streamsStop:
			b, _ := json.Marshal(wire.StreamCutoff{Reason: "shutdown", ResumeAfter: &after})
			write(fmt.Appendf(nil, "event: %s\ndata: %s\n\n", wire.StreamEventCutoff, b))
			ended("shutdown")
			return
		case <-r.Context().Done():
			ended("client")
			return
		}
	}
}

var (
	errStopLines   = errors.New("lines past the run read")
	errStreamWrite = errors.New("stream write failed")
)

// runLogStart is the line a run log stream starts after: Last-Event-ID,
// else after=, else 0 (from the first line). A line beyond the run's is
// refused, as is a parameter other than after and follow.
func runLogStart(r *http.Request, run *runlog.Run) (uint64, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return 0, err
	}
	for n := range q {
		if n != "after" && n != "follow" {
			return 0, invalidParam("unknown parameter %q; expected after or follow", echo(n))
		}
	}
	name, v := "Last-Event-ID", r.Header.Get("Last-Event-ID")
	if v == "" {
		var ok bool
		if v, ok, err = q.str("after"); err != nil || !ok {
			return 0, err
		}
		name = "after"
	}
	i, err := strconv.ParseUint(v, 10, 64)
	if err != nil || strconv.FormatUint(i, 10) != v {
		return 0, invalidParam("%s %q: expected a line number", name, echo(v))
	}
	if i > run.Lines {
		return 0, invalidParam("%s %d beyond the run's %d lines", name, i, run.Lines)
	}
	return i, nil
}
