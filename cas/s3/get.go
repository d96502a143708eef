package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas"
)

// contentRange parses "bytes first-last/total".
var contentRange = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+)$`)

// Get streams a range with one ranged GetObject. Ranges the service refuses
// or serves differently from what was asked are checked against Head, so
// that every backend answers the same way.
func (s *Store) Get(ctx context.Context, d cas.Digest, offset, length int64) (io.ReadCloser, error) {
	if d.IsZero() {
		return nil, fmt.Errorf("s3 get: %w: empty digest", cas.ErrInvalidDigest)
	}
	if length == 0 || offset < 0 || length < -1 {
		return s.checkedEmpty(ctx, d, offset, length)
	}
	key := s.blobKey(d)
	in := &s3sdk.GetObjectInput{Bucket: &s.cfg.Bucket, Key: &key}
	if offset != 0 || length != -1 {
		in.Range = aws.String(rangeHeader(offset, length))
	}
	out, err := s.client.GetObject(ctx, in)
	if err != nil {
		err = mapErr("get", key, err)
		if errors.Is(err, cas.ErrInvalidRange) {
			return s.checkedEmpty(ctx, d, offset, length)
		}
		return nil, err
	}
	n := aws.ToInt64(out.ContentLength)
	if in.Range != nil && !servedAsAsked(aws.ToString(out.ContentRange), offset, length) {
		drain(out.Body)
		return s.checkedEmpty(ctx, d, offset, length)
	}
	return &body{r: out.Body, key: key, left: n}, nil
}

// rangeHeader is the HTTP Range for offset and length (-1: to the end).
func rangeHeader(offset, length int64) string {
	if length == -1 {
		return fmt.Sprintf("bytes=%d-", offset)
	}
	return fmt.Sprintf("bytes=%d-%d", offset, offset+length-1)
}

// servedAsAsked reports whether a Content-Range covers exactly the range
// asked for (services clamp ranges that run past the end).
func servedAsAsked(cr string, offset, length int64) bool {
	m := contentRange.FindStringSubmatch(cr)
	if m == nil {
		return false
	}
	first, _ := strconv.ParseInt(m[1], 10, 64)
	last, _ := strconv.ParseInt(m[2], 10, 64)
	total, _ := strconv.ParseInt(m[3], 10, 64)
	if length == -1 {
		return first == offset && last == total-1
	}
	return first == offset && last == offset+length-1
}

// checkedEmpty answers ranges that GetObject cannot express or refused:
// an empty reader if the range is valid (and so empty), else the range or
// not-found error.
func (s *Store) checkedEmpty(ctx context.Context, d cas.Digest, offset, length int64) (io.ReadCloser, error) {
	info, err := s.Head(ctx, d)
	if err != nil {
		return nil, err
	}
	n, err := cas.CheckRange(offset, length, info.Size)
	if err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", d, err)
	}
	if n != 0 {
		return nil, fmt.Errorf("s3 get %s: service refused range %s of a %d-byte object", d, rangeHeader(offset, length), info.Size)
	}
	return io.NopCloser(eof{}), nil
}

// eof is an empty stream.
type eof struct{}

func (eof) Read([]byte) (int, error) { return 0, io.EOF }

// body is a GetObject response body whose failures, including a
// connection closed before Content-Length bytes, are ErrUnavailable.
type body struct {
	r    io.ReadCloser
	key  string
	left int64
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.left -= int64(n)
	switch {
	case err == io.EOF && b.left > 0:
		err = io.ErrUnexpectedEOF
	case err == nil || err == io.EOF:
		return n, err
	}
	return n, fmt.Errorf("s3 get %s: %w: %w", b.key, cas.ErrUnavailable, err)
}

func (b *body) Close() error { return b.r.Close() }

// Verify downloads the whole object and checks it against its size,
// recorded BLAKE3 and, when full is set, its key.
func (s *Store) Verify(ctx context.Context, d cas.Digest, full bool) error {
	info, err := s.Head(ctx, d)
	if err != nil {
		return err
	}
	rc, err := s.Get(ctx, d, 0, -1)
	if err != nil {
		return err
	}
	defer rc.Close()
	return cas.VerifyStream(ctx, rc, d, info, full)
}
