package castest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// bucketSeq names the buckets CreateBucket makes.
var bucketSeq atomic.Int64

// Client returns an S3 client of g's root account, for tests that act on
// the server directly, bypassing Assay.
func (g *VersityGW) Client() *s3sdk.Client {
	return s3sdk.New(s3sdk.Options{
		BaseEndpoint: aws.String(g.Endpoint), Region: g.Region, UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(g.AccessKey, g.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// CreateBucket creates a fresh versioned bucket and returns its name; with
// objectLock the bucket is created with S3 Object Lock enabled (which
// versions it as well).
func (g *VersityGW) CreateBucket(t testing.TB, objectLock bool) string {
	t.Helper()
	name := fmt.Sprintf("assay-test-%d", bucketSeq.Add(1))
	c := g.Client()
	in := &s3sdk.CreateBucketInput{Bucket: &name}
	if objectLock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := c.CreateBucket(t.Context(), in); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if !objectLock {
		_, err := c.PutBucketVersioning(t.Context(), &s3sdk.PutBucketVersioningInput{Bucket: &name,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		if err != nil {
			t.Fatalf("PutBucketVersioning: %v", err)
		}
	}
	return name
}
