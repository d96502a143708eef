package s3

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas"
)

// ErrNoObjectLock reports a bucket created without Object Lock while the
// store was configured to lock blobs (Config.ObjectLock).
var ErrNoObjectLock = errors.New("object lock is not enabled on the bucket: create it with object lock (CreateBucket ObjectLockEnabledForBucket=true) or turn the store's object lock off")

// locker is the store's [cas.Locker]: S3 Object Lock on the blob keys.
type locker struct{ s *Store }

// Locker returns the store's [cas.Locker] when Config.ObjectLock is set,
// else nil: Object Lock can only be used on a bucket created with it, so
// it is asked for explicitly.
func (s *Store) Locker() cas.Locker {
	if !s.cfg.ObjectLock {
		return nil
	}
	return locker{s}
}

// CheckLock returns nil when the bucket has Object Lock enabled and an
// error wrapping ErrNoObjectLock when it has not. Only a positive answer
// is remembered.
func (s *Store) CheckLock(ctx context.Context) error {
	if s.lockable.Load() {
		return nil
	}
	out, err := s.client.GetObjectLockConfiguration(ctx, &s3sdk.GetObjectLockConfigurationInput{Bucket: &s.cfg.Bucket})
	var apiErr interface{ ErrorCode() string }
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ObjectLockConfigurationNotFoundError" {
		return fmt.Errorf("s3 object lock: bucket %s: %w", s.cfg.Bucket, ErrNoObjectLock)
	}
	if err != nil {
		return mapErr("get object lock configuration", s.cfg.Bucket, err)
	}
	if out.ObjectLockConfiguration == nil || out.ObjectLockConfiguration.ObjectLockEnabled != types.ObjectLockEnabledEnabled {
		return fmt.Errorf("s3 object lock: bucket %s: %w", s.cfg.Bucket, ErrNoObjectLock)
	}
	s.lockable.Store(true)
	return nil
}

// Retain sets COMPLIANCE retention until until on the blob's live
// version, unless it is retained until then or later already.
func (l locker) Retain(ctx context.Context, d cas.Digest, until time.Time) error {
	s := l.s
	if d.IsZero() {
		return fmt.Errorf("s3 retain: %w: empty digest", cas.ErrInvalidDigest)
	}
	if err := s.CheckLock(ctx); err != nil {
		return err
	}
	until = RetainUntil(until)
	key := s.blobKey(d)
	cur, err := s.client.GetObjectRetention(ctx, &s3sdk.GetObjectRetentionInput{Bucket: &s.cfg.Bucket, Key: &key})
	var apiErr interface{ ErrorCode() string }
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchObjectLockConfiguration":
	case err != nil:
		return mapErr("get object retention", key, err)
	case cur.Retention != nil && cur.Retention.Mode == types.ObjectLockRetentionModeCompliance &&
		!aws.ToTime(cur.Retention.RetainUntilDate).Before(until):
		return nil
	}
	_, err = s.client.PutObjectRetention(ctx, &s3sdk.PutObjectRetentionInput{Bucket: &s.cfg.Bucket, Key: &key,
		Retention: &types.ObjectLockRetention{Mode: types.ObjectLockRetentionModeCompliance, RetainUntilDate: aws.Time(until)}})
	return mapErr("put object retention", key, err)
}

// RetainUntil is the retention date the store sets for until: until
// rounded up to the whole second, since S3 keeps dates to the second (or
// the millisecond) and a date rounded down would free the bytes early.
func RetainUntil(until time.Time) time.Time {
	t := until.UTC().Truncate(time.Second)
	if t.Before(until) {
		t = t.Add(time.Second)
	}
	return t
}

// LegalHold sets the legal hold status of the blob's live version.
func (l locker) LegalHold(ctx context.Context, d cas.Digest, on bool) error {
	s := l.s
	if d.IsZero() {
		return fmt.Errorf("s3 legal hold: %w: empty digest", cas.ErrInvalidDigest)
	}
	if err := s.CheckLock(ctx); err != nil {
		return err
	}
	key := s.blobKey(d)
	status := types.ObjectLockLegalHoldStatusOff
	if on {
		status = types.ObjectLockLegalHoldStatusOn
	}
	_, err := s.client.PutObjectLegalHold(ctx, &s3sdk.PutObjectLegalHoldInput{Bucket: &s.cfg.Bucket, Key: &key,
		LegalHold: &types.ObjectLockLegalHold{Status: status}})
	return mapErr("put object legal hold", key, err)
}
