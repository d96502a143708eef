package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// Publish asks the server to publish package id to the OCI reference to
// (REGISTRY/REPO:TAG): POST /v1/packages/{id}/publish.
func (c *Client) Publish(ctx context.Context, id, to string) (*wire.PublishResult, error) {
	body, _ := json.Marshal(wire.PublishRequest{To: to})
	b, err := c.send(ctx, http.MethodPost, "/v1/packages/"+url.PathEscape(id)+"/publish", nil, http.Header{"Content-Type": {"application/json"}}, body, http.StatusCreated, maxResponse)
	if err != nil {
		return nil, err
	}
	var r wire.PublishResult
	return &r, json.Unmarshal(b, &r)
}

// Search lists the readable entries naming digest, each with its proof in
// the answer's checkpoint (the first page).
func (c *Client) Search(ctx context.Context, digest string) (*wire.SearchResult, error) {
	var p wire.SearchResult
	return &p, c.getJSON(ctx, "/v1/log/search", url.Values{"digest": {digest}}, &p)
}

// Receipt fetches GET /v1/log/receipt?index=N: the entry with its proof in
// the served (cosigned) checkpoint.
func (c *Client) Receipt(ctx context.Context, index uint64) (*wire.Receipt, error) {
	var r wire.Receipt
	return &r, c.getJSON(ctx, wire.ReceiptPath, url.Values{"index": {strconv.FormatUint(index, 10)}}, &r)
}
