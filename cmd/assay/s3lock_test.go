package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/retention"
)

// TestServeS3ObjectLock runs `assay serve --store s3 --s3-object-lock` on
// a versitygw bucket created with object lock: the blob of a
// compliance-mode package and the blob of a held package cannot be deleted
// through the S3 API by someone bypassing Assay; once the hold is
// released, the held one can. A governance package deletes into the
// bucket's trash and restores over the CLI.
func TestServeS3ObjectLock(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, true)
	s := startServe(t, "--dev", "--data", t.TempDir(), "--retention-sweep-interval", "0", "--retention-compliance", "raw-evidence",
		"--store", "s3", "--s3-endpoint", g.Endpoint, "--s3-bucket", bucket, "--s3-region", g.Region, "--s3-path-style", "--s3-object-lock")
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	upload := func(class, content string) (catalog.Package, catalog.File) {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		var p catalog.Package
		mustJSON(t, cli("package", "create", "--name", "build", "--retention", class), &p)
		var added []catalog.File
		mustJSON(t, cli("package", "upload", p.ID, dir), &added)
		return p, added[0]
	}
	c := g.Client()
	directDelete := func(f catalog.File) error {
		t.Helper()
		key := "sha256/" + strings.TrimPrefix(f.Digest, "sha256:")
		head, err := c.HeadObject(t.Context(), &s3sdk.HeadObjectInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatalf("HeadObject: %v", err)
		}
		_, err = c.DeleteObject(t.Context(), &s3sdk.DeleteObjectInput{Bucket: &bucket, Key: &key, VersionId: head.VersionId})
		return err
	}

	_, locked := upload("raw-evidence", "compliance-mode evidence")
	if err := directDelete(locked); err == nil {
		t.Fatal("direct delete of a compliance-mode package's blob succeeded")
	}
	key := "sha256/" + strings.TrimPrefix(locked.Digest, "sha256:")
	ret, err := c.GetObjectRetention(t.Context(), &s3sdk.GetObjectRetentionInput{Bucket: &bucket, Key: &key})
	if err != nil || ret.Retention.Mode != types.ObjectLockRetentionModeCompliance {
		t.Fatalf("retention of the compliance-mode blob: %+v, %v", ret, err)
	}

	held, heldFile := upload("transient", "held evidence")
	var h retention.Hold
	mustJSON(t, cli("retention", "hold", held.ID, "--reason", "litigation"), &h)
	if err := directDelete(heldFile); err == nil {
		t.Fatal("direct delete of a held package's blob succeeded")
	}
	cli("retention", "release", held.ID, h.HoldID, "--reason", "settled")
	if err := directDelete(heldFile); err != nil {
		t.Fatalf("direct delete after the release: %v", err)
	}

	gov, govFile := upload("transient", "deleted into the bucket's trash")
	var del retention.Deletion
	mustJSON(t, cli("retention", "delete", gov.ID, "--reason", "early, by the dev token's retention:admin"), &del)
	if del.State != retention.StateDeleted {
		t.Fatalf("delete: %+v", del)
	}
	govKey := "sha256/" + strings.TrimPrefix(govFile.Digest, "sha256:")
	if _, err := c.HeadObject(t.Context(), &s3sdk.HeadObjectInput{Bucket: &bucket, Key: aws.String(govKey)}); err == nil {
		t.Fatal("the deleted package's blob is still current in the bucket")
	}
	mustJSON(t, cli("retention", "restore", gov.ID, "--reason", "needed"), &del)
	if del.State != retention.StateRestored || cli("get", govFile.FileID) != "deleted into the bucket's trash" {
		t.Fatalf("restore: %+v", del)
	}
}
