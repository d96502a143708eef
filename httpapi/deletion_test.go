package httpapi_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// withFile creates a package of class holding one file and returns the
// package and the file id.
func (f *retFixture) withFile(class, content string) (catalog.Package, string) {
	f.t.Helper()
	p := f.create(class)
	files, err := f.cli.UploadFiles(f.t.Context(), p.ID, []client.UploadFile{{Path: "a.txt", Body: strings.NewReader(content)}})
	if err != nil {
		f.t.Fatal(err)
	}
	return p, files[0].FileID
}

func (f *retFixture) get(path, token string) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return roundTrip(f.t, f.srv, req)
}

// storeFiles lists the files of the local store, live and trashed.
func (f *retFixture) storeFiles() []string {
	f.t.Helper()
	var out []string
	err := filepath.WalkDir(f.blobs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, "/tmp/") {
			out = append(out, strings.TrimPrefix(p, f.blobs))
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// TestDeletionFlow deletes a package over HTTP: its file answers 410 with
// the deletion's index, its package and manifest still answer marked
// deleted; restored, the file downloads again.
func TestDeletionFlow(t *testing.T) {
	t.Run("local", func(t *testing.T) { testDeletionFlow(t, newRetFixture(t)) })
	t.Run("versitygw", func(t *testing.T) {
		g := castest.StartVersityGW(t)
		g.SetAWSEnv(t)
		store, err := s3.New(t.Context(), s3.Config{Endpoint: g.Endpoint, Region: g.Region, Bucket: g.CreateBucket(t, true),
			PathStyle: true, ObjectLock: true})
		if err != nil {
			t.Fatal(err)
		}
		testDeletionFlow(t, newRetFixtureOn(t, store, store.Locker()))
	})
}

// TestDeletionUnversionedS3: on an S3 bucket without versioning a deletion
// answers 500 store-no-trash (the server log names the missing setting)
// before it logs anything or touches the bucket.
func TestDeletionUnversionedS3(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	const bucket = "unversioned"
	if _, err := g.Client().CreateBucket(t.Context(), &s3sdk.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	store, err := s3.New(t.Context(), s3.Config{Endpoint: g.Endpoint, Region: g.Region, Bucket: bucket, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	f := newRetFixtureOn(t, store, nil)
	p, file := f.withFile("transient", "kept on an unversioned bucket")
	f.clock.Advance(8 * 24 * time.Hour)
	before := f.size()
	r := f.post("/v1/packages/"+p.ID+"/delete", f.deleter, `{"reason":"expired"}`)
	prob := r.problem(t)
	if r.status != http.StatusInternalServerError || !strings.HasSuffix(prob.Type, "store-no-trash") {
		t.Fatalf("delete on an unversioned bucket: %d %s", r.status, r.body)
	}
	if f.size() != before {
		t.Fatalf("log grew from %d to %d", before, f.size())
	}
	if r := f.get("/v1/files/"+file+"/download", f.admin); r.status != http.StatusOK || string(r.body) != "kept on an unversioned bucket" {
		t.Fatalf("download after the refused deletion: %d %s", r.status, r.body)
	}
}

func testDeletionFlow(t *testing.T, f *retFixture) {
	ctx := t.Context()
	p, file := f.withFile("transient", "evidence bytes")
	if _, err := f.cli.Finalize(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	r := f.post("/v1/retention/sweep?dry_run=true", f.deleter, "")
	var sweep struct {
		Eligible []struct {
			PackageID string `json:"package_id"`
		} `json:"eligible"`
		BytesFreed int64 `json:"bytes_freed"`
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &sweep) != nil || len(sweep.Eligible) != 1 || sweep.BytesFreed != int64(len("evidence bytes")) {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	before := f.size()
	r = f.post("/v1/packages/"+p.ID+"/delete", f.deleter, `{"reason":"expired"}`)
	if r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	started := before // the deletion.started entry is the first appended

	r = f.get("/v1/files/"+file+"/download", f.admin)
	prob := r.problem(t)
	var members map[string]any
	_ = json.Unmarshal(r.body, &members)
	if r.status != http.StatusGone || prob.Type != wire.TypePackageGone || members["deletion_index"] != float64(started) {
		t.Fatalf("download of a deleted file: %d %s; want 410 with deletion_index %d", r.status, r.body, started)
	}
	if r := f.get("/v1/objects/raw/packages/"+p.ID+"/a.txt", f.admin); r.status != http.StatusGone {
		t.Fatalf("object of a deleted file: %d %s", r.status, r.body)
	}
	r = f.get("/v1/packages/"+p.ID, f.admin)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"state":"deleted"`) || !strings.Contains(string(r.body), `"name":"build"`) {
		t.Fatalf("package of a deleted package: %d %s", r.status, r.body)
	}
	r = f.get("/v1/packages/"+p.ID+"/manifest", f.admin)
	if r.status != http.StatusOK || r.header.Get(wire.DeletedIndexHeader) != strconv.FormatUint(started, 10) {
		t.Fatalf("manifest of a deleted package: %d %v", r.status, r.header)
	}

	if r := f.post("/v1/packages/"+p.ID+"/restore", f.deleter, `{"reason":"needed"}`); r.status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.status, r.body)
	}
	r = f.get("/v1/files/"+file+"/download", f.admin)
	if r.status != http.StatusOK || string(r.body) != "evidence bytes" {
		t.Fatalf("download after restore: %d %s", r.status, r.body)
	}
	if r := f.get("/v1/packages/"+p.ID+"/manifest", f.admin); r.header.Get(wire.DeletedIndexHeader) != "" {
		t.Fatalf("manifest after restore still marked deleted: %v", r.header)
	}
}

// TestDeletionBadInput: each refused request answers its own problem type
// and writes nothing, neither to the log nor to the store.
func TestDeletionBadInput(t *testing.T) {
	f := newRetFixture(t)
	ctx := t.Context()
	deleted, _ := f.withFile("transient", "deleted")
	purged, _ := f.withFile("transient", "purged")
	live, _ := f.withFile("transient", "live")
	held, _ := f.withFile("transient", "held")
	if _, err := f.cli.ApplyHold(ctx, held.ID, wire.HoldRequest{Reason: "case"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	if r := f.post("/v1/packages/"+purged.ID+"/delete", f.deleter, `{"reason":"allowed"}`); r.status != http.StatusOK {
		t.Fatalf("the allowed deletion: %d %s", r.status, r.body)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	if r := f.post("/v1/retention/purge", f.deleter, ""); r.status != http.StatusOK || !strings.Contains(string(r.body), purged.ID) {
		t.Fatalf("the allowed purge: %d %s", r.status, r.body)
	}
	if r := f.post("/v1/packages/"+deleted.ID+"/delete", f.deleter, `{"reason":"allowed"}`); r.status != http.StatusOK {
		t.Fatalf("the allowed deletion: %d %s", r.status, r.body)
	}
	unexpired, _ := f.withFile("transient", "unexpired")
	locked, _ := f.withFile("locked", "locked")
	evil, err := mustClient(t, f.srv.URL, f.other).CreatePackage(ctx, map[string]any{"name": "evil", "retention_class": "transient"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	tests := []struct {
		name, path, token, body string
		status                  int
		typ                     string
	}{
		{"unknown package", "/v1/packages/" + catalog.NewID("pkg") + "/delete", f.admin, `{"reason":"r"}`, 404, wire.TypePackageNotFound},
		{"another tenant's package", "/v1/packages/" + evil.ID + "/delete", f.admin, `{"reason":"r"}`, 404, wire.TypePackageNotFound},
		{"a deleted package", "/v1/packages/" + deleted.ID + "/delete", f.admin, `{"reason":"r"}`, 409, wire.TypePackageDeleted},
		{"unexpired, without retention:admin", "/v1/packages/" + unexpired.ID + "/delete", f.deleter, `{"reason":"r"}`, 409, wire.TypeDeletionNotExpired},
		{"held, admin", "/v1/packages/" + held.ID + "/delete", f.admin, `{"reason":"r"}`, 409, wire.TypeDeletionHeld},
		{"early in compliance mode, admin", "/v1/packages/" + locked.ID + "/delete", f.admin, `{"reason":"r"}`, 403, wire.TypeDeletionCompliance},
		{"missing reason", "/v1/packages/" + live.ID + "/delete", f.deleter, `{}`, 400, wire.TypeRetentionReasonRequired},
		{"unknown field", "/v1/packages/" + live.ID + "/delete", f.deleter, `{"reason":"r","force":true}`, 400, wire.TypeRetentionUnknownField},
		{"missing scope", "/v1/packages/" + live.ID + "/delete", f.noRetScope, `{"reason":"r"}`, 403, wire.TypeForbidden},
		{"a hold on a deleted package", "/v1/packages/" + deleted.ID + "/retention/holds", f.admin, `{"reason":"r"}`, 409, wire.TypePackageDeleted},
		{"an extension of a deleted package", "/v1/packages/" + deleted.ID + "/retention/extensions", f.admin, `{"duration":"30d","reason":"r"}`, 409, wire.TypePackageDeleted},
		{"upload into a deleted package", "/v1/packages/" + deleted.ID + "/files", f.admin, `x`, 410, wire.TypePackageGone},
		{"restore after purge", "/v1/packages/" + purged.ID + "/restore", f.deleter, `{"reason":"r"}`, 410, wire.TypePackagePurged},
		{"restore a package not deleted", "/v1/packages/" + live.ID + "/restore", f.deleter, `{"reason":"r"}`, 409, wire.TypePackageNotDeleted},
		{"restore another tenant's", "/v1/packages/" + deleted.ID + "/restore", f.other, `{"reason":"r"}`, 404, wire.TypePackageNotFound},
		{"restore without scope", "/v1/packages/" + deleted.ID + "/restore", f.noRetScope, `{"reason":"r"}`, 403, wire.TypeForbidden},
		{"sweep without scope", "/v1/retention/sweep", f.noRetScope, "", 403, wire.TypeForbidden},
		{"sweep with a bad dry_run", "/v1/retention/sweep?dry_run=yes", f.deleter, "", 400, wire.TypeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size, files := f.size(), f.storeFiles()
			r := f.post(tt.path, tt.token, tt.body)
			if p := r.problem(t); r.status != tt.status || p.Type != tt.typ {
				t.Fatalf("%d %s; want %d %s", r.status, r.body, tt.status, tt.typ)
			}
			if f.size() != size {
				t.Fatalf("log grew from %d to %d", size, f.size())
			}
			if after := f.storeFiles(); !slices.Equal(after, files) {
				t.Fatalf("store changed: %v -> %v", files, after)
			}
		})
	}
}

func mustClient(t *testing.T, url, token string) *client.Client {
	t.Helper()
	c, err := client.New(url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
