package retention

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/s3"
)

// directDelete deletes the live version of d by version id straight
// through the S3 API with the server's root keys, bypassing Assay.
func (f *fixture) directDelete(d cas.Digest) error {
	f.t.Helper()
	c, key := f.gw.Client(), "sha256/"+d.Hex()
	head, err := c.HeadObject(f.t.Context(), &s3sdk.HeadObjectInput{Bucket: &f.bucket, Key: &key})
	if err != nil {
		f.t.Fatalf("HeadObject %s: %v", d.Hex()[:8], err)
	}
	_, err = c.DeleteObject(f.t.Context(), &s3sdk.DeleteObjectInput{Bucket: &f.bucket, Key: &key, VersionId: head.VersionId})
	return err
}

// retainedUntil returns the S3 retention date of d's live version.
func (f *fixture) retainedUntil(d cas.Digest) time.Time {
	f.t.Helper()
	key := "sha256/" + d.Hex()
	out, err := f.gw.Client().GetObjectRetention(f.t.Context(), &s3sdk.GetObjectRetentionInput{Bucket: &f.bucket, Key: &key})
	if err != nil {
		f.t.Fatalf("GetObjectRetention %s: %v", d.Hex()[:8], err)
	}
	if out.Retention.Mode != types.ObjectLockRetentionModeCompliance {
		f.t.Fatalf("retention mode of %s: %q, want COMPLIANCE", d.Hex()[:8], out.Retention.Mode)
	}
	return aws.ToTime(out.Retention.RetainUntilDate)
}

// TestStoreLocks: on versitygw with object lock, the blobs of a
// compliance-mode package and of held packages cannot be deleted through
// the S3 API by someone bypassing Assay; an extension retains longer; a
// blob shared by two held packages keeps its legal hold until both are
// released, and can then be deleted directly; ReapplyLocks puts back a
// legal hold lost between an entry and its lock.
func TestStoreLocks(t *testing.T) {
	f := newFixtureOn(t, onVersityGW)
	ctx := t.Context()
	locked, ld := f.withFile("locked", "compliance evidence") // compliance, 7d
	p, err := f.cat.Catalog.Package("acme", locked.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.retainedUntil(ld); !got.Equal(s3.RetainUntil(*p.Retention.ExpiresAt)) {
		t.Fatalf("retained until %v, want the expiry %v", got, p.Retention.ExpiresAt)
	}
	if err := f.directDelete(ld); err == nil {
		t.Fatal("direct delete of a compliance-retained blob succeeded")
	}
	ext, err := f.svc.Extend(ctx, "officer", "acme", locked.ID, ExtendRequest{Duration: "30d", Reason: "audit"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.retainedUntil(ld), s3.RetainUntil(p.Retention.ExpiresAt.AddDate(0, 0, 30)); !got.Equal(want) {
		t.Fatalf("retained until %v after the extension %+v, want %v", got, ext, want)
	}
	late := f.upload("acme", locked.ID, "late.txt", "added after the extension")
	if got, want := f.retainedUntil(late), s3.RetainUntil(p.Retention.ExpiresAt.AddDate(0, 0, 30)); !got.Equal(want) {
		t.Fatalf("a file added later is retained until %v, want %v", got, want)
	}

	a, shared := f.withFile("transient", "shared and held")
	b, _ := f.withFile("transient", "shared and held")
	own := f.upload("acme", b.ID, "own.txt", "only in b")
	ha, err := f.svc.ApplyHold(ctx, "counsel", "acme", a.ID, HoldRequest{Reason: "case 1"})
	if err != nil {
		t.Fatal(err)
	}
	hb, err := f.svc.ApplyHold(ctx, "counsel", "acme", b.ID, HoldRequest{Reason: "case 2"})
	if err != nil {
		t.Fatal(err)
	}
	f.expectLegalHold("held", shared, true)
	f.expectLegalHold("held", own, true)
	if err := f.directDelete(shared); err == nil {
		t.Fatal("direct delete of a legally held blob succeeded")
	}

	// A crash between hold_applied and its lock: the legal hold is lost;
	// the next start puts it back.
	key := "sha256/" + own.Hex()
	if _, err := f.gw.Client().PutObjectLegalHold(ctx, &s3sdk.PutObjectLegalHoldInput{Bucket: &f.bucket, Key: &key,
		LegalHold: &types.ObjectLockLegalHold{Status: types.ObjectLockLegalHoldStatusOff}}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.ReapplyLocks(ctx); err != nil || n == 0 {
		t.Fatalf("ReapplyLocks: %d, %v", n, err)
	}
	f.expectLegalHold("reapplied", own, true)

	if _, err := f.svc.ReleaseHold(ctx, "counsel", "acme", b.ID, hb.HoldID, "settled"); err != nil {
		t.Fatal(err)
	}
	f.expectLegalHold("b released, a still held", shared, true)
	f.expectLegalHold("b released", own, false)
	if err := f.directDelete(shared); err == nil {
		t.Fatal("direct delete of a blob another package still holds succeeded")
	}
	if _, err := f.svc.ReleaseHold(ctx, "counsel", "acme", a.ID, ha.HoldID, "settled"); err != nil {
		t.Fatal(err)
	}
	f.expectLegalHold("both released", shared, false)
	if err := f.directDelete(shared); err != nil {
		t.Fatalf("direct delete after every hold's release, with no retention: %v", err)
	}
	if err := f.directDelete(ld); err == nil {
		t.Fatal("direct delete of the compliance-retained blob succeeded at the end")
	}
}

// TestStoreLockPending: the store is down when a hold is applied; the hold
// is recorded, the call says the lock is pending with the hold's index,
// and ReapplyLocks (the next start) sets the legal hold.
func TestStoreLockPending(t *testing.T) {
	f := newFixtureOn(t, onVersityGW)
	ctx := t.Context()
	p, d := f.withFile("transient", "held while the store was down")
	f.gw.Stop()
	mark := f.size()
	_, err := f.svc.ApplyHold(ctx, "counsel", "acme", p.ID, HoldRequest{Reason: "case"})
	var pending *LockPendingError
	if !errors.As(err, &pending) || !errors.Is(err, ErrLockPending) || pending.Index != mark {
		t.Fatalf("hold with the store down: %v; want ErrLockPending at index %d", err, mark)
	}
	if got := f.typesSince(mark); !slices.Equal(got, []string{TypeHoldApplied}) {
		t.Fatalf("appended %v, want the hold", got)
	}
	f.gw.Start()
	f.expectLegalHold("store back, before the reapply", d, false)
	if _, err := f.svc.ReapplyLocks(ctx); err != nil {
		t.Fatalf("ReapplyLocks: %v", err)
	}
	f.expectLegalHold("reapplied", d, true)
	if err := f.directDelete(d); err == nil {
		t.Fatal("direct delete of the held blob succeeded after the reapply")
	}
}
