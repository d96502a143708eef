package client

import (
	"context"
	"net/url"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// ObjectStatus returns where the caller's object zone/key stands: landed,
// verified, promoted, quarantined, rejected, ..., with the ledger index of
// each step.
func (c *Client) ObjectStatus(ctx context.Context, zone, key string) (wire.ObjectStatus, error) {
	var st wire.ObjectStatus
	err := c.getJSON(ctx, wire.ObjectStatusPath+"/"+zone+"/"+key, nil, &st)
	return st, err
}

// Golden lists the caller's curated objects with their verification (q:
// prefix, cursor, limit), and the configured golden layout.
func (c *Client) Golden(ctx context.Context, q url.Values) (wire.GoldenPage, error) {
	var p wire.GoldenPage
	err := c.getJSON(ctx, "/v1/objects/golden", q, &p)
	return p, err
}
