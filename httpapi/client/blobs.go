package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// blobRequest sends method for the blob with the given lower-case hex
// sha256 and returns the response of a 200; found is false for a 404.
func (c *Client) blobRequest(ctx context.Context, method, hexDigest string) (*http.Response, bool, error) {
	u := *c.base
	u.Path += "/v1/blobs/sha256:" + hexDigest
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, true, nil
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, false, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, false, fmt.Errorf("%s blob %s: %w", method, hexDigest, problemOf(resp, body))
}

// BlobSize returns the size of a stored blob, or found=false when the store
// does not hold it (scope store:admin).
func (c *Client) BlobSize(ctx context.Context, hexDigest string) (size int64, found bool, err error) {
	resp, found, err := c.blobRequest(ctx, http.MethodHead, hexDigest)
	if !found || err != nil {
		return 0, found, err
	}
	resp.Body.Close()
	return resp.ContentLength, true, nil
}

// Blob streams a stored blob (scope store:admin); the caller closes it.
func (c *Client) Blob(ctx context.Context, hexDigest string) (io.ReadCloser, error) {
	resp, found, err := c.blobRequest(ctx, http.MethodGet, hexDigest)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("blob %s is not in the store", hexDigest)
	}
	return resp.Body, nil
}

// ResolveCAS returns what a tenant's cas:// URI names now (scope
// store:admin), or found=false when the tenant has no such object.
func (c *Client) ResolveCAS(ctx context.Context, tenant, uri string) (obj wire.CASObject, found bool, err error) {
	key, ok := strings.CutPrefix(uri, "cas://")
	if !ok || key == "" {
		return obj, false, fmt.Errorf("%q is not a cas:// URI", uri)
	}
	err = c.getJSON(ctx, "/v1/cas/"+url.PathEscape(tenant)+"/"+key, nil, &obj)
	if IsProblem(err, wire.TypeObjectNotFound) {
		return obj, false, nil
	}
	return obj, err == nil, err
}
