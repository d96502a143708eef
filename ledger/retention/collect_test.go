package retention

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// TestCollect: a blob put straight into the store and never referenced is
// collected after the safety age and not before, goes to the trash, and
// is purged after the grace period; a referenced blob never is; a
// collected blob whose bytes an upload puts again is kept. On the local
// store and on versitygw.
func TestCollect(t *testing.T) {
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) { testCollect(t, newFixtureOn(t, b)) })
	}
}

func testCollect(t *testing.T, f *fixture) {
	ctx := t.Context()
	// The safety age is judged against the times the store wrote the
	// blobs, which are real: start the injected clock at the real time.
	if f.gw == nil {
		f.clock.Advance(time.Since(ledgertest.Start))
	}
	_, ref := f.withFile("permanent-record", "referenced bytes")
	orphan := f.putDirect("left by a rejected upload")
	again := f.putDirect("put again after collection")

	steps := []struct {
		name      string
		advance   time.Duration
		types     []string
		collected []cas.Digest
		where     map[cas.Digest]string
	}{
		{"at once", 0, nil, nil, map[cas.Digest]string{ref: inStore, orphan: inStore, again: inStore}},
		{"just before the safety age", DefaultCollectAge - time.Minute, nil, nil,
			map[cas.Digest]string{ref: inStore, orphan: inStore, again: inStore}},
		{"after the safety age", 2 * time.Minute, []string{TypeDeletionCollected}, []cas.Digest{orphan, again},
			map[cas.Digest]string{ref: inStore, orphan: inTrash, again: inTrash}},
		{"again, nothing new", time.Hour, nil, nil, map[cas.Digest]string{ref: inStore, orphan: inTrash, again: inTrash}},
	}
	for _, s := range steps {
		f.clock.Advance(s.advance)
		mark := f.size()
		res, err := f.del.Collect(ctx, "system")
		if err != nil {
			t.Fatalf("%s: Collect: %v", s.name, err)
		}
		if got := f.typesSince(mark); !slices.Equal(got, s.types) {
			t.Fatalf("%s appended %v, want %v", s.name, got, s.types)
		}
		var got []string
		for _, c := range res.Collected {
			got = append(got, c.Digest)
		}
		if want := digestStrings(s.collected); !slices.Equal(sorted(got), want) {
			t.Fatalf("%s collected %v, want %v", s.name, got, want)
		}
		f.expectWhere(s.name, s.where)
	}

	// An upload puts the bytes of a collected blob again: it is live and
	// referenced, and the purge keeps it.
	p := f.create("permanent-record")
	if d := f.upload("acme", p.ID, "again.txt", "put again after collection"); d != again {
		t.Fatalf("upload digest %s, want %s", d, again)
	}
	f.clock.Advance(DefaultGrace + time.Hour)
	mark := f.size()
	res, err := f.del.Collect(ctx, "system")
	if err != nil {
		t.Fatalf("Collect after the grace period: %v", err)
	}
	if got := f.typesSince(mark); !slices.Equal(got, []string{TypeCollectionPurged}) {
		t.Fatalf("purge appended %v", got)
	}
	if !slices.Equal(res.Purged, []string{orphan.String()}) || !slices.Equal(res.Kept, []string{again.String()}) {
		t.Fatalf("purged %v, kept %v; want %s purged, %s kept", res.Purged, res.Kept, orphan, again)
	}
	f.expectWhere("purged", map[cas.Digest]string{ref: inStore, orphan: nowhere, again: inStore})
	f.expectBytes("kept", again, "put again after collection")
	f.expectBytes("referenced", ref, "referenced bytes")
	mark = f.size()
	if _, err := f.del.Collect(ctx, "system"); err != nil || f.size() != mark {
		t.Fatalf("a collection with nothing to do: %v, log %d -> %d", err, mark, f.size())
	}
}

// putDirect puts data straight into the store, as an upload whose entry
// was never appended leaves it.
func (f *fixture) putDirect(data string) cas.Digest {
	f.t.Helper()
	info, err := f.store.Put(f.t.Context(), strings.NewReader(data), cas.Digest{})
	if err != nil {
		f.t.Fatal(err)
	}
	return info.Digest
}

func digestStrings(ds []cas.Digest) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return sorted(out)
}

func sorted(s []string) []string { slices.Sort(s); return s }

