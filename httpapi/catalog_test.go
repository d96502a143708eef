package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// TestPackageLifecycle creates, fills, lists and finalizes a package, then
// proves the manifest digest logged at finalize with an inclusion proof
// checked by golang.org/x/mod/sumdb/tlog.
func TestPackageLifecycle(t *testing.T) {
	f := newCatFixture(t, nil)
	ctx := t.Context()
	p, err := f.adminCli.CreatePackage(ctx, map[string]any{"name": "build 7", "producer": "ci", "subject": "svc",
		"run_id": "r7", "retention_class": "raw-evidence", "repo_slug": "acme/svc", "source_commits": []string{"abc"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Retention.ExpiresAt == nil || !p.Retention.ExpiresAt.Equal(p.CreatedAt.AddDate(0, 0, 90)) || !strings.Contains(string(p.Attributes), "acme/svc") {
		t.Fatalf("created %+v: want 90d expiry and the open attributes", p)
	}
	report := "# report\n"
	files, err := f.adminCli.UploadFiles(ctx, p.ID, []client.UploadFile{
		{Path: "reports/report.md", Body: strings.NewReader(report), MediaType: "text/markdown", Digest: cas.DigestOf([]byte(report)).String()},
		{Path: "logs/build.log", Body: strings.NewReader("ok\n")},
	})
	if err != nil || len(files) != 2 || files[0].Path != "reports/report.md" || files[1].MediaType != "application/octet-stream" {
		t.Fatalf("upload = %+v, %v", files, err)
	}
	f.createPackage("other")
	page, err := f.adminCli.Packages(ctx, url.Values{"producer": {"ci"}, "run_id": {"r7"}})
	if err != nil || len(page.Packages) != 1 || page.Packages[0].ID != p.ID {
		t.Fatalf("filtered list = %+v, %v", page, err)
	}
	p, err = f.adminCli.Finalize(ctx, p.ID)
	if err != nil || p.Status != catalog.StatusFinalized || p.FileCount != 2 {
		t.Fatalf("finalize = %+v, %v", p, err)
	}
	manifest, digest, err := f.adminCli.Manifest(ctx, p.ID)
	if err != nil || digest != p.ManifestDigest {
		t.Fatalf("manifest digest %s, %v; package says %s", digest, err, p.ManifestDigest)
	}
	var m catalog.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil || m.FileCount != 2 || m.Files[1].Storage.Blob != "cas://"+files[0].Digest {
		t.Fatalf("manifest %s: %v", manifest, err)
	}
	proveFinalize(t, f, p)
}

// proveFinalize checks, with sumdb/tlog and sumdb/note only, that the
// package.finalized entry carrying p's manifest digest is in the log.
func proveFinalize(t *testing.T, f *catFixture, p catalog.Package) {
	t.Helper()
	ctx := t.Context()
	logCli, _ := client.New(f.srv.URL, f.admin, nil)
	cp, err := logCli.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(f.vkey)
	n, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n")
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	root, _ := base64.StdEncoding.DecodeString(lines[2])
	e, err := logCli.Entry(ctx, p.FinalizedIndex)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Type           string `json:"type"`
		ManifestDigest string `json:"manifest_digest"`
	}
	if err := json.Unmarshal(e.Entry, &body); err != nil || body.Type != catalog.TypePackageFinalized || body.ManifestDigest != p.ManifestDigest {
		t.Fatalf("entry %d = %s", p.FinalizedIndex, e.Entry)
	}
	pr, err := logCli.InclusionProof(ctx, p.FinalizedIndex, uint64(size))
	if err != nil {
		t.Fatal(err)
	}
	proof := make(tlog.RecordProof, len(pr.Hashes))
	for i, h := range pr.Hashes {
		copy(proof[i][:], h)
	}
	var th tlog.Hash
	copy(th[:], root)
	if err := tlog.CheckRecord(proof, size, th, int64(p.FinalizedIndex), tlog.RecordHash(e.Entry)); err != nil {
		t.Fatalf("inclusion of the finalize entry: %v", err)
	}
}

func TestDownloadRange(t *testing.T) {
	f := newCatFixture(t, nil)
	id := f.createPackage("p")
	content := "0123456789"
	r := f.upload(id, f.admin, filePart("digits.txt", content, "Content-Type", "text/plain"))
	var res wire.UploadResult
	if err := json.Unmarshal(r.body, &res); err != nil || r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	sum := sha256.Sum256([]byte(content))
	path := "/v1/files/" + res.Files[0].FileID + "/download"
	tests := []struct {
		rng, want, contentRange string
		status                  int
	}{
		{"", content, "", 200},
		{"bytes=0-3", "0123", "bytes 0-3/10", 206},
		{"bytes=7-", "789", "bytes 7-9/10", 206},
		{"bytes=-2", "89", "bytes 8-9/10", 206},
		{"bytes=5-100", "56789", "bytes 5-9/10", 206},
		{"items=0-1", content, "", 200},
		{"bytes=10-", "", "bytes */10", 416},
		{"bytes=4-2", "", "bytes */10", 416},
		{"bytes=a-b", "", "bytes */10", 416},
		{"bytes=0-1,3-4", "", "bytes */10", 416},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			before := f.size()
			r := f.request(http.MethodGet, path, f.readOnly, http.Header{"Range": {tt.rng}}, nil)
			if r.status != tt.status || r.header.Get("Content-Range") != tt.contentRange {
				t.Fatalf("status %d, Content-Range %q; want %d, %q (%s)", r.status, r.header.Get("Content-Range"), tt.status, tt.contentRange, r.body)
			}
			wantEvents := uint64(1)
			if tt.status == 416 {
				if r.problem(t).Type != wire.TypeRangeNotSatisfied {
					t.Fatalf("problem %s", r.body)
				}
				wantEvents = 0
			} else if string(r.body) != tt.want || r.header.Get("ETag") != `"`+hex.EncodeToString(sum[:])+`"` ||
				r.header.Get("Digest") != "sha-256="+base64.StdEncoding.EncodeToString(sum[:]) {
				t.Fatalf("body %q, headers %v", r.body, r.header)
			}
			if got := f.size() - before; got != wantEvents {
				t.Fatalf("%d object.read entries, want %d", got, wantEvents)
			}
		})
	}
}

