package s3

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
)

// SweepTemp aborts multipart uploads and deletes temporary objects under
// the temporary prefix that were started before the cutoff: leftovers of
// Puts cut short by a crash or an outage. A lifecycle rule aborting
// incomplete multipart uploads does the same on the service side.
func (s *Store) SweepTemp(ctx context.Context, before time.Time) (int, error) {
	n, err := s.sweepUploads(ctx, before)
	if err != nil {
		return n, err
	}
	m, err := s.sweepObjects(ctx, before)
	return n + m, err
}

func (s *Store) sweepUploads(ctx context.Context, before time.Time) (int, error) {
	prefix := s.tmpPrefix()
	p := s3sdk.NewListMultipartUploadsPaginator(s.client, &s3sdk.ListMultipartUploadsInput{Bucket: &s.cfg.Bucket, Prefix: &prefix})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, mapErr("list multipart uploads", prefix, err)
		}
		for _, u := range page.Uploads {
			if !aws.ToTime(u.Initiated).Before(before) {
				continue
			}
			_, err := s.client.AbortMultipartUpload(ctx, &s3sdk.AbortMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil {
				return n, mapErr("abort multipart upload", aws.ToString(u.Key), err)
			}
			n++
		}
	}
	return n, nil
}

func (s *Store) sweepObjects(ctx context.Context, before time.Time) (int, error) {
	prefix := s.tmpPrefix()
	p := s3sdk.NewListObjectsV2Paginator(s.client, &s3sdk.ListObjectsV2Input{Bucket: &s.cfg.Bucket, Prefix: &prefix})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, mapErr("list", prefix, err)
		}
		for _, o := range page.Contents {
			if !aws.ToTime(o.LastModified).Before(before) {
				continue
			}
			if _, err := s.client.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: o.Key}); err != nil {
				return n, mapErr("delete", aws.ToString(o.Key), err)
			}
			n++
		}
	}
	return n, nil
}
