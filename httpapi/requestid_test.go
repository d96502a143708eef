package httpapi_test

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
)

// recordingHandler is a slog.Handler that keeps every record's attributes,
// for tests that check what the server logs.
type recordingHandler struct {
	mu   *sync.Mutex
	recs *[]map[string]string
}

func newRecordingHandler() recordingHandler {
	return recordingHandler{mu: &sync.Mutex{}, recs: &[]map[string]string{}}
}

func (h recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h recordingHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h recordingHandler) WithGroup(string) slog.Handler            { return h }

func (h recordingHandler) Handle(_ context.Context, r slog.Record) error {
	m := map[string]string{"msg": r.Message}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	*h.recs = append(*h.recs, m)
	h.mu.Unlock()
	return nil
}

// requestLines returns the "http request" lines logged for path.
func (h recordingHandler) requestLines(path string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, m := range *h.recs {
		if m["msg"] == "http request" && m["path"] == path {
			out = append(out, m)
		}
	}
	return out
}

// TestRequestID: every answer carries an X-Request-Id, the client's when it
// is well formed, and a bad request's problem body and its request log
// line carry that same id.
func TestRequestID(t *testing.T) {
	logs := newRecordingHandler()
	f := newFixture(t, 3, func(c *httpapi.Config) { c.Logger = slog.New(logs) })
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, tc := range []struct {
		name    string
		sent    []string // X-Request-Id values sent
		want    string   // echoed id; "" for a generated one
		route   string
		status  int
		token   string
		problem bool
	}{
		{name: "client id kept", sent: []string{"req-42.a_b:c"}, want: "req-42.a_b:c", route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "uuid kept", sent: []string{"3f2c1a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f"}, want: "3f2c1a9e-8d7b-4c6a-9e5f-0a1b2c3d4e5f", route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "none sent", route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "too long replaced", sent: []string{strings.Repeat("a", 129)}, route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "longest kept", sent: []string{strings.Repeat("b", 128)}, want: strings.Repeat("b", 128), route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "bad characters replaced", sent: []string{"id with spaces"}, route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "log injection replaced", sent: []string{"a\"b"}, route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "two values replaced", sent: []string{"one", "two"}, route: "/v1/log/entries/x", status: http.StatusBadRequest, token: f.reader, problem: true},
		{name: "unauthenticated", sent: []string{"anon-1"}, want: "anon-1", route: "/v1/log/entries/0", status: http.StatusUnauthorized, problem: true},
		{name: "unknown route", sent: []string{"nf-1"}, want: "nf-1", route: "/v1/nowhere", status: http.StatusNotFound, token: f.reader, problem: true},
		{name: "success", sent: []string{"ok-1"}, want: "ok-1", route: "/v1/log/entries/1", status: http.StatusOK, token: f.reader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.route
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.sent {
				req.Header.Add(wire.RequestIDHeader, v)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			before := len(logs.requestLines(path))
			r := roundTrip(t, f.srv, req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			id := r.header.Get(wire.RequestIDHeader)
			switch {
			case tc.want != "" && id != tc.want:
				t.Fatalf("X-Request-Id %q, want %q", id, tc.want)
			case tc.want == "" && !generated.MatchString(id):
				t.Fatalf("X-Request-Id %q is not a generated id", id)
			}
			if tc.problem {
				if p := r.problem(t); p.RequestID != id {
					t.Fatalf("problem request_id %q, header %q", p.RequestID, id)
				}
			}
			lines := logs.requestLines(path)
			if len(lines) != before+1 {
				t.Fatalf("%d request log lines for %s, want %d", len(lines), path, before+1)
			}
			if got := lines[len(lines)-1]["request_id"]; got != id {
				t.Fatalf("logged request_id %q, header %q", got, id)
			}
		})
	}
}

// TestRequestIDOnFailureLog: the line logging a server error's cause
// carries the same request_id as the answer.
func TestRequestIDOnFailureLog(t *testing.T) {
	logs := newRecordingHandler()
	f := newFixture(t, 2, func(c *httpapi.Config) { c.Logger = slog.New(logs) })
	if err := f.log.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+"/v1/log/entries/0", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.reader)
	req.Header.Set(wire.RequestIDHeader, "fail-7")
	r := roundTrip(t, f.srv, req)
	if r.status < 500 || r.problem(t).RequestID != "fail-7" {
		t.Fatalf("read of a closed log: %d %s, want a 5xx problem with request_id fail-7", r.status, r.body)
	}
	logs.mu.Lock()
	defer logs.mu.Unlock()
	for _, m := range *logs.recs {
		if m["msg"] == "request failed" {
			if m["request_id"] != "fail-7" {
				t.Fatalf("failure logged with request_id %q: %v", m["request_id"], m)
			}
			return
		}
	}
	t.Fatalf("no \"request failed\" line: %v", *logs.recs)
}