func TestObjectsByKey(t *testing.T) {
	f := newCatFixture(t, nil)
	ctx := t.Context()
	for i, v := range []string{"one", "two"} {
		o, err := f.adminCli.PutObject(ctx, "evidence/run 1/out.json", strings.NewReader(v), int64(len(v)), "application/json", "", json.RawMessage(`{"ci":"gh"}`))
		if err != nil || o.Versions != i+1 || o.Digest != cas.DigestOf([]byte(v)).String() {
			t.Fatalf("put %d = %+v, %v", i, o, err)
		}
	}
	if _, err := f.adminCli.PutObject(ctx, "evidence/b", strings.NewReader("b"), 1, "", "", nil); err != nil {
		t.Fatal(err)
	}
	d, err := f.adminCli.GetObject(ctx, "raw", "evidence/run 1/out.json", "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	buf := make([]byte, 10)
	n, _ := d.Body.Read(buf)
	if string(buf[:n]) != "two" {
		t.Fatalf("current version = %q, want two", buf[:n])
	}
	var versions httpapi.ObjectsPage
	r := f.request(http.MethodGet, "/v1/object-versions/raw/evidence/run%201/out.json", f.readOnly, nil, nil)
	if json.Unmarshal(r.body, &versions); len(versions.Objects) != 2 || versions.Objects[0].Digest != cas.DigestOf([]byte("one")).String() {
		t.Fatalf("versions: %s", r.body)
	}
	r = f.request(http.MethodGet, fmt.Sprintf("/v1/objects/raw/evidence/run%%201/out.json?version=%d", versions.Objects[0].Version), f.readOnly, nil, nil)
	if string(r.body) != "one" {
		t.Fatalf("first version = %q (%d)", r.body, r.status)
	}
	head := f.request(http.MethodHead, "/v1/objects/raw/evidence/b", f.readOnly, nil, nil)
	if head.status != 200 || head.header.Get("Content-Length") != "1" || len(head.body) != 0 {
		t.Fatalf("HEAD: %d %v", head.status, head.header)
	}
	var page httpapi.ObjectsPage
	r = f.request(http.MethodGet, "/v1/objects/raw?prefix=evidence/&limit=1", f.readOnly, nil, nil)
	if json.Unmarshal(r.body, &page); len(page.Objects) != 1 || page.NextCursor == "" {
		t.Fatalf("page 1: %s", r.body)
	}
	r = f.request(http.MethodGet, "/v1/objects/raw?prefix=evidence/&cursor="+page.NextCursor, f.readOnly, nil, nil)
	if json.Unmarshal(r.body, &page); len(page.Objects) != 1 || page.Objects[0].Key != "evidence/run 1/out.json" || page.NextCursor != "" {
		t.Fatalf("page 2: %s", r.body)
	}
}

// TestTenantIsolation reads another tenant's package, file and object and
// expects each to look absent.
func TestTenantIsolation(t *testing.T) {
	f := newCatFixture(t, nil)
	id := f.createPackage("p")
	var res wire.UploadResult
	json.Unmarshal(f.upload(id, f.admin, filePart("a", "a")).body, &res)
	f.adminCli.PutObject(t.Context(), "k", strings.NewReader("k"), 1, "", "", nil)
	tests := []struct{ method, path, typ string }{
		{http.MethodGet, "/v1/packages/" + id, wire.TypePackageNotFound},
		{http.MethodGet, "/v1/files/" + res.Files[0].FileID + "/download", wire.TypeFileNotFound},
		{http.MethodGet, "/v1/objects/raw/k", wire.TypeObjectNotFound},
		{http.MethodPost, "/v1/packages/" + id + "/finalize", wire.TypePackageNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if r := f.request(tt.method, tt.path, f.other, nil, nil); r.problem(t).Type != tt.typ {
				t.Fatalf("%s %s as another tenant: %s", tt.method, tt.path, r.body)
			}
		})
	}
	r := f.request(http.MethodGet, "/v1/packages", f.other, nil, nil)
	if !strings.Contains(string(r.body), `"packages":[]`) {
		t.Fatalf("other tenant's listing: %s", r.body)
	}
	if r := f.upload(id, f.readOnly, filePart("b", "b")); r.status != http.StatusForbidden {
		t.Fatalf("upload without packages:write: %d", r.status)
	}
	if r := f.request(http.MethodGet, "/health/store", "", nil, nil); r.status != 200 || !strings.Contains(string(r.body), `"status":"ok"`) {
		t.Fatalf("store health: %d %s", r.status, r.body)
	}
}

// TestUploadStopsAtBadPart uploads three parts whose second repeats the
// first's path: the first is registered, the problem lists it, and the
// third is never read.
func TestUploadStopsAtBadPart(t *testing.T) {
	f := newCatFixture(t, nil)
	id := f.createPackage("p")
	r := f.upload(id, f.admin, filePart("a", "1"), filePart("a", "2"), filePart("c", "3"))
	p := r.problem(t)
	var ext struct {
		Added []catalog.File `json:"added"`
	}
	if err := json.Unmarshal(r.body, &ext); p.Type != wire.TypeDuplicatePath || err != nil || len(ext.Added) != 1 || ext.Added[0].Path != "a" {
		t.Fatalf("problem %s, added %+v (%v)", p.Type, ext.Added, err)
	}
	pkg, err := f.adminCli.Package(t.Context(), id)
	if err != nil || pkg.FileCount != 1 {
		t.Fatalf("package %+v, %v; want one file", pkg, err)
	}
}
