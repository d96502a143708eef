package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"strings"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// UploadFile is one file of an upload: its path in the package, its bytes
// and, optionally, its media type and expected digest ("sha256:<hex>").
type UploadFile struct {
	Path      string
	Body      io.Reader
	MediaType string
	Digest    string
	// Landing is the file's landing metadata other than the digest
	// (source, commit, tier, custody); its ExpectedDigest is ignored for
	// Digest.
	Landing catalog.Landing
}

// stream makes one request to path (unescaped: net/url escapes it) with a streamed body (none when nil) and
// returns the response when its status is want; otherwise it reads the
// problem and closes the body.
func (c *Client) stream(ctx context.Context, method, path string, hdr http.Header, body io.Reader, want ...int) (*http.Response, error) {
	resp, err := c.do(ctx, method, path, nil, hdr, body)
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return nil, fmt.Errorf("%s %s: %w", method, path, problemOf(resp, out))
}

// sendJSON posts v (nil for no body) and decodes the answer of status want.
func (c *Client) sendJSON(ctx context.Context, method, path string, v any, want int, out any) error {
	var body []byte
	hdr := http.Header{}
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return err
		}
		hdr.Set("Content-Type", "application/json")
	}
	b, err := c.send(ctx, method, path, nil, hdr, body, want, maxResponse)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// CreatePackage creates a package from req: a JSON object with name,
// retention_class and any other members (see wire.CreatePackageRequest).
func (c *Client) CreatePackage(ctx context.Context, req map[string]any) (catalog.Package, error) {
	var p catalog.Package
	err := c.sendJSON(ctx, http.MethodPost, "/v1/packages", req, http.StatusCreated, &p)
	return p, err
}

// Package returns a package.
func (c *Client) Package(ctx context.Context, id string) (catalog.Package, error) {
	var p catalog.Package
	err := c.getJSON(ctx, "/v1/packages/"+id, nil, &p)
	return p, err
}

// Packages returns one page of packages filtered by q (producer, subject,
// run_id, status, cursor, limit).
func (c *Client) Packages(ctx context.Context, q url.Values) (wire.PackagesPage, error) {
	var p wire.PackagesPage
	err := c.getJSON(ctx, "/v1/packages", q, &p)
	return p, err
}

// Finalize freezes a package and logs its manifest digest.
func (c *Client) Finalize(ctx context.Context, id string) (catalog.Package, error) {
	var p catalog.Package
	err := c.sendJSON(ctx, http.MethodPost, "/v1/packages/"+id+"/finalize", nil, http.StatusOK, &p)
	return p, err
}

// Manifest returns the manifest bytes of a finalized package, checked
// against the digest the server says was logged at finalize, and that
// digest.
func (c *Client) Manifest(ctx context.Context, id string) ([]byte, string, error) {
	resp, err := c.stream(ctx, http.MethodGet, "/v1/packages/"+id+"/manifest", nil, nil, http.StatusOK)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if want := resp.Header.Get(wire.ManifestDigestHeader); want != digest {
		return nil, "", fmt.Errorf("manifest of %s hashes to %s, server says %q", id, digest, want)
	}
	return b, digest, nil
}

