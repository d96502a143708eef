package retention

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/verifier"
)

// countTypes counts the entries of type typ in the log.
func (f *fixture) countTypes(typ string) int {
	return len(slices.DeleteFunc(f.typesSince(0), func(s string) bool { return s != typ }))
}

// TestResume simulates a deletion interrupted after deletion.started with
// some of its bytes moved: Resume finishes it with exactly one
// deletion.completed, and a second Resume finds nothing to do.
func TestResume(t *testing.T) {
	tests := []struct {
		name  string
		moved int // how many of the freed blobs the crash left in the trash
	}{
		{"nothing moved", 0},
		{"partly moved", 1},
		{"all moved", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := t.Context()
			p := f.create("transient")
			var ds []cas.Digest
			for _, s := range []string{"one", "two", "three"} {
				ds = append(ds, f.upload("acme", p.ID, s+".txt", s))
			}
			f.clock.Advance(day(8))
			// What Delete does before it moves bytes: the entry.
			blobs, n, err := f.svc.blobRefs(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			exp := p.Retention.ExpiresAt
			if _, err := f.svc.log.AppendJSON(ctx, TypeDeletionStarted, "o", "acme", DeletionStarted{PackageID: p.ID, Reason: "r",
				ExpiresAt: exp, Blobs: blobs, Bytes: n, GraceUntil: f.clock.Now().Add(DefaultGrace)}); err != nil {
				t.Fatal(err)
			}
			for _, r := range blobs[:tt.moved] {
				d, _ := cas.ParseDigest(r.Digest)
				if err := f.store.Trash(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.svc.CheckReadable(p.ID); !errors.Is(err, ErrGone) {
				t.Fatalf("a started deletion is readable: %v", err)
			}
			// The restarted server: a new Deleter over the same log.
			d2, err := NewDeleter(DeleterConfig{Service: f.svc, Store: f.store})
			if err != nil {
				t.Fatal(err)
			}
			if n, err := d2.Resume(ctx); err != nil || n != 1 {
				t.Fatalf("Resume = %d, %v; want 1", n, err)
			}
			if n, err := d2.Resume(ctx); err != nil || n != 0 {
				t.Fatalf("second Resume = %d, %v; want 0", n, err)
			}
			if got := f.countTypes(TypeDeletionCompleted); got != 1 {
				t.Fatalf("%d deletion.completed entries, want 1", got)
			}
			for _, d := range ds {
				f.expectWhere("resumed", map[cas.Digest]string{d: inTrash})
			}
			del, err := f.svc.Deletion("acme", p.ID)
			if err != nil || del.State != StateDeleted {
				t.Fatalf("deletion after resume: %+v, %v", del, err)
			}
		})
	}
}

// failingTrash refuses to trash one blob.
type failingTrash struct {
	cas.Store
	cas.Trasher
	refuse cas.Digest
}

func (s failingTrash) Trash(ctx context.Context, d cas.Digest) error {
	if d == s.refuse {
		return errors.New("disk on fire")
	}
	return s.Trasher.Trash(ctx, d)
}

// TestDeletionFailed: a store that refuses a move ends the deletion in
// deletion.failed naming what remains in the store; restoring it brings
// the rest back.
func TestDeletionFailed(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p, a := f.withFile("transient", "first")
	b := f.upload("acme", p.ID, "b.txt", "second")
	f.clock.Advance(day(8))
	refuse := max(a.String(), b.String())
	rd, _ := cas.ParseDigest(refuse)
	del, err := NewDeleter(DeleterConfig{Service: f.svc, Store: failingTrash{Store: f.store, Trasher: f.store, refuse: rd}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := del.Delete(ctx, "o", "acme", p.ID, DeleteRequest{Reason: "r"})
	if err != nil || got.State != StateFailed || !slices.Equal(got.Remaining, []string{refuse}) {
		t.Fatalf("delete = %+v, %v; want failed with %s remaining", got, err, refuse)
	}
	if f.where(rd) != inStore {
		t.Fatal("the refused blob left the store")
	}
	if _, err := f.del.Restore(ctx, "o", "acme", p.ID, "retry later"); err != nil {
		t.Fatal(err)
	}
	f.expectWhere("restored", map[cas.Digest]string{a: inStore, b: inStore})
}

// TestDeletionReplay imports a log with every deletion entry type into an
// empty ledger and expects the same retention projections.
func TestDeletionReplay(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	// Unreferenced blobs: one collected now, one written (by its
	// modification time) ten days later, collected at the end and still
	// pending then. Their ages are judged against real write times.
	f.clock.Advance(time.Since(ledgertest.Start))
	f.putDirect("orphan collected and purged")
	late := f.putDirect("orphan collected last")
	f.touch(late, f.clock.Now().Add(day(10)))
	f.clock.Advance(25 * time.Hour)
	if res, err := f.del.Collect(ctx, "system"); err != nil || len(res.Collected) != 1 {
		t.Fatalf("first collection: %+v, %v", res, err)
	}
	a, _ := f.withFile("transient", "shared")
	b, _ := f.withFile("transient", "shared")
	f.upload("acme", b.ID, "own.txt", "own")
	f.clock.Advance(day(8))
	if _, err := f.del.Sweep(ctx, "system", "acme", false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a.ID, b.ID} {
		if _, err := f.del.Delete(ctx, "o", "acme", p, DeleteRequest{Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.del.Restore(ctx, "o", "acme", a.ID, "back"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(day(8))
	if _, err := f.del.Purge(ctx, "system", ""); err != nil {
		t.Fatal(err)
	}
	if res, err := f.del.Collect(ctx, "system"); err != nil || len(res.Purged) != 1 || len(res.Collected) != 1 {
		t.Fatalf("second collection: %+v, %v", res, err)
	}
	size, root := f.log.Head()
	entries, err := f.log.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{TypeDeletionEligible, TypeDeletionStarted, TypeDeletionCompleted, TypeDeletionReversed, TypeDeletionPurged,
		TypeDeletionCollected, TypeCollectionPurged} {
		if f.countTypes(typ) == 0 {
			t.Fatalf("the log has no %s", typ)
		}
	}
	mirror := f.open(t.TempDir())
	if _, err := mirror.Import(ctx, 0, entries, verifier.EmptyRoot(), root); err != nil {
		t.Fatal(err)
	}
	want, got := retentionKeys(t, f.log), retentionKeys(t, mirror)
	if len(got) != len(want) {
		t.Fatalf("source has %d retention keys, mirror %d", len(want), len(got))
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Fatalf("key %q: source %s, mirror %s", k, v, got[k])
		}
	}
	var d Deletion
	if err := json.Unmarshal(want[string(deletionKey(b.ID))], &d); err != nil || d.State != StatePurged {
		t.Fatalf("b's deletion %+v, %v", d, err)
	}
	if _, ok := want[string(collectedKey(late.Hex()))]; !ok {
		t.Fatal("the last collected blob has no ret/coll key")
	}
}

// touch sets the modification time of blob d's file in the local store.
func (f *fixture) touch(d cas.Digest, at time.Time) {
	f.t.Helper()
	var found string
	err := filepath.WalkDir(f.storeRoot, func(path string, e fs.DirEntry, err error) error {
		if err == nil && e.Name() == d.Hex() && !strings.Contains(path, "/trash/") {
			found = path
		}
		return err
	})
	if err != nil || found == "" {
		f.t.Fatalf("find the file of %s: %v", d, err)
	}
	if err := os.Chtimes(found, at, at); err != nil {
		f.t.Fatal(err)
	}
}
