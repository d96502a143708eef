package intake

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// ReadThrough is the content store as seen by everything that reads
// blobs (downloads, the promotion gate, scrub) when intake records in
// place: a blob missing from Store whose bytes intake referenced in place
// is read from its bucket version instead, and a whole read is checked
// against the digest, so bytes changed in the bucket are refused, never
// served. Writes go to Store.
type ReadThrough struct {
	cas.Store
	Catalog *catalog.Catalog
	Client  *s3sdk.Client
}

// source returns the bucket object version holding d's bytes in place.
func (r *ReadThrough) source(d cas.Digest) (bucket, key, version string, ok bool, err error) {
	ref, ok, err := r.Catalog.InPlace(d.Hex())
	if err != nil || !ok {
		return "", "", "", false, err
	}
	bucket, key, found := strings.Cut(strings.TrimPrefix(ref.URL, "s3://"), "/")
	if !found {
		return "", "", "", false, fmt.Errorf("in-place reference %q is not s3://BUCKET/KEY", ref.URL)
	}
	return bucket, key, ref.VersionID, true, nil
}

func (r *ReadThrough) open(ctx context.Context, d cas.Digest, rng *string) (io.ReadCloser, error) {
	bucket, key, version, ok, err := r.source(d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", cas.ErrNotFound, d)
	}
	in := &s3sdk.GetObjectInput{Bucket: &bucket, Key: &key, Range: rng, VersionId: versionPtr(version)}
	out, err := r.Client.GetObject(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("%w: %s in place at s3://%s/%s version %s: %w", cas.ErrNotFound, d, bucket, key, version, err)
	}
	return out.Body, nil
}

// Get serves a blob from Store, or from its bucket when it is in place.
func (r *ReadThrough) Get(ctx context.Context, d cas.Digest, offset, length int64) (io.ReadCloser, error) {
	rc, err := r.Store.Get(ctx, d, offset, length)
	if !errors.Is(err, cas.ErrNotFound) {
		return rc, err
	}
	if offset == 0 && length < 0 {
		body, oerr := r.open(ctx, d, nil)
		if oerr != nil {
			return nil, oerr
		}
		return &checked{ReadCloser: body, h: sha256.New(), want: d}, nil
	}
	if length == 0 {
		return io.NopCloser(strings.NewReader("")), nil
	}
	rng := fmt.Sprintf("bytes=%d-", offset)
	if length > 0 {
		rng = fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)
	}
	body, oerr := r.open(ctx, d, &rng)
	return body, oerr
}

// Head answers for a blob in place from its bucket.
func (r *ReadThrough) Head(ctx context.Context, d cas.Digest) (cas.Info, error) {
	info, err := r.Store.Head(ctx, d)
	if !errors.Is(err, cas.ErrNotFound) {
		return info, err
	}
	bucket, key, version, ok, serr := r.source(d)
	if serr != nil {
		return cas.Info{}, serr
	}
	if !ok {
		return cas.Info{}, err
	}
	h, herr := r.Client.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: &bucket, Key: &key, VersionId: versionPtr(version)})
	if herr != nil {
		return cas.Info{}, fmt.Errorf("%w: %s: %w", cas.ErrNotFound, d, herr)
	}
	// The BLAKE3 is the one intake computed reading the version; Verify
	// checks the bytes themselves.
	b, _, err := r.Catalog.Blob(d.Hex())
	if err != nil {
		return cas.Info{}, err
	}
	return cas.Info{Digest: d, Size: aws.ToInt64(h.ContentLength), BLAKE3: b.BLAKE3}, nil
}

// Verify re-reads a blob in place whole and checks its sha256.
func (r *ReadThrough) Verify(ctx context.Context, d cas.Digest, full bool) error {
	err := r.Store.Verify(ctx, d, full)
	if !errors.Is(err, cas.ErrNotFound) {
		return err
	}
	rc, err := r.Get(ctx, d, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

func versionPtr(v string) *string {
	if v == "null" {
		return nil
	}
	return aws.String(v)
}

// checked hashes what it reads and, at the end, refuses bytes that are not
// the digest's.
type checked struct {
	io.ReadCloser
	h    hash.Hash
	want cas.Digest
}

func (c *checked) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		var got [sha256.Size]byte
		copy(got[:], c.h.Sum(nil))
		if got != c.want.Sum() {
			return n, fmt.Errorf("%w: the bytes in place for %s changed in their bucket", cas.ErrCorrupt, c.want)
		}
	}
	return n, err
}
