package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/retention"
)

// Scopes of the retention routes. Reading is its own scope, apart from
// packages:read, because holds name legal cases.
const (
	ScopeRetentionRead  = "retention:read"  // a package's retention view, the eligible list
	ScopeRetentionWrite = "retention:write" // extend expiries
	ScopeRetentionHold  = "retention:hold"  // apply and release legal holds
)

// maxRetentionBody caps the JSON body of a retention decision.
const maxRetentionBody = 16 << 10

// HandleRetention registers the retention routes backed by svc:
//
//	POST /v1/packages/{id}/retention/extensions               retention:write  201 + the event
//	POST /v1/packages/{id}/retention/holds                    retention:hold   201 + the hold
//	POST /v1/packages/{id}/retention/holds/{hold_id}/release  retention:hold   the released hold
//	GET  /v1/packages/{id}/retention                          retention:read   the view
//	GET  /v1/retention/eligible?cursor=&limit=                retention:read   past expiry, no active hold
//
// Every route serves the caller's tenant only.
func (s *Server) HandleRetention(svc *retention.Service) {
	h := retentionRoutes{svc: svc}
	s.Handle(http.MethodPost, "/v1/packages/{id}/retention/extensions", ScopeRetentionWrite, h.extend, MaxBody(maxRetentionBody))
	s.Handle(http.MethodPost, "/v1/packages/{id}/retention/holds", ScopeRetentionHold, h.hold, MaxBody(maxRetentionBody))
	s.Handle(http.MethodPost, "/v1/packages/{id}/retention/holds/{hold_id}/release", ScopeRetentionHold, h.release, MaxBody(maxRetentionBody))
	s.Handle(http.MethodGet, "/v1/packages/{id}/retention", ScopeRetentionRead, h.view)
	s.Handle(http.MethodGet, "/v1/retention/eligible", ScopeRetentionRead, h.eligible)
}

type retentionRoutes struct{ svc *retention.Service }

// decodeStrict reads the request body as exactly one JSON object into v,
// refusing members v does not define.
func decodeStrict(r *http.Request, v any) error {
	err := readObject(r, v)
	switch {
	case errors.Is(err, errUnknownMember):
		return fmt.Errorf("%w: %w", retention.ErrUnknownField, err)
	case errors.Is(err, errNotObject):
		return fmt.Errorf("%w: want one JSON object: %w", retention.ErrMalformedJSON, err)
	}
	return err
}

func (h retentionRoutes) extend(r *http.Request) (any, error) {
	var req wire.ExtendRetentionRequest
	if err := decodeStrict(r, &req); err != nil {
		return nil, err
	}
	er := retention.ExtendRequest{Duration: req.Duration, Reason: req.Reason}
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339, req.ExpiresAt)
		if err != nil {
			return nil, fmt.Errorf("%w: expires_at %q: want RFC 3339, such as 2027-01-31T00:00:00Z", retention.ErrInvalidRequest, echo(req.ExpiresAt))
		}
		er.ExpiresAt = &t
	}
	id := caller(r)
	ev, err := h.svc.Extend(r.Context(), id.Name, id.Tenant, mux.Vars(r)["id"], er)
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusCreated, Value: ev}, nil
}

func (h retentionRoutes) hold(r *http.Request) (any, error) {
	var req wire.HoldRequest
	if err := decodeStrict(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	hold, err := h.svc.ApplyHold(r.Context(), id.Name, id.Tenant, mux.Vars(r)["id"], retention.HoldRequest{Reason: req.Reason, CaseRef: req.CaseRef})
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusCreated, Value: hold}, nil
}

func (h retentionRoutes) release(r *http.Request) (any, error) {
	var req wire.ReleaseHoldRequest
	if err := decodeStrict(r, &req); err != nil {
		return nil, err
	}
	id, vars := caller(r), mux.Vars(r)
	return h.svc.ReleaseHold(r.Context(), id.Name, id.Tenant, vars["id"], vars["hold_id"], req.Reason)
}

func (h retentionRoutes) view(r *http.Request) (any, error) {
	return h.svc.View(r.Context(), caller(r).Tenant, mux.Vars(r)["id"])
}

func (h retentionRoutes) eligible(r *http.Request) (any, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	cursor, _, err := q.str("cursor")
	if err != nil {
		return nil, err
	}
	limit, err := pageLimit(q)
	if err != nil {
		return nil, err
	}
	pkgs, next, asOf, err := h.svc.Eligible(r.Context(), caller(r).Tenant, cursor, limit)
	if err != nil {
		return nil, err
	}
	return wire.EligiblePage{AsOf: asOf, Packages: pkgs, NextCursor: next}, nil
}
