package retention

import (
	"errors"
	"slices"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// TestDeletionLifecycle drives one package through its whole life with the
// injected clock: create, extend, hold, expire (no deletion while held),
// release, eligible, delete, restore, delete, purge; each step's entries
// and where the bytes are, on the local store (a trash folder) and on
// versitygw (delete markers on a versioned bucket with object lock, where
// the hold is an S3 legal hold too).
func TestDeletionLifecycle(t *testing.T) {
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) { testDeletionLifecycle(t, newFixtureOn(t, b)) })
	}
}

func testDeletionLifecycle(t *testing.T, f *fixture) {
	ctx := t.Context()
	p, d := f.withFile("transient", "lifecycle evidence") // expires in 7d
	if _, err := f.svc.Extend(ctx, "officer", "acme", p.ID, ExtendRequest{Duration: "1d", Reason: "audit"}); err != nil {
		t.Fatal(err)
	}
	h, err := f.svc.ApplyHold(ctx, "counsel", "acme", p.ID, HoldRequest{Reason: "litigation"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(day(9))
	mark := f.size()
	if _, err := f.del.Delete(ctx, "officer", "acme", p.ID, DeleteRequest{Reason: "expired", Admin: true}); !errors.Is(err, ErrHeld) {
		t.Fatalf("delete while held: %v, want ErrHeld", err)
	}
	res, err := f.del.Sweep(ctx, "system", "acme", false)
	if err != nil || len(res.Eligible) != 0 || f.size() != mark {
		t.Fatalf("sweep while held: %+v, %v, log %d -> %d", res, err, mark, f.size())
	}
	f.expectWhere("held", map[cas.Digest]string{d: inStore})
	f.expectLegalHold("held", d, true)

	if _, err := f.svc.ReleaseHold(ctx, "counsel", "acme", p.ID, h.HoldID, "settled"); err != nil {
		t.Fatal(err)
	}
	mark = f.size()
	res, err = f.del.Sweep(ctx, "system", "acme", false)
	if err != nil || len(res.Eligible) != 1 || !res.Eligible[0].Announced || res.BytesFreed != int64(len("lifecycle evidence")) {
		t.Fatalf("sweep after release: %+v, %v", res, err)
	}
	if res, err = f.del.Sweep(ctx, "system", "acme", false); err != nil || len(res.Eligible) != 1 || res.Eligible[0].Announced {
		t.Fatalf("second sweep announced again: %+v, %v", res, err)
	}
	if got := f.typesSince(mark); !slices.Equal(got, []string{TypeDeletionEligible}) {
		t.Fatalf("sweeps appended %v, want one %s", got, TypeDeletionEligible)
	}
	f.expectWhere("eligible", map[cas.Digest]string{d: inStore})
	f.expectLegalHold("released", d, false)

	steps := []struct {
		name  string
		do    func() error
		types []string
		where string
		gone  bool
	}{
		{"delete", func() error {
			_, err := f.del.Delete(ctx, "officer", "acme", p.ID, DeleteRequest{Reason: "expired"})
			return err
		}, []string{TypeDeletionStarted, TypeDeletionCompleted}, inTrash, true},
		{"restore", func() error { _, err := f.del.Restore(ctx, "officer", "acme", p.ID, "needed after all"); return err },
			[]string{TypeDeletionReversed}, inStore, false},
		{"delete again", func() error {
			_, err := f.del.Delete(ctx, "officer", "acme", p.ID, DeleteRequest{Reason: "now really"})
			return err
		}, []string{TypeDeletionStarted, TypeDeletionCompleted}, inTrash, true},
		{"purge within the grace period", func() error {
			f.clock.Advance(day(6))
			_, err := f.del.Purge(ctx, "system", "acme")
			return err
		}, nil, inTrash, true},
		{"purge by the sweep after it", func() error {
			f.clock.Advance(day(2))
			res, err := f.del.Sweep(ctx, "system", "acme", false)
			if err == nil && (len(res.Purged) != 1 || res.Purged[0].Bytes != int64(len("lifecycle evidence"))) {
				t.Fatalf("sweep purged %+v", res.Purged)
			}
			return err
		}, []string{TypeDeletionPurged}, nowhere, true},
	}
	for _, s := range steps {
		mark := f.size()
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := f.typesSince(mark); !slices.Equal(got, s.types) {
			t.Fatalf("%s appended %v, want %v", s.name, got, s.types)
		}
		f.expectWhere(s.name, map[cas.Digest]string{d: s.where})
		if s.where == inStore {
			f.expectBytes(s.name, d, "lifecycle evidence")
		}
		if err := f.svc.CheckReadable(p.ID); (err != nil) != s.gone || s.gone && !errors.Is(err, ErrGone) {
			t.Fatalf("%s: readable check %v, want gone %v", s.name, err, s.gone)
		}
	}
	v, err := f.svc.View(ctx, "acme", p.ID)
	if err != nil || v.Deletion == nil || v.Deletion.State != StatePurged || v.Deletion.Deletions != 2 || v.Eligible {
		t.Fatalf("view after purge: %+v, %v", v.Deletion, err)
	}
	if _, err := f.cat.Catalog.Package("acme", p.ID); err != nil {
		t.Fatalf("the purged package's metadata: %v", err)
	}
	if _, err := f.del.Restore(ctx, "officer", "acme", p.ID, "too late"); !errors.Is(err, ErrPurged) {
		t.Fatalf("restore after purge: %v, want ErrPurged", err)
	}
}

// TestDeletionDedup: two packages share a blob; deleting one keeps the
// bytes, deleting both moves them to the trash, and the purge removes them
// only when both deletions are purged.
func TestDeletionDedup(t *testing.T) {
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) { testDeletionDedup(t, newFixtureOn(t, b)) })
	}
}

