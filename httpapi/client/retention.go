package client

import (
	"context"
	"encoding/json"
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

// Sweep announces the caller's packages that became eligible for deletion
// and purges its deletions past their grace period; with dryRun it
// changes nothing and answers what it would do, with the bytes deleting
// the eligible packages would free.
func (c *Client) Sweep(ctx context.Context, dryRun bool) (retention.SweepResult, error) {
	var res retention.SweepResult
	q := url.Values{}
	if dryRun {
		q.Set("dry_run", "true")
	}
	b, err := c.send(ctx, http.MethodPost, "/v1/retention/sweep", q, nil, nil, http.StatusOK, maxResponse)
	if err == nil {
		err = json.Unmarshal(b, &res)
	}
	return res, err
}

// Purge removes for good the trashed bytes of the caller's deletions past
// their grace period.
func (c *Client) Purge(ctx context.Context) (wire.PurgeResult, error) {
	var res wire.PurgeResult
	err := c.sendJSON(ctx, http.MethodPost, "/v1/retention/purge", struct{}{}, http.StatusOK, &res)
	return res, err
}

// DeletePackage deletes package id (its bytes go to the store's trash)
// and returns the deletion.
func (c *Client) DeletePackage(ctx context.Context, id string, req wire.DeleteRequest) (retention.Deletion, error) {
	var d retention.Deletion
	err := c.sendJSON(ctx, http.MethodPost, "/v1/packages/"+id+"/delete", req, http.StatusOK, &d)
	return d, err
}

// RestorePackage brings a deleted package's bytes back from the trash and
// returns the reversed deletion.
func (c *Client) RestorePackage(ctx context.Context, id string, req wire.RestoreRequest) (retention.Deletion, error) {
	var d retention.Deletion
	err := c.sendJSON(ctx, http.MethodPost, "/v1/packages/"+id+"/restore", req, http.StatusOK, &d)
	return d, err
}
