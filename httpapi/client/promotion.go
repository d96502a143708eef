package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// Promote asks the server to verify and promote req.Source to
// req.Destination; it returns the promotion as requested (202): the
// server's worker decides its objects afterwards (see Promotion).
func (c *Client) Promote(ctx context.Context, req wire.PromotionRequest) (wire.PromotionView, error) {
	var v wire.PromotionView
	err := c.sendJSON(ctx, http.MethodPost, wire.PromotionsPath, req, http.StatusAccepted, &v)
	return v, err
}

// RetryPromotion asks for a new attempt over the quarantined objects of
// finished promotion id; it returns the new promotion, requested.
func (c *Client) RetryPromotion(ctx context.Context, id string) (wire.PromotionView, error) {
	var v wire.PromotionView
	err := c.sendJSON(ctx, http.MethodPost, wire.PromotionsPath+"/"+url.PathEscape(id)+"/retry", wire.PromotionRetryRequest{}, http.StatusAccepted, &v)
	return v, err
}

// Promotion returns promotion id with the first page of its objects.
func (c *Client) Promotion(ctx context.Context, id string) (wire.PromotionView, error) {
	var v wire.PromotionView
	err := c.getJSON(ctx, wire.PromotionsPath+"/"+url.PathEscape(id), nil, &v)
	return v, err
}

// PromotionPage returns promotion id with the page of its objects after
// cursor.
func (c *Client) PromotionPage(ctx context.Context, id, cursor string) (wire.PromotionView, error) {
	var v wire.PromotionView
	err := c.getJSON(ctx, wire.PromotionsPath+"/"+url.PathEscape(id), url.Values{"cursor": {cursor}}, &v)
	return v, err
}

// Promotions lists the caller's promotions (q: status, prefix, cursor,
// limit).
func (c *Client) Promotions(ctx context.Context, q url.Values) (wire.PromotionsPage, error) {
	var p wire.PromotionsPage
	err := c.getJSON(ctx, wire.PromotionsPath, q, &p)
	return p, err
}

// Quarantine lists the caller's quarantined objects (q: prefix, status,
// tier, reason, cursor, limit).
func (c *Client) Quarantine(ctx context.Context, q url.Values) (wire.QuarantinePage, error) {
	var p wire.QuarantinePage
	err := c.getJSON(ctx, wire.QuarantinePath, q, &p)
	return p, err
}

// ApproveQuarantine promotes quarantined item id to golden, with a reason
// code.
func (c *Client) ApproveQuarantine(ctx context.Context, id, reason string) (promotion.Item, error) {
	return c.decideQuarantine(ctx, id, "approve", reason)
}

// RejectQuarantine refuses quarantined item id for good, with a reason
// code.
func (c *Client) RejectQuarantine(ctx context.Context, id, reason string) (promotion.Item, error) {
	return c.decideQuarantine(ctx, id, "reject", reason)
}

func (c *Client) decideQuarantine(ctx context.Context, id, verb, reason string) (promotion.Item, error) {
	var it promotion.Item
	err := c.sendJSON(ctx, http.MethodPost, wire.QuarantinePath+"/"+url.PathEscape(id)+"/"+verb,
		wire.QuarantineDecisionRequest{Reason: reason}, http.StatusOK, &it)
	return it, err
}

// Permit asks the server to verify artifacts against a tier
// (verify-and-permit-upload); a denial is an answer, not an error.
func (c *Client) Permit(ctx context.Context, req wire.PermitRequest) (wire.PermitResponse, error) {
	var v wire.PermitResponse
	err := c.sendJSON(ctx, http.MethodPost, wire.PermitPath, req, http.StatusOK, &v)
	return v, err
}
