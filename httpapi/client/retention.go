package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/retention"
)

// Retention returns the retention view of package id: class, mode,
// expiry, holds and every retention event with its ledger index.
func (c *Client) Retention(ctx context.Context, id string) (retention.View, error) {
	var v retention.View
	err := c.getJSON(ctx, "/v1/packages/"+id+"/retention", nil, &v)
	return v, err
}

// ExtendRetention moves package id's expiry later and returns the logged
// event.
func (c *Client) ExtendRetention(ctx context.Context, id string, req wire.ExtendRetentionRequest) (retention.Event, error) {
	var ev retention.Event
	err := c.sendJSON(ctx, http.MethodPost, "/v1/packages/"+id+"/retention/extensions", req, http.StatusCreated, &ev)
	return ev, err
}

// ApplyHold puts a legal hold on package id and returns it (its id is
// HoldID).
func (c *Client) ApplyHold(ctx context.Context, id string, req wire.HoldRequest) (retention.Hold, error) {
	var h retention.Hold
	err := c.sendJSON(ctx, http.MethodPost, "/v1/packages/"+id+"/retention/holds", req, http.StatusCreated, &h)
	return h, err
}

// ReleaseHold releases hold holdID of package id and returns it.
func (c *Client) ReleaseHold(ctx context.Context, id, holdID string, req wire.ReleaseHoldRequest) (retention.Hold, error) {
	var h retention.Hold
	err := c.sendJSON(ctx, http.MethodPost, "/v1/packages/"+id+"/retention/holds/"+holdID+"/release", req, http.StatusOK, &h)
	return h, err
}

// Eligible returns one page of the caller's packages past their expiry
// with no active hold; q may hold cursor and limit.
func (c *Client) Eligible(ctx context.Context, q url.Values) (wire.EligiblePage, error) {
	var p wire.EligiblePage
	err := c.getJSON(ctx, "/v1/retention/eligible", q, &p)
	return p, err
}