func testDeletionDedup(t *testing.T, f *fixture) {
	ctx := t.Context()
	a, shared := f.withFile("transient", "shared bytes")
	b, _ := f.withFile("transient", "shared bytes")
	own := f.upload("acme", b.ID, "own.txt", "only in b")
	f.clock.Advance(day(8))
	res, err := f.del.Sweep(ctx, "system", "acme", true)
	if err != nil || len(res.Eligible) != 2 || res.BytesFreed != int64(len("shared bytes")+len("only in b")) {
		t.Fatalf("dry run: %+v, %v; want both packages and the shared blob counted once", res, err)
	}
	delA, err := f.del.Delete(ctx, "o", "acme", a.ID, DeleteRequest{Reason: "r"})
	if err != nil || delA.Bytes != 0 || delA.State != StateDeleted {
		t.Fatalf("delete a: %+v, %v; want nothing freed", delA, err)
	}
	f.expectWhere("a deleted", map[cas.Digest]string{shared: inStore, own: inStore})
	delB, err := f.del.Delete(ctx, "o", "acme", b.ID, DeleteRequest{Reason: "r"})
	if err != nil || delB.Bytes != int64(len("shared bytes")+len("only in b")) {
		t.Fatalf("delete b: %+v, %v", delB, err)
	}
	f.expectWhere("both deleted", map[cas.Digest]string{shared: inTrash, own: inTrash})
	rep, err := f.cat.Scrub(ctx, "system", false)
	if err != nil || rep.Missing != 0 || rep.Withheld != 2 || rep.Checked != 0 {
		t.Fatalf("scrub with both deleted: %+v, %v; want the two trashed blobs withheld, not missing", rep, err)
	}

	// a, deleted first, is restored: it needs the blob b's deletion trashed.
	if _, err := f.del.Restore(ctx, "o", "acme", a.ID, "back"); err != nil {
		t.Fatal(err)
	}
	f.expectWhere("a restored", map[cas.Digest]string{shared: inStore, own: inTrash})
	f.clock.Advance(day(8))
	purged, err := f.del.Purge(ctx, "system", "")
	if err != nil || len(purged) != 1 || !slices.Equal(purged[0].Blobs, []string{own.String()}) {
		t.Fatalf("purge: %+v, %v; want only b's own blob", purged, err)
	}
	f.expectWhere("b purged", map[cas.Digest]string{shared: inStore, own: nowhere})

	// Deleted again, a frees the shared blob, which goes when a is purged.
	if _, err := f.del.Delete(ctx, "o", "acme", a.ID, DeleteRequest{Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	f.expectWhere("a deleted again", map[cas.Digest]string{shared: inTrash})
	f.clock.Advance(day(8))
	if purged, err = f.del.Purge(ctx, "system", "acme"); err != nil || len(purged) != 1 || len(purged[0].Blobs) != 1 {
		t.Fatalf("purge a: %+v, %v", purged, err)
	}
	f.expectWhere("a purged", map[cas.Digest]string{shared: nowhere, own: nowhere})
}

// TestDeletionKeepsLiveObjects: a blob also held by an object put by key
// is not freed by deleting the package.
func TestDeletionKeepsLiveObjects(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p, d := f.withFile("transient", "also an object")
	if _, err := f.cat.PutObject(ctx, "ci", "acme", "copies/x", "text/plain", nil, catalog.Landing{}, stringsReader("also an object")); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(day(8))
	del, err := f.del.Delete(ctx, "o", "acme", p.ID, DeleteRequest{Reason: "r"})
	if err != nil || del.Bytes != 0 || del.Blobs[0].Freed {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	f.expectWhere("deleted", map[cas.Digest]string{d: inStore})
}

// TestEarlyDeletion: a governance-mode package may be deleted before its
// expiry by retention:admin (recorded as early), never a compliance-mode
// one, by anyone.
func TestEarlyDeletion(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	gov, d := f.withFile("transient", "governance")
	comp, c := f.withFile("locked", "compliance")
	forever, _ := f.withFile("permanent-record", "forever")
	del, err := f.del.Delete(ctx, "admin", "acme", gov.ID, DeleteRequest{Reason: "mistaken upload", Admin: true})
	if err != nil || !del.Early {
		t.Fatalf("early deletion by admin: %+v, %v", del, err)
	}
	if _, err := f.del.Delete(ctx, "admin", "acme", forever.ID, DeleteRequest{Reason: "r", Admin: true}); err != nil {
		t.Fatalf("early deletion of a package kept forever, governance: %v", err)
	}
	mark := f.size()
	for _, admin := range []bool{false, true} {
		if _, err := f.del.Delete(ctx, "admin", "acme", comp.ID, DeleteRequest{Reason: "r", Admin: admin}); !errors.Is(err, ErrCompliance) {
			t.Fatalf("early deletion in compliance mode (admin %v): %v", admin, err)
		}
	}
	if f.size() != mark {
		t.Fatal("a refused deletion appended")
	}
	f.expectWhere("early", map[cas.Digest]string{d: inTrash, c: inStore})
	f.clock.Advance(day(8))
	if _, err := f.del.Delete(ctx, "o", "acme", comp.ID, DeleteRequest{Reason: "expired"}); err != nil {
		t.Fatalf("compliance package after expiry: %v", err)
	}
}

// TestDeletionRefuses sends each bad request and expects its error with
// nothing appended to the log and nothing moved in the store (on
// versitygw: no version or delete marker added or removed).
func TestDeletionRefuses(t *testing.T) {
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) { testDeletionRefuses(t, newFixtureOn(t, b)) })
	}
}

