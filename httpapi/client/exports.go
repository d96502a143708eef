package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/verifier"
)

// SubmitExport posts a job-export body for tenant (sent as X-Tenant-Id)
// and returns the receipt of the 201 answer, unverified (see
// VerifyReceipt). A refusal is returned as its *wire.Problem.
func (c *Client) SubmitExport(ctx context.Context, tenant string, body []byte) (wire.ExportReceipt, error) {
	hdr := http.Header{"Content-Type": {"application/json"}, wire.TenantHeader: {tenant}}
	var r wire.ExportReceipt
	out, err := c.send(ctx, http.MethodPost, wire.ExportsPath, nil, hdr, body, http.StatusCreated, maxResponse)
	if err == nil {
		err = json.Unmarshal(out, &r)
	}
	return r, err
}

// Export returns the current entry of the export with the given
// idempotency key, proven against the latest checkpoint, unverified.
func (c *Client) Export(ctx context.Context, key string) (wire.ExportReceipt, error) {
	var r wire.ExportReceipt
	err := c.getJSON(ctx, wire.ExportsPath+"/"+url.PathEscape(key), nil, &r)
	return r, err
}

// Exports returns one page of the caller's exports, filtered by the
// non-empty parameters of q (artifactHash, runId, cursor, limit).
func (c *Client) Exports(ctx context.Context, q url.Values) (wire.ExportsPage, error) {
	var p wire.ExportsPage
	err := c.getJSON(ctx, wire.ExportsPath, q, &p)
	return p, err
}

// VerifyReceipt checks an export receipt offline: its checkpoint is signed
// by vkey (for origin, any when empty) and is of the receipt's tree size,
// its leaf hash is that of its entry bytes, the entry is an export entry at
// the receipt's index with the receipt's idempotency key, and the
// inclusion proof leads from the leaf to the checkpoint's root. It returns
// the verified checkpoint.
func VerifyReceipt(r wire.ExportReceipt, vkey, origin string) (verifier.Checkpoint, error) {
	cp, err := verifier.OpenCheckpoint([]byte(r.Checkpoint), vkey, origin)
	if err != nil {
		return cp, err
	}
	if cp.Size != r.TreeSize {
		return cp, fmt.Errorf("%w: receipt for tree size %d carries a checkpoint of size %d", ErrMismatch, r.TreeSize, cp.Size)
	}
	leaf := verifier.LeafHash(r.Entry)
	if err := checkEntry(wire.LogEntry{Index: r.Index, LeafHash: r.LeafHash, Entry: r.Entry}, r.Index, leaf); err != nil {
		return cp, err
	}
	var body struct {
		Type string `json:"type"`
		Key  string `json:"idempotencyKey"`
	}
	if err := json.Unmarshal(r.Entry, &body); err != nil || body.Key != r.IdempotencyKey ||
		(body.Type != exports.TypeIngested && body.Type != exports.TypeStatusChanged) {
		return cp, fmt.Errorf("%w: entry %d is not an export entry for key %s", ErrMismatch, r.Index, r.IdempotencyKey)
	}
	return cp, verifier.VerifyInclusion(r.Index, cp.Size, leaf, wire.Bytes(r.InclusionProof), cp.Root)
}
