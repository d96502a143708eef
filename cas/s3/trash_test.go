package s3

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas"
)

// put stores data and returns its digest.
func put(t *testing.T, s *Store, data []byte) cas.Digest {
	t.Helper()
	info, err := s.Put(t.Context(), bytes.NewReader(data), cas.Digest{})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return info.Digest
}

// read returns the blob's bytes, or the error of Get.
func read(t *testing.T, s *Store, d cas.Digest) ([]byte, error) {
	t.Helper()
	r, err := s.Get(t.Context(), d, 0, -1)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// inTrash fails the test on an error of InTrash.
func inTrash(t *testing.T, s *Store, d cas.Digest) bool {
	t.Helper()
	in, err := s.InTrash(t.Context(), d)
	if err != nil {
		t.Fatalf("InTrash: %v", err)
	}
	return in
}

// TestTrash drives the versioned-bucket trash through trash, restore,
// trash again and purge, on a versioned bucket and on one created with
// object lock, checking the bytes at each step.
func TestTrash(t *testing.T) {
	g := server(t)
	for _, tc := range []struct {
		name       string
		objectLock bool
	}{{"versioned", false}, {"object lock", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			s := newBucket(t, g, Config{Prefix: "p/"}, !tc.objectLock, tc.objectLock)
			data := []byte("evidence kept in a versioned bucket")
			d := put(t, s, data)
			other := put(t, s, []byte("another blob"))

			if err := s.Trash(ctx, d); err != nil {
				t.Fatalf("Trash: %v", err)
			}
			if _, err := read(t, s, d); !errors.Is(err, cas.ErrNotFound) {
				t.Fatalf("Get after Trash: %v, want ErrNotFound", err)
			}
			if !inTrash(t, s, d) || inTrash(t, s, other) {
				t.Fatal("InTrash after Trash: want the trashed blob only")
			}
			if err := s.Trash(ctx, d); err != nil {
				t.Fatalf("Trash again: %v", err)
			}
			if err := s.Untrash(ctx, d); err != nil {
				t.Fatalf("Untrash: %v", err)
			}
			if got, err := read(t, s, d); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get after Untrash: %q, %v", got, err)
			}
			if inTrash(t, s, d) {
				t.Fatal("still in the trash after Untrash")
			}
			if err := s.Untrash(ctx, d); err != nil {
				t.Fatalf("Untrash of a live blob: %v", err)
			}
			if err := s.Trash(ctx, d); err != nil {
				t.Fatalf("Trash again after Untrash: %v", err)
			}
			if err := s.Purge(ctx, d); err != nil {
				t.Fatalf("Purge: %v", err)
			}
			if inTrash(t, s, d) {
				t.Fatal("in the trash after Purge")
			}
			if err := s.Untrash(ctx, d); !errors.Is(err, cas.ErrNotFound) {
				t.Fatalf("Untrash after Purge: %v, want ErrNotFound", err)
			}
			if err := s.Trash(ctx, d); !errors.Is(err, cas.ErrNotFound) {
				t.Fatalf("Trash after Purge: %v, want ErrNotFound", err)
			}
			if vs, err := s.versions(ctx, d); err != nil || len(vs) != 0 {
				t.Fatalf("versions left after Purge: %v, %v", vs, err)
			}
			if got, err := read(t, s, other); err != nil || string(got) != "another blob" {
				t.Fatalf("the other blob: %q, %v", got, err)
			}
		})
	}
}

// TestTrashPutAgain: bytes put again while in the trash are live; Untrash
// then removes the trashed copy and keeps the live one.
func TestTrashPutAgain(t *testing.T) {
	g := server(t)
	ctx := t.Context()
	s := newBucket(t, g, Config{}, true, false)
	data := []byte("put, trashed, put again")
	d := put(t, s, data)
	if err := s.Trash(ctx, d); err != nil {
		t.Fatal(err)
	}
	put(t, s, data)
	if !inTrash(t, s, d) {
		t.Fatal("the older version is not in the trash")
	}
	if err := s.Untrash(ctx, d); err != nil {
		t.Fatalf("Untrash: %v", err)
	}
	if inTrash(t, s, d) {
		t.Fatal("the trashed copy was kept")
	}
	if got, err := read(t, s, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %q, %v", got, err)
	}
}

// TestTrashUnversioned: on a bucket without versioning, every trash method
// refuses with ErrNotVersioned and the blob stays.
func TestTrashUnversioned(t *testing.T) {
	g := server(t)
	ctx := t.Context()
	s := newBucket(t, g, Config{}, false, false)
	d := put(t, s, []byte("no versions, no trash"))
	if err := s.CheckTrash(ctx); !errors.Is(err, ErrNotVersioned) {
		t.Fatalf("CheckTrash: %v, want ErrNotVersioned", err)
	}
	calls := map[string]func() error{
		"Trash":   func() error { return s.Trash(ctx, d) },
		"Untrash": func() error { return s.Untrash(ctx, d) },
		"Purge":   func() error { return s.Purge(ctx, d) },
		"InTrash": func() error { _, err := s.InTrash(ctx, d); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, ErrNotVersioned) {
			t.Fatalf("%s: %v, want ErrNotVersioned", name, err)
		}
	}
	if _, err := read(t, s, d); err != nil {
		t.Fatalf("the blob after refused trash calls: %v", err)
	}
}

