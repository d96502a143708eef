package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Cache-Control of what a Publisher writes: tiles and bundles never
// change; the checkpoint must be read afresh.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheCheckpoint = "no-cache"
)

// S3Store is a Store in an S3 bucket under a key prefix (such as
// "log/"), through a client made by cas/s3.NewClient.
type S3Store struct {
	Client *s3sdk.Client
	Bucket string
	Prefix string
}

// PutImmutable writes key once (see Store), with Cache-Control immutable
// and the body's sha256 as a checksum the service verifies.
func (s *S3Store) PutImmutable(ctx context.Context, key string, body []byte) error {
	have, err := s.Get(ctx, key)
	switch {
	case err == nil && bytes.Equal(have, body):
		return nil
	case err == nil:
		return fmt.Errorf("%w: s3://%s/%s%s", ErrRewrite, s.Bucket, s.Prefix, key)
	case !errors.Is(err, ErrNotFound):
		return err
	}
	return s.put(ctx, key, body, cacheImmutable)
}

// PutCheckpoint writes the checkpoint, not cached.
func (s *S3Store) PutCheckpoint(ctx context.Context, key string, body []byte) error {
	return s.put(ctx, key, body, cacheCheckpoint)
}

func (s *S3Store) put(ctx context.Context, key string, body []byte, cache string) error {
	sum := sha256.Sum256(body)
	_, err := s.Client.PutObject(ctx, &s3sdk.PutObjectInput{Bucket: &s.Bucket, Key: aws.String(s.Prefix + key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String(contentType(key)), CacheControl: aws.String(cache),
		ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(sum[:]))})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s%s: %w", s.Bucket, s.Prefix, key, err)
	}
	return nil
}

// Get returns the object's bytes, or ErrNotFound.
func (s *S3Store) Get(ctx context.Context, key string) ([]byte, error) {
	out, err := s.Client.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: &s.Bucket, Key: aws.String(s.Prefix + key)})
	if err != nil {
		if _, ok := errors.AsType[*types.NoSuchKey](err); ok {
			return nil, fmt.Errorf("%w: s3://%s/%s%s", ErrNotFound, s.Bucket, s.Prefix, key)
		}
		return nil, fmt.Errorf("get s3://%s/%s%s: %w", s.Bucket, s.Prefix, key, err)
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

func contentType(key string) string {
	if key == "checkpoint" {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
