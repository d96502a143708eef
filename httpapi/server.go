package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/retention"
)

// DefaultMaxBody caps request bodies when Config.MaxBodyBytes is zero.
const DefaultMaxBody = 1 << 20

// Config configures a Server. Log and Tokens are required.
type Config struct {
	Log    *ledger.Log
	Tokens *Tokens      // bearer tokens, usually OpenTokens(dataDir/TokenFile)
	Logger *slog.Logger // slog.Default when nil
	// MaxBodyBytes caps every request body (DefaultMaxBody when zero); a
	// route may set its own cap with MaxBody.
	MaxBodyBytes int64
	// MetricsPublic serves /metrics without a token, for a scraper on a
	// trusted network; otherwise /metrics needs scope metrics:read.
	MetricsPublic bool
	// Registry receives the server's metrics; a new registry with the Go
	// and process collectors when nil.
	Registry *prometheus.Registry
	// Streams bounds the live event streams (GET /v1/events/stream);
	// the zero value takes the defaults.
	Streams StreamConfig
	// Sequencer, when set, holds the ledger sequencer's metrics: the same
	// value the Log was opened with as ledger.Config.Observer. The server
	// registers it; the queue depth gauge is registered either way.
	Sequencer *SequencerMetrics
	// Witnesses, when set, has GET /checkpoint and /v1/log/checkpoint
	// serve the latest checkpoint its quorum of witnesses cosigned.
	Witnesses WitnessSource
}

// Server is the HTTP API. It is an http.Handler, safe for concurrent use.
// Register further routes with Handle or HandleHTTP before serving.
type Server struct {
	cfg     Config
	log     *slog.Logger
	router  *mux.Router
	metrics *metrics
	errs    []ledger.ErrorSpec // of the log's modules, for problemFor
	scopes  map[string]string  // scope by method + " " + path template, for Routes
	// deletions withholds the bytes of deleted packages; nil until
	// HandleDeletion.
	deletions *retention.Service
	// promotions answers object status and the golden listing's
	// verification; nil until HandlePromotions.
	promotions *promotion.Service
	// streams bounds the live event streams; streamsStop ends them.
	streams     StreamConfig
	streamsStop chan struct{}
	streamsOnce sync.Once
	// intakeScrub is POST /v1/intake/scrub's work (SetIntakeScrub).
	intakeScrub atomic.Pointer[IntakeScrub]
	// intakeNotify is POST /v1/intake/notify/{secret}'s work.
	intakeNotify atomic.Pointer[intakeNotifier]
	// publisher is POST /v1/packages/{id}/publish's work (SetPublisher).
	publisher atomic.Pointer[Publisher]
}

// HandlerFunc is the inner function of a route: it returns the value to
// answer with (see Response; anything else is encoded as JSON with status
// 200) or an error, which WriteError turns into a problem.
type HandlerFunc func(*http.Request) (any, error)

// Response is a handler result that sets the status, headers or a body
// other than JSON.
type Response struct {
	Status      int         // http.StatusOK when zero
	Header      http.Header // added to the response headers
	ContentType string      // of Body; application/octet-stream when empty
	Body        []byte      // written as is when not nil
	Value       any         // encoded as JSON when Body is nil
}

// RouteOption adjusts one route registered with Handle or HandleHTTP.
type RouteOption func(*routeOptions)

type routeOptions struct{ maxBody int64 }

// MaxBody caps the route's request body at n bytes instead of
// Config.MaxBodyBytes.
func MaxBody(n int64) RouteOption { return func(o *routeOptions) { o.maxBody = n } }

// New returns a server with the health, metrics and log routes registered.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil || cfg.Tokens == nil {
		return nil, errors.New("httpapi: Config.Log and Config.Tokens are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBody
	}
	m, reg, err := newMetrics(cfg.Registry, cfg.Log, cfg.Sequencer)
	if err != nil {
		return nil, err
	}
	// SkipClean: a path with ".." or "//" reaches the handlers (which refuse
	// it with a problem) instead of being redirected to a cleaned path.
	s := &Server{cfg: cfg, log: slog.New(requestIDHandler{cfg.Logger.Handler()}), router: mux.NewRouter().SkipClean(true), metrics: m,
		errs: cfg.Log.Errors(), scopes: map[string]string{}, streams: cfg.Streams.withDefaults(), streamsStop: make(chan struct{})}
	s.router.NotFoundHandler = s.wrap("unmatched", PublicScope, cfg.MaxBodyBytes, s.adapt(func(r *http.Request) (any, error) {
		return nil, NewProblem(http.StatusNotFound, wire.TypeNotFound, "no route for %s", r.URL.Path)
	}))
	s.router.MethodNotAllowedHandler = s.wrap("unmatched", PublicScope, cfg.MaxBodyBytes, s.adapt(func(r *http.Request) (any, error) {
		return nil, NewProblem(http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed, "method %s not allowed on %s", r.Method, r.URL.Path)
	}))
	s.Handle(http.MethodGet, "/health", PublicScope, s.health)
	metricsScope := ScopeMetricsRead
	if cfg.MetricsPublic {
		metricsScope = PublicScope
	}
	s.HandleHTTP(http.MethodGet, "/metrics", metricsScope, metricsHandler(reg))
	s.registerLogRoutes()
	s.registerTileRoutes()
	s.registerSearchRoutes()
	s.registerHistoryRoutes()
	s.registerStreamRoutes()
	s.registerWhoAmI()
	s.registerOpenAPI()
	s.registerConsole()
	s.registerWitnessRoutes()
	s.registerIntakeRoutes()
	s.registerPublishRoute()
	if err := s.registerPolicyAudit(reg); err != nil {
		return nil, err
	}
	return s, nil
}