// TestCollectApplierRefuses appends collection entries that break the
// rules and expects each refused with nothing appended.
func TestCollectApplierRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	_, ref := f.withFile("permanent-record", "referenced")
	orphan := f.putDirect("orphan")
	grace := f.clock.Now().Add(DefaultGrace)
	ok := DeletionCollected{Blobs: []CollectedBlob{{Digest: orphan.String(), Size: 6}}, Bytes: 6, MinAge: "24h0m0s", GraceUntil: grace}
	if _, err := f.log.AppendJSON(ctx, TypeDeletionCollected, "system", "", ok); err != nil {
		t.Fatalf("the allowed collection: %v", err)
	}
	tests := []struct {
		name, typ, tenant string
		body              any
		want              error
	}{
		{"a referenced blob", TypeDeletionCollected, "", DeletionCollected{Blobs: []CollectedBlob{{Digest: ref.String(), Size: 10}},
			Bytes: 10, MinAge: "24h", GraceUntil: grace}, ErrChanged},
		{"collected twice", TypeDeletionCollected, "", ok, ErrChanged},
		{"a tenant's", TypeDeletionCollected, "acme", ok, ErrInvalidBody},
		{"wrong bytes", TypeDeletionCollected, "", DeletionCollected{Blobs: []CollectedBlob{{Digest: f.putDirect("other").String(), Size: 5}},
			Bytes: 4, MinAge: "24h", GraceUntil: grace}, ErrInvalidBody},
		{"purge within the grace period", TypeCollectionPurged, "", CollectionPurged{Purged: []string{orphan.String()}, Bytes: 6}, ErrGraceNotOver},
		{"purge of a blob not collected", TypeCollectionPurged, "", CollectionPurged{Purged: []string{ref.String()}, Bytes: 10}, ErrChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := f.size()
			if _, err := f.log.AppendJSON(ctx, tt.typ, "system", tt.tenant, tt.body); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if f.size() != mark {
				t.Fatal("a refused entry was appended")
			}
		})
	}
	f.clock.Advance(DefaultGrace)
	if _, err := f.log.AppendJSON(ctx, TypeCollectionPurged, "system", "", CollectionPurged{Purged: []string{orphan.String()}, Kept: []string{}, Bytes: 5}); !errors.Is(err, ErrInvalidBody) {
		t.Fatalf("purge with wrong bytes: %v", err)
	}
	if _, err := f.log.AppendJSON(ctx, TypeCollectionPurged, "system", "", CollectionPurged{Purged: []string{orphan.String()}, Bytes: 6}); err != nil {
		t.Fatalf("the allowed purge: %v", err)
	}
}

// TestCollectRace: an upload found the bytes of an unreferenced blob in
// the store (so wrote nothing) just before a collection moved them to the
// trash, and appended its file.added (or object.put) after the
// collection's second look: the catalog's hook brings the bytes back as
// soon as the entry is durable.
func TestCollectRace(t *testing.T) {
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) {
			f := newFixtureOn(t, b)
			ctx := t.Context()
			if f.gw == nil {
				f.clock.Advance(time.Since(ledgertest.Start))
			}
			const data, objData = "reused at the wrong moment", "reused by an object put by key"
			orphan, objOrphan := f.putDirect(data), f.putDirect(objData)
			f.clock.Advance(DefaultCollectAge + time.Minute)
			if res, err := f.del.Collect(ctx, "system"); err != nil || len(res.Collected) != 2 {
				t.Fatalf("Collect: %+v, %v", res, err)
			}
			f.expectWhere("collected", map[cas.Digest]string{orphan: inTrash, objOrphan: inTrash})
			// The upload's entry, for bytes it found in the store earlier.
			p := f.create("permanent-record")
			h := cas.NewHasher()
			h.Write([]byte(data))
			body := catalog.FileAdded{PackageID: p.ID, FileID: catalog.NewID("file"), Path: "late.txt",
				ObjectRef: catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: catalog.PackageKey(p.ID, "late.txt"), Digest: orphan.String(),
					Size: int64(len(data)), BLAKE3: h.Info().BLAKE3, MediaType: "text/plain"}}
			a, err := f.log.AppendJSON(ctx, catalog.TypeFileAdded, "ci", "acme", body)
			if err != nil {
				t.Fatal(err)
			}
			file := &catalog.File{FileID: body.FileID, PackageID: p.ID, Path: body.Path, ObjectRef: body.ObjectRef, Index: a.Record.Index}
			if err := f.del.FileAdded(ctx, "acme", file); err != nil {
				t.Fatalf("FileAdded: %v", err)
			}
			f.expectWhere("referenced again", map[cas.Digest]string{orphan: inStore, objOrphan: inTrash})
			f.expectBytes("referenced again", orphan, data)

			oh := cas.NewHasher()
			oh.Write([]byte(objData))
			ref := catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: "copies/late.txt", Digest: objOrphan.String(),
				Size: int64(len(objData)), BLAKE3: oh.Info().BLAKE3, MediaType: "text/plain"}
			if _, err := f.log.AppendJSON(ctx, catalog.TypeObjectPut, "ci", "acme", catalog.ObjectPut{ObjectRef: ref}); err != nil {
				t.Fatal(err)
			}
			o, err := f.cat.Catalog.Object("acme", catalog.ZoneRaw, "copies/late.txt")
			if err != nil {
				t.Fatal(err)
			}
			if err := f.del.ObjectPut(ctx, "acme", o); err != nil {
				t.Fatalf("ObjectPut: %v", err)
			}
			f.expectWhere("object put", map[cas.Digest]string{objOrphan: inStore})
			f.expectBytes("object put", objOrphan, objData)
		})
	}
}
