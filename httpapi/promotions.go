package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// Scopes of the promotion gate.
const (
	ScopePromotionsWrite  = "promotions:write"  // request promotions raw -> golden
	ScopePromotionsRead   = "promotions:read"   // list and show promotions
	ScopePromotionsReview = "promotions:review" // list quarantine, approve and reject
)

// maxPromotionBody caps the JSON body of a promotion request or decision.
const maxPromotionBody = 16 << 10

// HandlePromotions registers the promotion gate's routes backed by svc:
//
//	POST /v1/promotions                    promotions:write   202 + the promotion, requested (decided in the background)
//	GET  /v1/promotions?status=&prefix=&cursor= promotions:read the caller's promotions
//	GET  /v1/promotions/{id}?cursor=       promotions:read    one promotion (status, counts), a page of its objects
//	POST /v1/promotions/{id}/retry         promotions:review  202 + a new attempt over the quarantined objects of a finished one
//	GET  /v1/quarantine?prefix=&status=&tier=&reason= promotions:review quarantined objects
//	POST /v1/quarantine/{id}/approve       promotions:review  the item, now in golden
//	POST /v1/quarantine/{id}/reject        promotions:review  the item, rejected
//	POST /v1/verify-and-permit-upload      promotions:write   200 + permitted or denied, with the decision's inclusion proof
//	GET  /v1/object-status/{zone}/{key...} objects:read       where an object stands (registerGoldenRoutes)
//
// A promotion is decided by svc's worker (promotion.Service.Start), which
// the server's owner runs beside it. Every route serves the caller's
// tenant only.
func (s *Server) HandlePromotions(svc *promotion.Service) {
	h := promotionRoutes{svc: svc}
	s.Handle(http.MethodPost, wire.PromotionsPath, ScopePromotionsWrite, h.promote, MaxBody(maxPromotionBody))
	s.Handle(http.MethodGet, wire.PromotionsPath, ScopePromotionsRead, h.list)
	s.Handle(http.MethodGet, wire.PromotionsPath+"/{id}", ScopePromotionsRead, h.show)
	s.Handle(http.MethodPost, wire.PromotionsPath+"/{id}/retry", ScopePromotionsReview, h.retry, MaxBody(maxPromotionBody))
	s.Handle(http.MethodGet, wire.QuarantinePath, ScopePromotionsReview, h.quarantine)
	s.Handle(http.MethodPost, wire.QuarantinePath+"/{id}/approve", ScopePromotionsReview, h.approve, MaxBody(maxPromotionBody))
	s.Handle(http.MethodPost, wire.QuarantinePath+"/{id}/reject", ScopePromotionsReview, h.reject, MaxBody(maxPromotionBody))
	s.Handle(http.MethodPost, wire.PermitPath, ScopePromotionsWrite, h.permit, MaxBody(maxPermitBody))
	s.registerGoldenRoutes(svc)
}

type promotionRoutes struct{ svc *promotion.Service }

// decodePromotionBody reads the request body as exactly one JSON object
// into v, refusing members v does not define.
func decodePromotionBody(r *http.Request, v any) error {
	err := readObject(r, v)
	if errors.Is(err, errNotObject) {
		return fmt.Errorf("%w: want one JSON object of the documented members: %w", promotion.ErrInvalidRequest, err)
	}
	return err
}

func (h promotionRoutes) promote(r *http.Request) (any, error) {
	var req wire.PromotionRequest
	if err := decodePromotionBody(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	p, err := h.svc.Request(r.Context(), id.Name, id.Tenant, promotion.Request{Source: req.Source, Destination: req.Destination, Tier: req.Tier,
		PermissionID: req.PermissionID})
	return h.accepted(r, p, err)
}

// accepted answers 202 with a promotion just requested.
func (h promotionRoutes) accepted(r *http.Request, p *promotion.Promotion, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	v, err := h.view(r, p, "")
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusAccepted, Value: v}, nil
}

func (h promotionRoutes) retry(r *http.Request) (any, error) {
	var req wire.PromotionRetryRequest
	if err := decodePromotionBody(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	p, err := h.svc.Retry(r.Context(), id.Name, id.Tenant, mux.Vars(r)["id"])
	return h.accepted(r, p, err)
}

// view is the promotion with the page of its objects after cursor.
func (h promotionRoutes) view(r *http.Request, p *promotion.Promotion, cursor string) (*wire.PromotionView, error) {
	objs, next, err := h.svc.Objects(r.Context(), p.Tenant, p.ID, cursor, 0)
	if err != nil {
		return nil, err
	}
	return &wire.PromotionView{Promotion: *p, Objects: objs, NextCursor: next}, nil
}

func (h promotionRoutes) show(r *http.Request) (any, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	cursor, _, err := q.str("cursor")
	if err != nil {
		return nil, err
	}
	p, err := h.svc.Promotion(caller(r).Tenant, mux.Vars(r)["id"])
	if err != nil {
		return nil, err
	}
	return h.view(r, p, cursor)
}

// listParams reads ?cursor=&limit= and the named filters.
func listParams(r *http.Request, names ...string) (map[string]string, int, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, 0, err
	}
	out := map[string]string{}
	for _, n := range append(names, "cursor") {
		if out[n], _, err = q.str(n); err != nil {
			return nil, 0, err
		}
	}
	limit, err := pageLimit(q)
	return out, limit, err
}

func (h promotionRoutes) list(r *http.Request) (any, error) {
	p, limit, err := listParams(r, "status", "prefix")
	if err != nil {
		return nil, err
	}
	ps, next, err := h.svc.Promotions(r.Context(), caller(r).Tenant, promotion.PromotionFilter{Status: p["status"], Prefix: p["prefix"]}, p["cursor"], limit)
	if err != nil {
		return nil, err
	}
	return wire.PromotionsPage{Promotions: ps, NextCursor: next}, nil
}

func (h promotionRoutes) quarantine(r *http.Request) (any, error) {
	p, limit, err := listParams(r, "prefix", "status", "tier", "reason")
	if err != nil {
		return nil, err
	}
	items, next, err := h.svc.Quarantine(r.Context(), caller(r).Tenant,
		promotion.QuarantineFilter{Prefix: p["prefix"], Status: p["status"], Tier: p["tier"], Reason: p["reason"]}, p["cursor"], limit)
	if err != nil {
		return nil, err
	}
	return wire.QuarantinePage{Items: items, NextCursor: next}, nil
}

func (h promotionRoutes) approve(r *http.Request) (any, error) {
	return h.decide(r, h.svc.Approve)
}

func (h promotionRoutes) reject(r *http.Request) (any, error) {
	return h.decide(r, h.svc.Reject)
}

func (h promotionRoutes) decide(r *http.Request, fn func(context.Context, string, string, string, string) (*promotion.Item, error)) (any, error) {
	var req wire.QuarantineDecisionRequest
	if err := decodePromotionBody(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	return fn(r.Context(), id.Name, id.Tenant, mux.Vars(r)["id"], req.Reason)
}
