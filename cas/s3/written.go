package s3

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas"
)

var _ cas.Dater = (*Store)(nil)

// Written returns the LastModified time of the blob's live version.
func (s *Store) Written(ctx context.Context, d cas.Digest) (time.Time, error) {
	if d.IsZero() {
		return time.Time{}, fmt.Errorf("s3 written: %w: empty digest", cas.ErrInvalidDigest)
	}
	key := s.blobKey(d)
	out, err := s.client.HeadObject(ctx, &s3sdk.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &key})
	if err != nil {
		return time.Time{}, mapErr("head", key, err)
	}
	return aws.ToTime(out.LastModified), nil
}