// ServeHTTP routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// Handle registers h for method and path (a gorilla/mux template such as
// "/v1/log/entries/{index}"). Callers need a token holding scope, unless
// scope is PublicScope (no token) or AuthenticatedScope (any valid token).
// An empty scope is a programming error and panics, as http.ServeMux does
// for a bad pattern. A new route needs a line in openapi.json (see
// openapiSource) and a row in the isolation test.
func (s *Server) Handle(method, path, scope string, h HandlerFunc, opts ...RouteOption) {
	s.HandleHTTP(method, path, scope, s.adapt(h), opts...)
}

// HandleHTTP is Handle for a plain http.Handler, for routes that stream
// their response; such a handler reports errors with WriteError.
func (s *Server) HandleHTTP(method, path, scope string, h http.Handler, opts ...RouteOption) {
	if scope == "" {
		panic(fmt.Sprintf("httpapi: route %s %s declares no scope", method, path))
	}
	o := routeOptions{maxBody: s.cfg.MaxBodyBytes}
	for _, opt := range opts {
		opt(&o)
	}
	s.router.Path(path).Methods(method).Handler(s.wrap(path, scope, o.maxBody, h)) // path first: a later route of the method must not clear a 405 (gorilla/mux)
	s.scopes[method+" "+path] = scope
}

// Route is one registered route: its method, its path template and the
// scope a token needs for it.
type Route struct {
	Method, Path, Scope string
}

// Routes lists every route the router holds, in registration order, so
// that tests and documentation can cover each one.
func (s *Server) Routes() []Route {
	var out []Route
	_ = s.router.Walk(func(r *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := r.GetPathTemplate()
		if err != nil {
			return nil // a route without a path (none is registered)
		}
		methods, _ := r.GetMethods()
		for _, m := range methods {
			out = append(out, Route{Method: m, Path: path, Scope: s.scopes[m+" "+path]})
		}
		return nil
	})
	return out
}

// adapt turns a HandlerFunc into an http.Handler that writes its result.
func (s *Server) adapt(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := h(r)
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		s.write(w, r, v)
	})
}

// write answers with a handler's value.
func (s *Server) write(w http.ResponseWriter, r *http.Request, v any) {
	resp, ok := v.(*Response)
	if !ok {
		resp = &Response{Value: v}
	}
	body, ctype := resp.Body, resp.ContentType
	if a, ok := resp.Value.(jsonAppender); ok && body == nil {
		// 4 KiB holds a receipt (entry, checkpoint, proof) without regrowing.
		body, ctype = a.appendJSON(make([]byte, 0, 4<<10)), "application/json"
	}
	if body == nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // entry bytes must stay byte-identical
		if err := enc.Encode(resp.Value); err != nil {
			s.WriteError(w, r, fmt.Errorf("encode response: %w", err))
			return
		}
		body, ctype = buf.Bytes(), "application/json"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = append(h[k], vs...)
	}
	h.Set("Content-Type", ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status != http.StatusNoContent && status != http.StatusNotModified {
		// Without it, net/http sends any body over its 2 KiB buffer
		// (a receipt with its proof) chunked.
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client went away
}

// jsonAppender is a response value on a hot path that writes its own
// JSON, byte for byte what write's encoder would (a test per type holds it
// to that), without the encoder's reflection.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// requestInfo collects what inner layers learn about a request for the
// request log: its id (see requestID) and the caller's token name.
type requestInfo struct{ id, caller string }

type requestInfoKey struct{}

// wrap puts the layers every route shares around h: the request id (echoed
// in X-Request-Id, logged, and put in every problem), body cap, metrics and
// the request log outside, then authentication unless the route is public.
func (s *Server) wrap(route, scope string, maxBody int64, h http.Handler) http.Handler {
	if scope != PublicScope {
		h = s.authorize(scope, h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r)}
		w.Header().Set(wire.RequestIDHeader, info.id)
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		elapsed := time.Since(start)
		s.metrics.observe(route, r.Method, sw.code(), elapsed)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "http request", // with request_id: requestIDHandler
			slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
			slog.Int("status", sw.code()), slog.Duration("duration", elapsed),
			slog.String("caller", info.caller), slog.String("remote", r.RemoteAddr))
	})
}
