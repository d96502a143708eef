package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas"
)

// cleanupTimeout bounds the requests that clean up after a failed or
// finished Put; they run even when the Put's context has ended.
const cleanupTimeout = 30 * time.Second

// Put stores r under its sha256. See the package documentation for the
// sequence of requests; memory is one part buffer whatever the size.
func (s *Store) Put(ctx context.Context, r io.Reader, expected cas.Digest) (cas.Info, error) {
	if info, done, err := cas.ConfirmExisting(ctx, r, expected, s.Head, s.lend, "s3 put"); done {
		return info, err
	}
	buf := s.buffer()
	defer s.bufs.Put(buf)
	h := cas.NewHasher()
	src := io.TeeReader(r, h)
	n, err := io.ReadFull(src, *buf)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return s.putSmall(ctx, (*buf)[:n], h.Info(), expected)
	case err != nil:
		return cas.Info{}, fmt.Errorf("s3 put: reading blob: %w", err)
	}
	return s.putMultipart(ctx, src, *buf, h, expected)
}

// existing returns the stored blob's Info with Existed set, or ErrNotFound.
func (s *Store) existing(ctx context.Context, d cas.Digest) (cas.Info, error) {
	info, err := s.Head(ctx, d)
	info.Existed = err == nil
	return info, err
}

// putSmall writes a blob that fits in one part, after checking its digest.
func (s *Store) putSmall(ctx context.Context, data []byte, info cas.Info, expected cas.Digest) (cas.Info, error) {
	if err := cas.CheckExpected(expected, info); err != nil {
		return cas.Info{}, err
	}
	if expected.IsZero() {
		if stored, err := s.existing(ctx, info.Digest); !errors.Is(err, cas.ErrNotFound) {
			return stored, err
		}
	}
	key := s.blobKey(info.Digest)
	sse, kms, class := s.writeSettings()
	_, err := s.client.PutObject(ctx, &s3sdk.PutObjectInput{
		Bucket: &s.cfg.Bucket, Key: &key, Body: bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))), ContentType: aws.String("application/octet-stream"),
		Metadata:             map[string]string{metaBLAKE3: info.BLAKE3},
		ServerSideEncryption: sse, SSEKMSKeyId: kms, StorageClass: class,
	})
	if err != nil {
		return cas.Info{}, mapErr("put", key, err)
	}
	info.StoredSize = info.Size
	return info, nil
}

// putMultipart streams the rest of the blob (buf holds its first part) into
// a multipart upload under a temporary key, then commits or aborts it.
func (s *Store) putMultipart(ctx context.Context, src io.Reader, buf []byte, h *cas.Hasher, expected cas.Digest) (cas.Info, error) {
	tmp, err := s.tmpKey()
	if err != nil {
		return cas.Info{}, err
	}
	sse, kms, class := s.writeSettings()
	up, err := s.client.CreateMultipartUpload(ctx, &s3sdk.CreateMultipartUploadInput{
		Bucket: &s.cfg.Bucket, Key: &tmp, ServerSideEncryption: sse, SSEKMSKeyId: kms, StorageClass: class,
	})
	if err != nil {
		return cas.Info{}, mapErr("create multipart upload", tmp, err)
	}
	id := aws.ToString(up.UploadId)
	parts, err := s.uploadParts(ctx, tmp, id, src, buf)
	info := h.Info()
	if err == nil {
		err = cas.CheckExpected(expected, info)
	}
	if err == nil && expected.IsZero() {
		var stored cas.Info
		if stored, err = s.existing(ctx, info.Digest); err == nil {
			s.abort(ctx, tmp, id)
			return stored, nil
		}
		if errors.Is(err, cas.ErrNotFound) {
			err = nil
		}
	}
	if err != nil {
		s.abort(ctx, tmp, id)
		return cas.Info{}, err
	}
	return s.commit(ctx, tmp, id, parts, info)
}

// uploadParts uploads buf (full) as part 1, then reads and uploads the
// following parts until src ends.
func (s *Store) uploadParts(ctx context.Context, key, id string, src io.Reader, buf []byte) ([]types.CompletedPart, error) {
	var parts []types.CompletedPart
	n := len(buf)
	for num := int32(1); n > 0; num++ {
		if num > maxParts {
			return nil, fmt.Errorf("s3 put: blob larger than %d parts of %d bytes; raise PartSize", maxParts, len(buf))
		}
		out, err := s.client.UploadPart(ctx, &s3sdk.UploadPartInput{
			Bucket: &s.cfg.Bucket, Key: &key, UploadId: &id, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(buf[:n]), ContentLength: aws.Int64(int64(n)),
		})
		if err != nil {
			return nil, mapErr("upload part", key, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		if n, err = io.ReadFull(src, buf); err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("s3 put: reading blob: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return parts, nil
}

// commit completes the upload, copies the temporary object to the blob key
// with its BLAKE3 metadata, and deletes the temporary object.
func (s *Store) commit(ctx context.Context, tmp, id string, parts []types.CompletedPart, info cas.Info) (cas.Info, error) {
	done, err := s.client.CompleteMultipartUpload(ctx, &s3sdk.CompleteMultipartUploadInput{
		Bucket: &s.cfg.Bucket, Key: &tmp, UploadId: &id,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		s.abort(ctx, tmp, id)
		return cas.Info{}, mapErr("complete multipart upload", tmp, err)
	}
	defer s.deleteTemp(ctx, tmp, done.VersionId)
	if err := s.copy(ctx, tmp, info); err != nil {
		return cas.Info{}, err
	}
	info.StoredSize = info.Size
	return info, nil
}

// abort abandons a multipart upload. Failures are left to SweepTemp (or a
// bucket lifecycle rule): the upload is invisible either way.
func (s *Store) abort(ctx context.Context, key, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	s.client.AbortMultipartUpload(ctx, &s3sdk.AbortMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: &key, UploadId: &id})
}

// deleteTemp deletes a temporary object, naming its version so that a
// versioned bucket keeps no copy. Failures are left to SweepTemp.
func (s *Store) deleteTemp(ctx context.Context, key string, version *string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	s.client.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key, VersionId: version})
}
