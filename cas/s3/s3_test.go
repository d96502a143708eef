package s3

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

// server starts versitygw and points the AWS SDK's environment at it, the
// only way credentials reach the store.
func server(t *testing.T) *castest.VersityGW {
	t.Helper()
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	return g
}

// bucketSeq names buckets uniquely within the test process.
var bucketSeq atomic.Int64

// newStore creates a fresh bucket (versioned if asked) and a Store on it.
func newStore(t *testing.T, g *castest.VersityGW, cfg Config, versioned bool) *Store {
	t.Helper()
	return newBucket(t, g, cfg, versioned, false)
}

// newBucket creates a fresh bucket, versioned or created with object lock
// (which versions it too) as asked, and a Store on it.
func newBucket(t *testing.T, g *castest.VersityGW, cfg Config, versioned, objectLock bool) *Store {
	t.Helper()
	cfg.Endpoint, cfg.Region, cfg.PathStyle = g.Endpoint, g.Region, true
	cfg.Bucket = fmt.Sprintf("assay-%d", bucketSeq.Add(1))
	s, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	in := &s3sdk.CreateBucketInput{Bucket: &cfg.Bucket}
	if objectLock {
		in.ObjectLockEnabledForBucket = aws.Bool(true)
	}
	if _, err := s.client.CreateBucket(t.Context(), in); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if versioned {
		_, err := s.client.PutBucketVersioning(t.Context(), &s3sdk.PutBucketVersioningInput{
			Bucket:                  &cfg.Bucket,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			t.Fatalf("PutBucketVersioning: %v", err)
		}
	}
	return s
}

// backend wraps s with the conformance hooks; damage goes straight to the
// files versitygw keeps.
func backend(g *castest.VersityGW, s *Store) castest.Backend {
	return castest.Backend{
		Store:   s,
		Objects: func(t *testing.T) []string { return listAll(t, s) },
		Corrupt: func(t *testing.T, d cas.Digest, rng *rand.Rand) {
			castest.FlipByte(t, g.ObjectPath(s.cfg.Bucket, s.blobKey(d)), rng)
		},
		Remove: func(t *testing.T, d cas.Digest) {
			if err := os.Remove(g.ObjectPath(s.cfg.Bucket, s.blobKey(d))); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// listAll lists every current object and every pending multipart upload
// in the store's bucket.
func listAll(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	objs := s3sdk.NewListObjectsV2Paginator(s.client, &s3sdk.ListObjectsV2Input{Bucket: &s.cfg.Bucket})
	for objs.HasMorePages() {
		page, err := objs.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list objects: %v", err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	ups := s3sdk.NewListMultipartUploadsPaginator(s.client, &s3sdk.ListMultipartUploadsInput{Bucket: &s.cfg.Bucket})
	for ups.HasMorePages() {
		page, err := ups.NextPage(t.Context())
		if err != nil {
			t.Fatalf("list multipart uploads: %v", err)
		}
		for _, u := range page.Uploads {
			out = append(out, "pending upload: "+aws.ToString(u.Key))
		}
	}
	return out
}

func TestConformance(t *testing.T) {
	g := server(t)
	tests := []struct {
		name      string
		cfg       Config
		versioned bool
	}{
		{"plain bucket", Config{PartSize: minPartSize}, false},
		{"prefix, versioned bucket, copy in parts", Config{Prefix: "tenant-a/blobs/", PartSize: minPartSize, CopyPartSize: minPartSize}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			castest.Run(t, func(t *testing.T) castest.Backend {
				return backend(g, newStore(t, g, tc.cfg, tc.versioned))
			})
		})
	}
}