// UploadFiles streams files as one multipart request into package id and
// returns the files the server registered. The body is chunked, so files
// of any length stream without being measured first.
func (c *Client) UploadFiles(ctx context.Context, id string, files []UploadFile) ([]catalog.File, error) {
	body, ctype, err := newPartsBody(files)
	if err != nil {
		return nil, err
	}
	hdr := http.Header{"Content-Type": {ctype}}
	resp, err := c.stream(ctx, http.MethodPost, "/v1/packages/"+id+"/files", hdr, body, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var res wire.UploadResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(&res); err != nil {
		return nil, fmt.Errorf("upload: decode response: %w", err)
	}
	return res.Files, nil
}

// partsBodyBuf is how many bytes of a file partsBody reads and sends at a
// time.
const partsBodyBuf = 1 << 20

// partsBody is a multipart/form-data body: one part per file, its path both
// as the filename and in wire.PathHeader (which keeps directories
// whatever the parser). The parts' framing is built up front, so a bad path
// fails before anything is sent, and the files' bytes are read as the
// request goes out. net/http copies a body through WriteTo when it has one;
// WriteTo sends in large writes (partsBodyBuf) rather than the 32 KiB of
// the default copy, which saves system calls and wake-ups on both sides.
type partsBody struct {
	r io.Reader // the whole body: framing and files in order
}

// newPartsBody returns the body uploading files and its Content-Type.
func newPartsBody(files []UploadFile) (*partsBody, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	parts := make([]io.Reader, 0, 2*len(files)+1)
	for _, f := range files {
		h, err := partHeader(f)
		if err != nil {
			return nil, "", err
		}
		if _, err := mw.CreatePart(h); err != nil {
			return nil, "", err
		}
		parts = append(parts, bytes.NewReader(bytes.Clone(buf.Bytes())), fileReader{path: f.Path, r: f.Body})
		buf.Reset()
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	parts = append(parts, &buf)
	return &partsBody{r: io.MultiReader(parts...)}, mw.FormDataContentType(), nil
}

// Read reads the body.
func (b *partsBody) Read(p []byte) (int, error) { return b.r.Read(p) }

// WriteTo writes the rest of the body to w in writes of up to partsBodyBuf
// bytes.
func (b *partsBody) WriteTo(w io.Writer) (int64, error) {
	return io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{b.r}, make([]byte, partsBodyBuf))
}

// partHeader returns the multipart header of f's part.
func partHeader(f UploadFile) (textproto.MIMEHeader, error) {
	if err := catalog.ValidatePath(f.Path); err != nil {
		return nil, err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", mime.FormatMediaType("form-data", map[string]string{"name": wire.FilePartName, "filename": f.Path}))
	h.Set(wire.PathHeader, f.Path)
	if f.MediaType != "" {
		h.Set("Content-Type", f.MediaType)
	}
	land := f.Landing
	land.ExpectedDigest = f.Digest
	setLanding(http.Header(h), land)
	return h, nil
}

// setLanding sets the landing metadata headers of an upload.
func setLanding(h http.Header, l catalog.Landing) {
	for name, v := range map[string]string{wire.DigestHeader: l.ExpectedDigest, wire.SourceHeader: l.Source,
		wire.CommitHeader: l.Commit, wire.TierHeader: l.Tier} {
		if v != "" {
			h.Set(name, v)
		}
	}
	for _, c := range l.Custody {
		h.Add(wire.CustodyHeader, c)
	}
}

// fileReader reads a file's body, naming the file in read errors.
type fileReader struct {
	path string
	r    io.Reader
}

func (f fileReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("read %s: %w", f.path, err)
	}
	return n, err
}

// PutObject puts body as a new version of raw/key. digest (optional) is
// the expected "sha256:<hex>"; metadata (optional) a JSON object.
func (c *Client) PutObject(ctx context.Context, key string, body io.Reader, size int64, mediaType, digest string, metadata json.RawMessage) (catalog.Object, error) {
	return c.Land(ctx, key, body, size, mediaType, metadata, catalog.Landing{ExpectedDigest: digest})
}

// Land is PutObject with the whole landing metadata land: expected digest
// (enforced by the server), source, commit, tier and custody references.
func (c *Client) Land(ctx context.Context, key string, body io.Reader, size int64, mediaType string, metadata json.RawMessage, land catalog.Landing) (catalog.Object, error) {
	hdr := http.Header{}
	if mediaType != "" {
		hdr.Set("Content-Type", mediaType)
	}
	setLanding(hdr, land)
	if len(metadata) > 0 {
		hdr.Set(wire.MetadataHeader, string(metadata))
	}
	if size >= 0 {
		body = &sizedReader{r: body, n: size}
	}
	var o catalog.Object
	resp, err := c.stream(ctx, http.MethodPut, "/v1/objects/raw/"+key, hdr, body, http.StatusCreated)
	if err != nil {
		return o, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(io.LimitReader(resp.Body, maxResponse)).Decode(&o)
	return o, err
}

// sizedReader tells net/http the body's length so that it is not chunked.
type sizedReader struct {
	r io.Reader
	n int64
}

// Read reads from the wrapped reader.
func (s *sizedReader) Read(p []byte) (int, error) { return s.r.Read(p) }

// fileBody is a request body that leaves closing its file to the caller
// while keeping the file's descriptor visible to net/http.
type fileBody struct{ *os.File }

// Close does nothing: the caller owns the file.
func (fileBody) Close() error { return nil }

// Download is an open download: the body and what the server said of it.
type Download struct {
	Body   io.ReadCloser
	Size   int64  // of this answer's body; -1 when unknown
	Digest string // "sha256:<hex>" of the whole blob, from the ETag
}

// DownloadFile opens a package file for reading; rangeHeader ("" for the
// whole file) is sent as Range.
func (c *Client) DownloadFile(ctx context.Context, fileID, rangeHeader string) (*Download, error) {
	return c.download(ctx, "/v1/files/"+fileID+"/download", rangeHeader)
}

// GetObject opens the current version of zone/key for reading.
func (c *Client) GetObject(ctx context.Context, zone, key, rangeHeader string) (*Download, error) {
	return c.download(ctx, "/v1/objects/"+zone+"/"+key, rangeHeader)
}

func (c *Client) download(ctx context.Context, path, rangeHeader string) (*Download, error) {
	hdr := http.Header{}
	if rangeHeader != "" {
		hdr.Set("Range", rangeHeader)
	}
	resp, err := c.stream(ctx, http.MethodGet, path, hdr, nil, http.StatusOK, http.StatusPartialContent)
	if err != nil {
		return nil, err
	}
	return &Download{Body: resp.Body, Size: resp.ContentLength, Digest: "sha256:" + strings.Trim(resp.Header.Get("ETag"), `"`)}, nil
}

// Scrub asks the server to verify every blob the catalog references.
func (c *Client) Scrub(ctx context.Context, full bool) (catalog.ScrubReport, error) {
	var r catalog.ScrubReport
	q := url.Values{}
	if full {
		q.Set("full", "true")
	}
	b, err := c.send(ctx, http.MethodPost, "/v1/store/scrub", q, nil, nil, http.StatusOK, maxResponse)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	return r, err
}

// IntakeScrub asks the server to re-read every object version its bucket
// intake recorded and record their drift (POST /v1/intake/scrub).
func (c *Client) IntakeScrub(ctx context.Context) (catalog.DriftReport, error) {
	var r catalog.DriftReport
	b, err := c.send(ctx, http.MethodPost, wire.IntakeScrubPath, nil, nil, nil, http.StatusOK, maxResponse)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	return r, err
}
