package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas"
)

var (
	_ cas.Trasher      = (*Store)(nil)
	_ cas.TrashChecker = (*Store)(nil)
)

// ErrNotVersioned reports a bucket without versioning enabled: the store's
// trash is the noncurrent versions of a versioned bucket, so on any other
// bucket deleted bytes could not be restored and deletion is refused.
var ErrNotVersioned = errors.New("bucket versioning is not enabled: the S3 store's trash needs a versioned bucket (PutBucketVersioning Status=Enabled, or a bucket created with object lock)")

// CheckTrash returns nil when the bucket is versioned, and an error
// wrapping ErrNotVersioned when it is not. Only a positive answer is
// remembered, so enabling versioning later needs no restart.
func (s *Store) CheckTrash(ctx context.Context) error {
	if s.versioned.Load() {
		return nil
	}
	out, err := s.client.GetBucketVersioning(ctx, &s3sdk.GetBucketVersioningInput{Bucket: &s.cfg.Bucket})
	if err != nil {
		return mapErr("get bucket versioning", s.cfg.Bucket, err)
	}
	if out.Status != types.BucketVersioningStatusEnabled {
		return fmt.Errorf("s3 trash: bucket %s: %w", s.cfg.Bucket, ErrNotVersioned)
	}
	s.versioned.Store(true)
	return nil
}

// version is one version or delete marker of a blob key, newest first in
// a versions listing.
type version struct {
	id     string
	marker bool // a delete marker, not bytes
	latest bool
}

// versions lists every version and delete marker of the blob key of d,
// newest first.
func (s *Store) versions(ctx context.Context, d cas.Digest) ([]version, error) {
	key := s.blobKey(d)
	var out []version
	p := s3sdk.NewListObjectVersionsPaginator(s.client, &s3sdk.ListObjectVersionsInput{Bucket: &s.cfg.Bucket, Prefix: &key})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, mapErr("list versions", key, err)
		}
		for _, v := range page.Versions {
			if aws.ToString(v.Key) == key {
				out = append(out, version{id: aws.ToString(v.VersionId), latest: aws.ToBool(v.IsLatest)})
			}
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) == key {
				out = append(out, version{id: aws.ToString(m.VersionId), marker: true, latest: aws.ToBool(m.IsLatest)})
			}
		}
	}
	return out, nil
}

// blobState sums a versions listing up: whether the blob is live (its
// latest version holds bytes), whether an older version holds bytes (the
// trash), and the delete markers.
func blobState(vs []version) (live, trashed bool, markers []string) {
	for _, v := range vs {
		switch {
		case v.marker:
			markers = append(markers, v.id)
		case v.latest:
			live = true
		default:
			trashed = true
		}
	}
	return live, trashed, markers
}

// deleteVersion removes one version or delete marker for good.
func (s *Store) deleteVersion(ctx context.Context, d cas.Digest, id string) error {
	key := s.blobKey(d)
	_, err := s.client.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key, VersionId: &id})
	return mapErr("delete version "+id+" of", key, err)
}

// Trash deletes the blob's key without a version id, which on a versioned
// bucket adds a delete marker: the bytes stay as a noncurrent version, the
// trash, until Purge. It refuses on an unversioned bucket (ErrNotVersioned).
// Object Lock allows it whatever the blob's retention or legal hold, as S3
// does: a delete marker removes no bytes.
func (s *Store) Trash(ctx context.Context, d cas.Digest) error {
	if d.IsZero() {
		return fmt.Errorf("s3 trash: %w: empty digest", cas.ErrInvalidDigest)
	}
	if err := s.CheckTrash(ctx); err != nil {
		return err
	}
	vs, err := s.versions(ctx, d)
	if err != nil {
		return err
	}
	switch live, trashed, _ := blobState(vs); {
	case live:
		key := s.blobKey(d)
		_, err := s.client.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key})
		return mapErr("trash", key, err)
	case trashed:
		return nil // trashed before
	}
	return fmt.Errorf("s3 trash %s: %w", d, cas.ErrNotFound)
}

// Untrash removes the delete markers, so that the newest version holding
// bytes is current again. When the blob is live already (the same bytes
// were put meanwhile), the older versions and markers are purged instead.
func (s *Store) Untrash(ctx context.Context, d cas.Digest) error {
	if d.IsZero() {
		return fmt.Errorf("s3 untrash: %w: empty digest", cas.ErrInvalidDigest)
	}
	if err := s.CheckTrash(ctx); err != nil {
		return err
	}
	vs, err := s.versions(ctx, d)
	if err != nil {
		return err
	}
	live, trashed, markers := blobState(vs)
	switch {
	case live:
		return s.purge(ctx, d, vs)
	case !trashed:
		return fmt.Errorf("s3 untrash %s: %w", d, cas.ErrNotFound)
	}
	for _, m := range markers {
		if err := s.deleteVersion(ctx, d, m); err != nil {
			return err
		}
	}
	return nil
}

// Purge deletes for good every version of the blob's key that is not the
// live one, and every delete marker. A version under Object Lock
// retention or legal hold is refused by the service; the error says so.
func (s *Store) Purge(ctx context.Context, d cas.Digest) error {
	if d.IsZero() {
		return fmt.Errorf("s3 purge: %w: empty digest", cas.ErrInvalidDigest)
	}
	if err := s.CheckTrash(ctx); err != nil {
		return err
	}
	vs, err := s.versions(ctx, d)
	if err != nil {
		return err
	}
	return s.purge(ctx, d, vs)
}

// purge deletes the versions vs of d except the live one.
func (s *Store) purge(ctx context.Context, d cas.Digest, vs []version) error {
	for _, v := range vs {
		if v.latest && !v.marker {
			continue
		}
		if err := s.deleteVersion(ctx, d, v.id); err != nil && !errors.Is(err, cas.ErrNotFound) {
			return err
		}
	}
	return nil
}

// InTrash reports whether a noncurrent version of the blob's key holds
// bytes.
func (s *Store) InTrash(ctx context.Context, d cas.Digest) (bool, error) {
	if err := s.CheckTrash(ctx); err != nil {
		return false, err
	}
	vs, err := s.versions(ctx, d)
	if err != nil {
		return false, err
	}
	_, trashed, _ := blobState(vs)
	return trashed, nil
}
