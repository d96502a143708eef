package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/assay-ledger/assay/ledger"
)

// ProblemBase prefixes the type URI of every problem Assay writes.
const ProblemBase = "https://assay.dev/problems/"

// Problem type URIs. They are stable: clients may switch on them.
const (
	TypeInvalidParameter = ProblemBase + "invalid-parameter"
	TypeInvalidRange     = ProblemBase + "invalid-range"
	TypeBeyondTree       = ProblemBase + "beyond-tree"
	TypePageTooLarge     = ProblemBase + "page-too-large"
	TypeNotFound         = ProblemBase + "not-found"
	TypeUnauthorized     = ProblemBase + "unauthorized"
	TypeForbidden        = ProblemBase + "forbidden"
	TypeMethodNotAllowed = ProblemBase + "method-not-allowed"
	TypePayloadTooLarge  = ProblemBase + "payload-too-large"
	TypeInvalidEntry     = ProblemBase + "invalid-entry"
	TypeUnavailable      = ProblemBase + "unavailable"
	TypeInternal         = ProblemBase + "internal"
	TypeReadOnlyMirror   = ProblemBase + "read-only-mirror"
)

// titles are the short, fixed summaries of the known problem types.
var titles = map[string]string{
	TypeInvalidParameter: "Invalid parameter",
	TypeInvalidRange:     "Invalid range",
	TypeBeyondTree:       "Beyond the current tree",
	TypePageTooLarge:     "Page too large",
	TypeNotFound:         "Not found",
	TypeUnauthorized:     "Unauthorized",
	TypeForbidden:        "Forbidden",
	TypeMethodNotAllowed: "Method not allowed",
	TypePayloadTooLarge:  "Payload too large",
	TypeInvalidEntry:     "Invalid entry",
	TypeUnavailable:      "Service unavailable",
	TypeInternal:         "Internal error",
	TypeReadOnlyMirror:   "Read-only mirror",
}

// ProblemContentType is the media type of problem responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail. Handlers return one (directly or
// wrapped) to answer with that type, status and detail; it is also what the
// client package returns for an error response.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Err    error  `json:"-"` // the cause, for errors.Is and logs; never sent
	// Extensions are extra members (RFC 9457 §3.2) written beside the
	// standard ones, such as a pointer to the entry a conflict is with.
	Extensions map[string]any `json:"-"`
}

// NewProblem returns a problem of the given status and type whose detail is
// formatted from format and args; a %w verb makes the wrapped error its
// cause. The title is the type's fixed title, or the status text for a type
// this package does not define.
func NewProblem(status int, typ, format string, args ...any) *Problem {
	err := fmt.Errorf(format, args...)
	title, ok := titles[typ]
	if !ok {
		title = http.StatusText(status)
	}
	return &Problem{Type: typ, Title: title, Status: status, Detail: err.Error(), Err: errors.Unwrap(err)}
}

// Error returns the detail, or the title and status when there is none.
func (p *Problem) Error() string {
	if p.Detail == "" {
		return fmt.Sprintf("%s (%d)", p.Title, p.Status)
	}
	return p.Detail
}

// Unwrap returns the cause, so errors.Is sees through a problem.
func (p *Problem) Unwrap() error { return p.Err }

func invalidParam(format string, args ...any) *Problem {
	return NewProblem(http.StatusBadRequest, TypeInvalidParameter, format, args...)
}

// sentinels map the ledger's errors to problems; the error's message is the
// detail, as the ledger words it for callers.
var sentinels = []struct {
	err    error
	status int
	typ    string
}{
	{ledger.ErrNotFound, http.StatusNotFound, TypeNotFound},
	{ledger.ErrBeyondTree, http.StatusBadRequest, TypeBeyondTree},
	{ledger.ErrInvalidRange, http.StatusBadRequest, TypeInvalidRange},
	{ledger.ErrInvalidEntry, http.StatusBadRequest, TypeInvalidEntry},
	{ledger.ErrClosed, http.StatusServiceUnavailable, TypeUnavailable},
	{ledger.ErrMirror, http.StatusConflict, TypeReadOnlyMirror},
}

// problemFor turns any handler error into the problem to send.
func problemFor(err error) *Problem {
	if p, ok := errors.AsType[*Problem](err); ok {
		return p
	}
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return NewProblem(http.StatusRequestEntityTooLarge, TypePayloadTooLarge,
			"request body over the limit of %d bytes: %w", mbe.Limit, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return &Problem{Type: s.typ, Title: titles[s.typ], Status: s.status, Detail: err.Error(), Err: err}
		}
	}
	return &Problem{Type: TypeInternal, Title: titles[TypeInternal], Status: http.StatusInternalServerError,
		Detail: "internal error; the server log has the cause", Err: err}
}

// WriteError answers the request with the problem for err. Server errors are
// logged with their cause; their detail sent to the client is generic.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	if p.Status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encode problem", slog.Any("err", err))
	}
	h := w.Header()
	h.Set("Content-Type", ProblemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="assay"`)
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(body.Bytes()) // a failed write means the client went away
}
