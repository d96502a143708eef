package retention

import (
	"errors"
	"testing"
	"time"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// TestDeletionAppliersRefuse appends deletion entries that bypass the
// Deleter, as a racing request or a hostile bundle would: after the
// allowed entry of each kind, each refused one leaves the log as it was.
func TestDeletionAppliersRefuse(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p, _ := f.withFile("transient", "bytes")
	f.clock.Advance(day(8))
	young, _ := f.withFile("transient", "young bytes")
	exp := p.Retention.ExpiresAt
	blobs, n, err := f.svc.blobRefs(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	grace := f.clock.Now().Add(DefaultGrace)
	started := DeletionStarted{PackageID: p.ID, Reason: "r", ExpiresAt: exp, Blobs: blobs, Bytes: n, GraceUntil: grace}
	if err := f.appendRaw(TypeDeletionEligible, "acme", DeletionEligible{PackageID: p.ID, ExpiresAt: exp}); err != nil {
		t.Fatalf("the allowed announcement: %v", err)
	}
	if err := f.appendRaw(TypeDeletionStarted, "acme", started); err != nil {
		t.Fatalf("the allowed start: %v", err)
	}
	del, err := f.svc.Deletion("acme", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	at := del.StartedIndex
	if err := f.appendRaw(TypeDeletionCompleted, "acme", DeletionCompleted{PackageID: p.ID, StartedIndex: at, Trashed: 1}); err != nil {
		t.Fatalf("the allowed completion: %v", err)
	}
	youngBlobs, yn, err := f.svc.blobRefs(ctx, mustPackage(t, f, young.ID))
	if err != nil {
		t.Fatal(err)
	}
	wrongFreed := append([]BlobRef(nil), youngBlobs...)
	wrongFreed[0].Freed = !wrongFreed[0].Freed
	tests := []struct {
		name, typ, tenant string
		body              any
		want              error
	}{
		{"announced twice", TypeDeletionEligible, "acme", DeletionEligible{PackageID: p.ID, ExpiresAt: exp}, ErrInvalidBody},
		{"announce an unexpired package", TypeDeletionEligible, "acme", DeletionEligible{PackageID: young.ID, ExpiresAt: young.Retention.ExpiresAt}, ErrInvalidBody},
		{"start twice", TypeDeletionStarted, "acme", started, ErrAlreadyDeleted},
		{"start another tenant's", TypeDeletionStarted, "evil", started, catalog.ErrPackageNotFound},
		{"start unexpired, not early", TypeDeletionStarted, "acme", DeletionStarted{PackageID: young.ID, Reason: "r", Blobs: youngBlobs, Bytes: yn, GraceUntil: grace}, ErrNotExpired},
		{"start with a wrong freed flag", TypeDeletionStarted, "acme", DeletionStarted{PackageID: young.ID, Reason: "r", Early: true, Blobs: wrongFreed, Bytes: yn, GraceUntil: grace}, ErrChanged},
		{"start with files left out", TypeDeletionStarted, "acme", DeletionStarted{PackageID: young.ID, Reason: "r", Early: true, Blobs: []BlobRef{}, GraceUntil: grace}, ErrInvalidBody},
		{"start without grace", TypeDeletionStarted, "acme", DeletionStarted{PackageID: young.ID, Reason: "r", Early: true, Blobs: youngBlobs, Bytes: yn}, ErrInvalidBody},
		{"start without reason", TypeDeletionStarted, "acme", DeletionStarted{PackageID: young.ID, Early: true, Blobs: youngBlobs, Bytes: yn, GraceUntil: grace}, ErrReasonRequired},
		{"complete twice", TypeDeletionCompleted, "acme", DeletionCompleted{PackageID: p.ID, StartedIndex: at}, ErrInvalidBody},
		{"complete another deletion", TypeDeletionCompleted, "acme", DeletionCompleted{PackageID: p.ID, StartedIndex: at + 1}, ErrInvalidBody},
		{"fail a completed deletion", TypeDeletionFailed, "acme", DeletionFailed{PackageID: p.ID, StartedIndex: at, Error: "x"}, ErrInvalidBody},
		{"purge within grace", TypeDeletionPurged, "acme", DeletionPurged{PackageID: p.ID, StartedIndex: at, Purged: []string{blobs[0].Digest}, Bytes: n}, ErrGraceNotOver},
		{"reverse another tenant's", TypeDeletionReversed, "evil", DeletionReversed{PackageID: p.ID, StartedIndex: at, Reason: "r"}, catalog.ErrPackageNotFound},
		{"reverse a live package", TypeDeletionReversed, "acme", DeletionReversed{PackageID: young.ID, StartedIndex: at, Reason: "r"}, ErrInvalidBody},
		{"unknown field", TypeDeletionReversed, "acme", map[string]any{"package_id": p.ID, "started_index": at, "reason": "r", "x": 1}, ErrInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.size()
			if err := f.appendRaw(tt.typ, tt.tenant, tt.body); !errors.Is(err, tt.want) {
				t.Fatalf("append = %v, want %v", err, tt.want)
			}
			if after := f.size(); after != before {
				t.Fatalf("log grew from %d to %d", before, after)
			}
		})
	}
	f.clock.Advance(DefaultGrace + time.Second)
	wrong := DeletionPurged{PackageID: p.ID, StartedIndex: at, Purged: []string{}, Bytes: 0}
	if err := f.appendRaw(TypeDeletionPurged, "acme", wrong); !errors.Is(err, ErrChanged) {
		t.Fatalf("purge that keeps a blob nobody references: %v", err)
	}
	ok := DeletionPurged{PackageID: p.ID, StartedIndex: at, Purged: []string{blobs[0].Digest}, Bytes: n}
	if err := f.appendRaw(TypeDeletionPurged, "acme", ok); err != nil {
		t.Fatalf("the allowed purge: %v", err)
	}
	if err := f.appendRaw(TypeDeletionReversed, "acme", DeletionReversed{PackageID: p.ID, StartedIndex: at, Reason: "r"}); !errors.Is(err, ErrInvalidBody) {
		t.Fatalf("reverse a purged deletion: %v", err)
	}
}

func mustPackage(t *testing.T, f *fixture, id string) *catalog.Package {
	t.Helper()
	p, err := f.cat.Catalog.Package("acme", id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
