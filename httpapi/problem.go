package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
)

// titles are the short, fixed summaries of the known problem types.
var titles = map[string]string{
	wire.TypeInvalidParameter: "Invalid parameter",
	wire.TypeInvalidRange:     "Invalid range",
	wire.TypeBeyondTree:       "Beyond the current tree",
	wire.TypePageTooLarge:     "Page too large",
	wire.TypeNotFound:         "Not found",
	wire.TypeUnauthorized:     "Unauthorized",
	wire.TypeTokenExpired:     "Token expired",
	wire.TypeTokenRevoked:     "Token revoked",
	wire.TypeForbidden:        "Forbidden",
	wire.TypeMethodNotAllowed: "Method not allowed",
	wire.TypePayloadTooLarge:  "Payload too large",
	wire.TypeInvalidEntry:     "Invalid entry",
	wire.TypeUnavailable:      "Service unavailable",
	wire.TypeInternal:         "Internal error",
	wire.TypeReadOnlyMirror:   "Read-only mirror",
	wire.TypeNotWitnessed:     "Not witnessed yet",
	wire.TypeInvalidBody:      "Invalid body",
	wire.TypeOCINotConfigured: "Publishing not configured",
	wire.TypePackageNotGolden: "Package not golden",
	wire.TypeRegistryFailed:   "Registry failed",
}

// NewProblem returns a problem of the given status and type whose detail is
// formatted from format and args; a %w verb makes the wrapped error its
// cause. The title is the type's fixed title, or the status text for a type
// this package does not define.
func NewProblem(status int, typ, format string, args ...any) *wire.Problem {
	err := fmt.Errorf(format, args...)
	title, ok := titles[typ]
	if !ok {
		title = http.StatusText(status)
	}
	return &wire.Problem{Type: typ, Title: title, Status: status, Detail: err.Error(), Err: errors.Unwrap(err)}
}

func invalidParam(format string, args ...any) *wire.Problem {
	return NewProblem(http.StatusBadRequest, wire.TypeInvalidParameter, format, args...)
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
	ledger.KindGone:                http.StatusGone,
}

// problemFor turns any handler error into the problem to send: a *Problem
// as it is, a body over its cap as payload-too-large, an error of a domain
// module (or of the log itself) as its spec says, anything else as a 500
// whose cause goes only to the server log.
func (s *Server) problemFor(err error) *wire.Problem {
	if p, ok := errors.AsType[*wire.Problem](err); ok {
		return p
	}
	if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return NewProblem(http.StatusRequestEntityTooLarge, wire.TypePayloadTooLarge,
			"request body over the limit of %d bytes: %w", mbe.Limit, err)
	}
	if spec, ok := ledger.Lookup(s.errs, err); ok {
		return specProblem(spec, err)
	}
	return &wire.Problem{Type: wire.TypeInternal, Title: titles[wire.TypeInternal], Status: http.StatusInternalServerError,
		Detail: "internal error; the server log has the cause", Err: err}
}

// specProblem is the problem of err, which matches spec. The message of an
// internal or unavailable error names server internals (paths, endpoints),
// so the client gets the title and the server log gets the cause.
func specProblem(spec ledger.ErrorSpec, err error) *wire.Problem {
	status := kindStatus[spec.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	typ := wire.ProblemBase + spec.Slug
	title := spec.Title
	if title == "" {
		title = titles[typ]
	}
	if title == "" {
		title = http.StatusText(status)
	}
	p := &wire.Problem{Type: typ, Title: title, Status: status, Detail: err.Error(), Err: err}
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
	p := *s.problemFor(err) // a copy: a handler may return a shared *Problem
	p.RequestID = RequestIDFrom(r.Context())
	if p.Status >= 500 {
		s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&p); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "encode problem", slog.Any("err", err))
	}
	h := w.Header()
	h.Set("Content-Type", wire.ProblemContentType)
	h.Set("X-Content-Type-Options", "nosniff")
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="assay"`)
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(body.Bytes()) // a failed write means the client went away
}
