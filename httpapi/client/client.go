// Package client calls Assay's HTTP API and verifies what it returns against
// a trusted checkpoint key, trusting nothing else the server says.
//
// Client makes the calls; Auditor checks checkpoints, entries and proofs
// with the verifier package. Command-line tools and tests share both.
// Client's BundleContents and BundleEntries fetch what bundle.Write puts in
// an air-gap bundle of the server's log.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/verifier"
)

// maxResponse bounds the bytes read from one response: a full page of
// maximal entries fits.
const maxResponse = 128 << 20

// Client calls one Assay server with one bearer token. It is safe for
// concurrent use.
type Client struct {
	base  *url.URL
	token string
	hc    *http.Client
}

// New returns a client of the server at base (an http or https URL) that
// authenticates with token, using hc (http.DefaultClient when nil).
func New(base, token string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q is not an http(s) URL such as http://127.0.0.1:8080", base)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, token: token, hc: hc}, nil
}

// get fetches path with query q and returns the body of a 200 answer, at
// most limit bytes. An error answer is returned as its *wire.Problem.
func (c *Client) get(ctx context.Context, path string, q url.Values, limit int64) ([]byte, error) {
	return c.send(ctx, http.MethodGet, path, q, nil, nil, http.StatusOK, limit)
}

// send makes one request with the given extra headers and body (none when
// nil) and returns the body of an answer with status want, at most limit
// bytes. An error answer is returned as its *wire.Problem.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, hdr http.Header, body []byte, want int, limit int64) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	resp, err := c.do(ctx, method, path, q, hdr, rd)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	if int64(len(out)) > limit {
		return nil, fmt.Errorf("%s %s: response over %d bytes", method, path, limit)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("%s %s: %w", method, path, problemOf(resp, out))
	}
	return out, nil
}

// do makes one request to path (unescaped: net/url escapes it) with query
// q, the given extra headers and the token, and a body (none when nil); a
// *sizedReader body goes out with its length, and by sendfile when it is a
// file. The caller closes the response body.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, hdr http.Header, body io.Reader) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, err
	}
	if s, ok := body.(*sizedReader); ok {
		// A body of known length goes out without chunked encoding.
		req.ContentLength, req.Body = s.n, io.NopCloser(s.r)
		if f, ok := s.r.(*os.File); ok {
			// net/http sends a body with a file descriptor (syscall.Conn)
			// with sendfile; NopCloser would hide it.
			req.Body = fileBody{f}
		}
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return c.hc.Do(req)
}

// problemOf decodes an error answer, or describes it when it is not a
// problem document.
func problemOf(resp *http.Response, body []byte) *wire.Problem {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var p wire.Problem
	if mt == wire.ProblemContentType && json.Unmarshal(body, &p) == nil && p.Status == resp.StatusCode {
		return &p
	}
	return &wire.Problem{Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode, RequestID: resp.Header.Get(wire.RequestIDHeader),
		Detail: fmt.Sprintf("HTTP %d with a %q body that is not a problem document", resp.StatusCode, mt)}
}

func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) error {
	body, err := c.get(ctx, path, q, maxResponse)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: decode response: %w", path, err)
	}
	return nil
}

// WhoAmI returns the name, tenant and scopes of the client's token.
func (c *Client) WhoAmI(ctx context.Context) (wire.WhoAmI, error) {
	var w wire.WhoAmI
	err := c.getJSON(ctx, wire.WhoAmIPath, nil, &w)
	return w, err
}

// Checkpoint returns the latest signed checkpoint note, unverified.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.get(ctx, "/v1/log/checkpoint", nil, verifier.MaxCheckpointSize)
}

// CheckpointAt returns the signed checkpoint published at size, unverified.
func (c *Client) CheckpointAt(ctx context.Context, size uint64) ([]byte, error) {
	return c.get(ctx, "/v1/log/checkpoint", url.Values{"size": {u64(size)}}, verifier.MaxCheckpointSize)
}

// Entry returns the entry at index, unverified.
func (c *Client) Entry(ctx context.Context, index uint64) (wire.LogEntry, error) {
	var e wire.LogEntry
	err := c.getJSON(ctx, "/v1/log/entries/"+u64(index), nil, &e)
	return e, err
}

// Entries returns the entries [start, end), at most wire.MaxPage of them,
// unverified.
func (c *Client) Entries(ctx context.Context, start, end uint64) ([]wire.LogEntry, error) {
	var p wire.EntriesPage
	err := c.getJSON(ctx, "/v1/log/entries", url.Values{"start": {u64(start)}, "end": {u64(end)}}, &p)
	return p.Entries, err
}

// InclusionProof returns the inclusion proof of the entry at index in the
// tree of treeSize (the current tree when treeSize is 0), unverified.
func (c *Client) InclusionProof(ctx context.Context, index, treeSize uint64) (wire.InclusionProof, error) {
	return c.inclusion(ctx, url.Values{"index": {u64(index)}}, treeSize)
}

// InclusionProofByHash is InclusionProof for the entry with leafHash.
func (c *Client) InclusionProofByHash(ctx context.Context, leafHash []byte, treeSize uint64) (wire.InclusionProof, error) {
	b, _ := wire.Hash(leafHash).MarshalText()
	return c.inclusion(ctx, url.Values{"leaf_hash": {string(b)}}, treeSize)
}

func (c *Client) inclusion(ctx context.Context, q url.Values, treeSize uint64) (wire.InclusionProof, error) {
	if treeSize > 0 {
		q.Set("tree_size", u64(treeSize))
	}
	var p wire.InclusionProof
	err := c.getJSON(ctx, "/v1/log/proof/inclusion", q, &p)
	return p, err
}

// ConsistencyProof returns the proof that the tree of size first is a prefix
// of the tree of size second (the current tree when second is 0),
// unverified.
func (c *Client) ConsistencyProof(ctx context.Context, first, second uint64) (wire.ConsistencyProof, error) {
	q := url.Values{"first": {u64(first)}}
	if second > 0 {
		q.Set("second", u64(second))
	}
	var p wire.ConsistencyProof
	err := c.getJSON(ctx, "/v1/log/proof/consistency", q, &p)
	return p, err
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

// IsProblem reports whether err carries a problem answer of the given type.
func IsProblem(err error, typ string) bool {
	p, ok := errors.AsType[*wire.Problem](err)
	return ok && p.Type == typ
}
