package httpapi_test

import (
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// TestPromoteTamperedOnS3 is the tamper test on a real S3 service
// (versitygw). An upload with a wrong expected digest leaves nothing in the
// bucket; after landing, the blob is overwritten in the bucket through
// the S3 API with as many other bytes; the promotion re-reads it,
// quarantines it with digest-mismatch, and only the untouched object
// reaches golden.
func TestPromoteTamperedOnS3(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	const bucket, prefix = "evidence", "assay/"
	if err := os.Mkdir(filepath.Join(g.Root, bucket), 0o700); err != nil { // a posix bucket is a directory
		t.Fatal(err)
	}
	store, err := s3.New(t.Context(), s3.Config{Endpoint: g.Endpoint, Region: g.Region, Bucket: bucket, Prefix: prefix, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	f := newPromFixtureOn(t, store)
	f.land("drop/a.txt", "apple")
	b := f.land("drop/b.txt", "berry")

	// An upload whose bytes do not match its expected digest leaves the
	// bucket and the log as they were.
	bucketFiles := func() []string {
		var out []string
		_ = filepath.WalkDir(filepath.Join(g.Root, bucket), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		return out
	}
	before, size := bucketFiles(), f.size()
	if len(before) != 2 {
		t.Fatalf("bucket holds %q, want the two landed blobs", before)
	}
	r := f.put("drop/c.txt", "cherry", landingHeaders(b.Digest))
	if p := r.problem(t); p.Status != 422 || p.Type != wire.TypeDigestMismatch || f.size() != size || !slices.Equal(bucketFiles(), before) {
		t.Fatalf("mismatched upload: %d %s; log %d -> %d; bucket %q -> %q", p.Status, p.Type, size, f.size(), before, bucketFiles())
	}

	// Overwrite b's blob behind the store's back, through the S3 API.
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion(g.Region))
	if err != nil {
		t.Fatal(err)
	}
	cli := s3sdk.NewFromConfig(cfg, func(o *s3sdk.Options) {
		o.BaseEndpoint, o.UsePathStyle = aws.String(g.Endpoint), true
	})
	key := prefix + "sha256/" + strings.TrimPrefix(b.Digest, "sha256:")
	if _, err := cli.PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader([]byte("BERRY"))}); err != nil {
		t.Fatal(err)
	}
	out, err := cli.GetObject(t.Context(), &s3sdk.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil || string(got) != "BERRY" {
		t.Fatalf("overwritten blob reads %q, %v", got, err)
	}

	v := f.promote("raw/drop/", "golden/fruit/", "basic")
	want := map[string]string{"drop/a.txt": "promoted", "drop/b.txt": "quarantined " + promotion.ReasonDigestMismatch}
	if o := outcomes(v); !maps(o, want) {
		t.Fatalf("outcomes %v, want %v", o, want)
	}
	if f.object(catalog.ZoneGolden, "fruit/b.txt") != nil || f.object(catalog.ZoneQuarantine, "fruit/b.txt") == nil || f.object(catalog.ZoneGolden, "fruit/a.txt") == nil {
		t.Fatal("the tampered object reached golden, or is not in quarantine, or the clean one is not in golden")
	}
	st, err := f.prodCli.ObjectStatus(t.Context(), "raw", "drop/b.txt")
	if err != nil || st.State != promotion.StateQuarantined || st.Steps[0].Digest != "sha256:"+sha256Hex("BERRY") {
		t.Fatalf("status %+v, %v: want quarantined with the digest of the bytes in the bucket", st, err)
	}
}
