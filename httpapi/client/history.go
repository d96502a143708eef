package client

import (
	"context"
	"net/url"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// History asks GET /v1/history with the filters of q (type, actor, zone,
// key_prefix, digest, package, run_id, since, until, tenant, cursor,
// order, limit, proofs) and returns one page.
func (c *Client) History(ctx context.Context, q url.Values) (*wire.HistoryPage, error) {
	var page wire.HistoryPage
	return &page, c.getJSON(ctx, "/v1/history", q, &page)
}

// ArtifactTimeline returns one page of the timeline of the artifact with
// digest ("sha256:<hex>"); q may hold cursor, order, limit and proofs.
func (c *Client) ArtifactTimeline(ctx context.Context, digest string, q url.Values) (*wire.HistoryPage, error) {
	var page wire.HistoryPage
	return &page, c.getJSON(ctx, "/v1/artifacts/"+url.PathEscape(digest)+"/timeline", q, &page)
}

// PackageTimeline returns one page of the timeline of package id.
func (c *Client) PackageTimeline(ctx context.Context, id string, q url.Values) (*wire.HistoryPage, error) {
	var page wire.HistoryPage
	return &page, c.getJSON(ctx, "/v1/packages/"+url.PathEscape(id)+"/timeline", q, &page)
}