// directDelete deletes the blob's live version by version id straight
// through the S3 API, as someone bypassing Assay would.
func directDelete(t *testing.T, s *Store, d cas.Digest) error {
	t.Helper()
	key := s.blobKey(d)
	head, err := s.client.HeadObject(t.Context(), &s3sdk.HeadObjectInput{Bucket: &s.cfg.Bucket, Key: &key})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	_, err = s.client.DeleteObject(t.Context(), &s3sdk.DeleteObjectInput{Bucket: &s.cfg.Bucket, Key: &key, VersionId: head.VersionId})
	return err
}

// TestObjectLock: a blob under COMPLIANCE retention and a blob under legal
// hold cannot be deleted through the S3 API, not even by version id; a
// blob whose legal hold is released and that has no retention can.
// Retention never shortens, and Purge of a locked trashed blob fails and
// leaves it restorable.
func TestObjectLock(t *testing.T) {
	g := server(t)
	ctx := t.Context()
	s := newBucket(t, g, Config{ObjectLock: true}, false, true)
	l := s.Locker()
	if l == nil {
		t.Fatal("Locker is nil with ObjectLock set")
	}
	retained := put(t, s, []byte("retained by compliance"))
	held := put(t, s, []byte("under legal hold"))
	free := put(t, s, []byte("never locked"))
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	if err := l.Retain(ctx, retained, until); err != nil {
		t.Fatalf("Retain: %v", err)
	}
	if err := l.Retain(ctx, retained, until.Add(-30*time.Minute)); err != nil {
		t.Fatalf("Retain earlier: %v", err)
	}
	key := s.blobKey(retained)
	ret, err := s.client.GetObjectRetention(ctx, &s3sdk.GetObjectRetentionInput{Bucket: &s.cfg.Bucket, Key: &key})
	if err != nil || !aws.ToTime(ret.Retention.RetainUntilDate).Equal(until) {
		t.Fatalf("retention after an earlier date: %+v, %v; want until %v", ret, err, until)
	}
	if err := l.LegalHold(ctx, held, true); err != nil {
		t.Fatalf("LegalHold on: %v", err)
	}
	if err := directDelete(t, s, retained); err == nil {
		t.Fatal("direct delete of a retained version succeeded")
	}
	if err := directDelete(t, s, held); err == nil {
		t.Fatal("direct delete of a held version succeeded")
	}
	for _, d := range []cas.Digest{retained, held} {
		if _, err := read(t, s, d); err != nil {
			t.Fatalf("locked blob after direct delete: %v", err)
		}
	}

	// A delete marker removes no bytes: trashing a locked blob works,
	// purging it does not, and it comes back.
	if err := s.Trash(ctx, retained); err != nil {
		t.Fatalf("Trash of a retained blob: %v", err)
	}
	if err := s.Purge(ctx, retained); err == nil {
		t.Fatal("Purge of a retained blob succeeded")
	}
	if err := s.Untrash(ctx, retained); err != nil {
		t.Fatalf("Untrash of a retained blob: %v", err)
	}
	if _, err := read(t, s, retained); err != nil {
		t.Fatalf("retained blob after a refused purge: %v", err)
	}

	if err := l.LegalHold(ctx, held, false); err != nil {
		t.Fatalf("LegalHold off: %v", err)
	}
	if err := directDelete(t, s, held); err != nil {
		t.Fatalf("direct delete after the hold's release: %v", err)
	}
	if err := directDelete(t, s, free); err != nil {
		t.Fatalf("direct delete of an unlocked blob: %v", err)
	}
}

// TestObjectLockOff: without Config.ObjectLock the store has no Locker,
// and on a bucket created without object lock CheckLock says so.
func TestObjectLockOff(t *testing.T) {
	g := server(t)
	if l := newBucket(t, g, Config{}, true, false).Locker(); l != nil {
		t.Fatal("Locker without ObjectLock")
	}
	s := newBucket(t, g, Config{ObjectLock: true}, true, false)
	d := put(t, s, []byte("bucket without object lock"))
	if err := s.CheckLock(t.Context()); !errors.Is(err, ErrNoObjectLock) {
		t.Fatalf("CheckLock: %v, want ErrNoObjectLock", err)
	}
	if err := s.Locker().LegalHold(t.Context(), d, true); !errors.Is(err, ErrNoObjectLock) {
		t.Fatalf("LegalHold: %v, want ErrNoObjectLock", err)
	}
}
