package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
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

// MarshalJSON writes the standard members and the extension members; an
// extension cannot replace a standard member.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type std Problem // without the methods, so this does not recurse
	if len(p.Extensions) == 0 {
		return json.Marshal((*std)(p))
	}
	m := make(map[string]any, len(p.Extensions)+4)
	maps.Copy(m, p.Extensions)
	m["type"], m["title"], m["status"] = p.Type, p.Title, p.Status
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	return json.Marshal(m)
}

func invalidParam(format string, args ...any) *Problem {
	return NewProblem(http.StatusBadRequest, TypeInvalidParameter, format, args...)
}

// kindStatus is the HTTP status of each kind of domain error: the one
// place kinds meet status codes.
var kindStatus = map[ledger.Kind]int{
	ledger.KindInvalid:             http.StatusBadRequest,
	ledger.KindUnprocessable:       http.StatusUnprocessableEntity,
	ledger.KindConflict:            http.StatusConflict,
	ledger.KindNotFound:            http.StatusNotFound,
	ledger.KindTooLarge:            http.StatusRequestEntityTooLarge,
	ledger.KindForbidden:           http.StatusForbidden,
	ledger.KindUnavailable:         http.StatusServiceUnavailable,
	ledger.KindRangeNotSatisfiable: http.StatusRequestedRangeNotSatisfiable,
	ledger.KindStorageFull:         http.StatusInsufficientStorage,
	ledger.KindInternal:            http.StatusInternalServerError,
}

// problemFor turns any handler error into the problem to send: a *Problem
// as it is, a body over its cap as payload-too-large, an error of a domain
// module (or of the log itself) as its spec says, anything else as a 500
// whose cause goes only to the server log.
func (s *Server) problemFor(err error) *Problem {
	if p, ok := errors.AsType[*Problem](err); ok {
		return p
	}
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return NewProblem(http.StatusRequestEntityTooLarge, TypePayloadTooLarge,
			"request body over the limit of %d bytes: %w", mbe.Limit, err)
	}
	if spec, ok := ledger.Lookup(s.errs, err); ok {
		return specProblem(spec, err)
	}
	return &Problem{Type: TypeInternal, Title: titles[TypeInternal], Status: http.StatusInternalServerError,
		Detail: "internal error; the server log has the cause", Err: err}
}

// specProblem is the problem of err, which matches spec. The message of an
// internal or unavailable error names server internals (paths, endpoints),
// so the client gets the title and the server log gets the cause.
func specProblem(spec ledger.ErrorSpec, err error) *Problem {
	status := kindStatus[spec.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	typ := ProblemBase + spec.Slug
	title := spec.Title
	if title == "" {
		title = titles[typ]
	}
	if title == "" {
		title = http.StatusText(status)
	}
	p := &Problem{Type: typ, Title: title, Status: status, Detail: err.Error(), Err: err}
	if spec.Kind == ledger.KindInternal || spec.Kind == ledger.KindUnavailable {
		p.Detail = title + "; the server log has the cause"
	}
	if spec.Details != nil {
		p.Extensions = spec.Details(err)
	}
	return p
}

// WriteError answers the request with the problem for err. Server errors are
// logged with their cause; their detail sent to the client is generic.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := s.problemFor(err)
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