func testDeletionRefuses(t *testing.T, f *fixture) {
	ctx := t.Context()
	deleted, _ := f.withFile("transient", "deleted")
	live, _ := f.withFile("transient", "live")
	purged, _ := f.withFile("transient", "purged")
	f.clock.Advance(day(8))
	if _, err := f.del.Delete(ctx, "o", "acme", purged.ID, DeleteRequest{Reason: "allowed"}); err != nil {
		t.Fatalf("the allowed deletion: %v", err)
	}
	f.clock.Advance(day(8))
	if _, err := f.del.Purge(ctx, "system", "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.del.Delete(ctx, "o", "acme", deleted.ID, DeleteRequest{Reason: "allowed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.del.Restore(ctx, "o", "acme", deleted.ID, "allowed"); err != nil {
		t.Fatalf("the allowed restore: %v", err)
	}
	if _, err := f.del.Delete(ctx, "o", "acme", deleted.ID, DeleteRequest{Reason: "allowed"}); err != nil {
		t.Fatal(err)
	}
	young, _ := f.withFile("transient", "young")
	held, _ := f.withFile("transient", "held")
	if _, err := f.svc.ApplyHold(ctx, "c", "acme", held.ID, HoldRequest{Reason: "case"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(day(8))
	if _, err := f.svc.ApplyHold(ctx, "c", "acme", young.ID, HoldRequest{Reason: "case"}); err != nil {
		t.Fatal(err)
	}
	unexpired, _ := f.withFile("transient", "unexpired")
	locked, _ := f.withFile("locked", "locked")
	evil := f.createFor("evil", "transient")
	f.clock.Advance(day(1))
	del := func(tenant, id, reason string, admin bool) func() error {
		return func() error {
			_, err := f.del.Delete(ctx, "o", tenant, id, DeleteRequest{Reason: reason, Admin: admin})
			return err
		}
	}
	restore := func(id, reason string) func() error {
		return func() error { _, err := f.del.Restore(ctx, "o", "acme", id, reason); return err }
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"unknown package", del("acme", catalog.NewID("pkg"), "r", true), catalog.ErrPackageNotFound},
		{"another tenant's package", del("acme", evil.ID, "r", true), catalog.ErrPackageNotFound},
		{"another tenant deleting ours", del("evil", live.ID, "r", true), catalog.ErrPackageNotFound},
		{"a deleted package", del("acme", deleted.ID, "r", true), ErrAlreadyDeleted},
		{"a purged package", del("acme", purged.ID, "r", true), ErrAlreadyDeleted},
		{"unexpired", del("acme", unexpired.ID, "r", false), ErrNotExpired},
		{"held", del("acme", held.ID, "r", true), ErrHeld},
		{"held and unexpired, admin", del("acme", young.ID, "r", true), ErrHeld},
		{"early in compliance mode, admin", del("acme", locked.ID, "r", true), ErrCompliance},
		{"missing reason", del("acme", live.ID, " ", true), ErrReasonRequired},
		{"restore after purge", restore(purged.ID, "r"), ErrPurged},
		{"restore a live package", restore(live.ID, "r"), ErrNotDeleted},
		{"restore without reason", restore(deleted.ID, ""), ErrReasonRequired},
		{"restore another tenant's", restore(evil.ID, "r"), catalog.ErrPackageNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, files := f.size(), f.blobs()
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if after := f.size(); after != before {
				t.Fatalf("log grew from %d to %d", before, after)
			}
			if after := f.blobs(); !slices.Equal(after, files) {
				t.Fatalf("store changed from %v to %v", files, after)
			}
		})
	}
}
