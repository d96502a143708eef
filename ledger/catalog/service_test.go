package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/verifier"
)

func openLog(t *testing.T, dir string) *ledger.Log {
	t.Helper()
	lg, _ := ledgertest.Open(t, dir, ledgertest.Options{Origin: "assay.test/catalog", Modules: []ledger.Module{Module()}})
	return lg
}

func newService(t *testing.T) *Service {
	t.Helper()
	st, err := local.Open(local.Config{Root: filepath.Join(t.TempDir(), "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Catalog: New(openLog(t, filepath.Join(t.TempDir(), "ledger"))), Store: st, Classes: DefaultClasses(), ReadEvents: true}
}

func appendRaw(t *testing.T, s *Service, typ, tenant string, body any) error {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Catalog.log.Append(t.Context(), ledger.Entry{Type: typ, Actor: "tester", Tenant: tenant, Body: b})
	return err
}

// TestAppliersRefuse appends entries that bypass the service's prechecks,
// as a racing request or a hostile bundle would, and expects each applier
// to refuse them with nothing written.
func TestAppliersRefuse(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	p, err := s.CreatePackage(ctx, "ci", "acme", CreateRequest{Name: "build", RetentionClass: "transient"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.AddFile(ctx, "ci", "acme", p.ID, "a.txt", "text/plain", Landing{}, strings.NewReader("a"))
	if err != nil {
		t.Fatal(err)
	}
	dup := FileAdded{PackageID: p.ID, FileID: NewID("file"), Path: "a.txt", ObjectRef: f.ObjectRef}
	other := cas.DigestOf([]byte("b")).String()
	fin := PackageFinalized{PackageID: p.ID, ManifestDigest: f.Digest, FileCount: 1, TotalSize: 1}
	tests := []struct {
		name, typ, tenant string
		body              any
		want              error
	}{
		{"duplicate path", TypeFileAdded, "acme", dup, ErrDuplicatePath},
		{"other tenant's package", TypeFileAdded, "evil", FileAdded{PackageID: p.ID, FileID: NewID("file"), Path: "b", ObjectRef: withKey(f.ObjectRef, p.ID, "b")}, ErrPackageNotFound},
		{"key outside the package", TypeFileAdded, "acme", FileAdded{PackageID: p.ID, FileID: NewID("file"), Path: "b", ObjectRef: f.ObjectRef}, ErrInvalidBody},
		{"reused package id", TypePackageCreated, "acme", PackageCreated{PackageID: p.ID, Name: "x"}, ErrPackageExists},
		{"unknown retention mode", TypePackageCreated, "acme", PackageCreated{PackageID: NewID("pkg"), Name: "x", Retention: Retention{Class: "transient", Period: "7d", Mode: "lenient"}}, ErrInvalidBody},
		{"stale manifest", TypePackageFinalized, "acme", PackageFinalized{PackageID: p.ID, ManifestDigest: f.Digest, FileCount: 2, TotalSize: 1}, ErrStaleManifest},
		{"object under packages/", TypeObjectPut, "acme", ObjectPut{ObjectRef: f.ObjectRef}, ErrPathReserved},
		{"unknown field", TypeObjectRead, "acme", map[string]any{"zone": "raw", "bogus": 1}, ErrInvalidBody},
		{"landing digest not the object's", TypeObjectPut, "acme", ObjectPut{ObjectRef: rawRef(f.ObjectRef, "x"), Landing: &Landing{ExpectedDigest: other}}, ErrInvalidBody},
		{"landing commit malformed", TypeObjectPut, "acme", ObjectPut{ObjectRef: rawRef(f.ObjectRef, "x"), Landing: &Landing{Commit: "HEAD"}}, ErrInvalidBody},
		{"landing of a file, digest not its own", TypeFileAdded, "acme", FileAdded{PackageID: p.ID, FileID: NewID("file"), Path: "c",
			ObjectRef: withKey(f.ObjectRef, p.ID, "c"), Landing: &Landing{ExpectedDigest: other}}, ErrInvalidBody},
		{"landing with 17 custody references", TypeObjectPut, "acme", ObjectPut{ObjectRef: rawRef(f.ObjectRef, "x"), Landing: &Landing{Custody: make([]string, 17)}}, ErrInvalidBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, _ := s.Catalog.log.Head()
			if err := appendRaw(t, s, tt.typ, tt.tenant, tt.body); !errors.Is(err, tt.want) {
				t.Fatalf("append = %v, want %v", err, tt.want)
			}
			if after, _ := s.Catalog.log.Head(); after != before {
				t.Fatalf("log grew from %d to %d", before, after)
			}
		})
	}
	if err := appendRaw(t, s, TypePackageFinalized, "acme", fin); err != nil {
		t.Fatal(err)
	}
	late := FileAdded{PackageID: p.ID, FileID: NewID("file"), Path: "late", ObjectRef: withKey(f.ObjectRef, p.ID, "late")}
	if err := appendRaw(t, s, TypeFileAdded, "acme", late); !errors.Is(err, ErrPackageFinalized) {
		t.Fatalf("file after finalize = %v, want ErrPackageFinalized", err)
	}
}

// rawRef is r at raw/key.
func rawRef(r ObjectRef, key string) ObjectRef {
	r.Key = key
	return r
}

func withKey(r ObjectRef, pkg, path string) ObjectRef {
	r.Key = PackageKey(pkg, path)
	return r
}

// TestReplay imports a catalog's entries into an empty ledger and expects
// the same packages, files, objects and manifest.
func TestReplay(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	p := fill(ctx, t, s)
	size, root := s.Catalog.log.Head()
	entries, err := s.Catalog.log.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	mirror := New(openLog(t, filepath.Join(t.TempDir(), "mirror")))
	if _, err := mirror.log.Import(ctx, 0, entries, verifier.EmptyRoot(), root); err != nil {
		t.Fatal(err)
	}
	want, _, err := s.Catalog.Manifest(ctx, "acme", p.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := mirror.Manifest(ctx, "acme", p.ID)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("mirror manifest = %s, %v; want %s", got, err, want)
	}
	o1, _ := s.Catalog.Object("acme", ZoneRaw, "k")
	o2, err := mirror.Object("acme", ZoneRaw, "k")
	if err != nil || o1.Version != o2.Version || o2.Versions != 2 || o2.Landing == nil || o2.Landing.Custody[0] != "ticket:v2" ||
		o2.Landing.ExpectedDigest != o1.Digest {
		t.Fatalf("mirror object = %+v, %v; want %+v with its landing", o2, err, o1)
	}
}

// fill creates a finalized package of two files and an object put twice.
func fill(ctx context.Context, t *testing.T, s *Service) *Package {
	t.Helper()
	p, err := s.CreatePackage(ctx, "ci", "acme", CreateRequest{Name: "n", RetentionClass: "release-evidence", Metadata: json.RawMessage(`{"k":"v"}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"b/report.md", "a.txt"} {
		if _, err := s.AddFile(ctx, "ci", "acme", p.ID, path, "text/plain", Landing{}, strings.NewReader(path)); err != nil {
			t.Fatal(err)
		}
	}
	if p, err = s.Finalize(ctx, "ci", "acme", p.ID); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"v1", "v2"} {
		land := Landing{Source: "github.com/acme/app", Commit: "0123abcd", ExpectedDigest: cas.DigestOf([]byte(v)).String(), Custody: []string{"ticket:" + v}}
		if _, err := s.PutObject(ctx, "ci", "acme", "k", "text/plain", nil, land, strings.NewReader(v)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestScrubCounts(t *testing.T) {
	ctx := t.Context()
	s := newService(t)
	fill(ctx, t, s)
	rep, err := s.Scrub(ctx, "ops", true)
	if err != nil || rep.Checked != 4 || rep.Corrupt+rep.Missing+rep.Failed != 0 {
		t.Fatalf("scrub = %+v, %v; want 4 intact", rep, err)
	}
	d := cas.DigestOf([]byte("v1"))
	if err := s.Store.Delete(ctx, d); err != nil {
		t.Fatal(err)
	}
	rep, err = s.Scrub(ctx, "ops", false)
	if err != nil || rep.Missing != 1 || len(rep.Findings) != 1 || rep.Findings[0].Digest != d.String() {
		t.Fatalf("scrub = %+v, %v; want %s missing", rep, err, d)
	}
}

// TestComplianceMode creates a package of a compliance class and one of a
// governance class: the mode is decided at creation, from the class.
func TestComplianceMode(t *testing.T) {
	s := newService(t)
	if err := s.Classes.SetCompliance("release-evidence"); err != nil {
		t.Fatal(err)
	}
	for class, want := range map[string]string{"release-evidence": ModeCompliance, "transient": ""} {
		p, err := s.CreatePackage(t.Context(), "ci", "acme", CreateRequest{Name: "n", RetentionClass: class})
		if err != nil || p.Retention.Mode != want {
			t.Fatalf("%s package: %+v, %v; want mode %q", class, p, err, want)
		}
	}
}
