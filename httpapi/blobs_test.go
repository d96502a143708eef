package httpapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

func TestBlobByDigest(t *testing.T) {
	f := newCatFixture(t, nil)
	content := "blob content for the bundle export"
	id := f.createPackage("p")
	if r := f.upload(id, f.admin, filePart("a.txt", content)); r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	sum := sha256.Sum256([]byte(content))
	d := hex.EncodeToString(sum[:])
	r := f.request(http.MethodGet, "/v1/blobs/sha256:"+d, f.admin, nil, nil)
	if r.status != http.StatusOK || string(r.body) != content || r.header.Get("ETag") != `"`+d+`"` {
		t.Fatalf("GET blob: %d %q etag %s", r.status, r.body, r.header.Get("ETag"))
	}
	if r := f.request(http.MethodHead, "/v1/blobs/sha256:"+d, f.admin, nil, nil); r.status != http.StatusOK || len(r.body) != 0 {
		t.Fatalf("HEAD blob: %d", r.status)
	}
	if size, found, err := f.adminCli.BlobSize(t.Context(), d); err != nil || !found || size != int64(len(content)) {
		t.Fatalf("BlobSize = %d, %v, %v", size, found, err)
	}
	rc, err := f.adminCli.Blob(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != content {
		t.Fatalf("client Blob = %q", got)
	}
	size, files := f.size(), len(f.storeFiles())
	for name, tc := range map[string]struct {
		path, token string
		status      int
		typ         string
	}{
		"absent":        {"/v1/blobs/sha256:" + strings.Repeat("0", 64), f.admin, http.StatusNotFound, wire.TypeNotFound},
		"bare hex":      {"/v1/blobs/" + d, f.admin, http.StatusBadRequest, wire.TypeInvalidParameter},
		"upper case":    {"/v1/blobs/sha256:" + strings.ToUpper(d), f.admin, http.StatusBadRequest, wire.TypeInvalidParameter},
		"short":         {"/v1/blobs/sha256:" + d[:10], f.admin, http.StatusBadRequest, wire.TypeInvalidParameter},
		"other algo":    {"/v1/blobs/md5:" + d, f.admin, http.StatusBadRequest, wire.TypeInvalidParameter},
		"missing scope": {"/v1/blobs/sha256:" + d, f.readOnly, http.StatusForbidden, wire.TypeForbidden},
		"no token":      {"/v1/blobs/sha256:" + d, "", http.StatusUnauthorized, wire.TypeUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.request(http.MethodGet, tc.path, tc.token, nil, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if p := r.problem(t); p.Type != tc.typ {
				t.Fatalf("type %s, want %s", p.Type, tc.typ)
			}
		})
	}
	if f.size() != size || len(f.storeFiles()) != files {
		t.Fatal("bad blob requests changed the log or the store")
	}
	if _, found, err := f.adminCli.BlobSize(t.Context(), strings.Repeat("0", 64)); found || err != nil {
		t.Fatalf("BlobSize of an absent blob: %v, %v", found, err)
	}
}

func TestResolveCAS(t *testing.T) {
	f := newCatFixture(t, nil)
	r := f.request(http.MethodPut, "/v1/objects/raw/runs/1/logs.ndjson", f.admin, nil, strings.NewReader("log line"))
	if r.status >= 300 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	r = f.request(http.MethodGet, "/v1/cas/acme/runs/1/logs.ndjson", f.admin, nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("resolve: %d %s", r.status, r.body)
	}
	got, found, err := f.adminCli.ResolveCAS(t.Context(), "acme", "cas://runs/1/logs.ndjson")
	sum := sha256.Sum256([]byte("log line"))
	if err != nil || !found || got.Digest != "sha256:"+hex.EncodeToString(sum[:]) || got.Size != 8 {
		t.Fatalf("ResolveCAS = %+v, %v, %v", got, found, err)
	}
	if _, found, err := f.adminCli.ResolveCAS(t.Context(), "evil", "cas://runs/1/logs.ndjson"); found || err != nil {
		t.Fatalf("another tenant's object resolved: %v, %v", found, err)
	}
	if _, _, err := f.adminCli.ResolveCAS(t.Context(), "acme", "https://example.com/x"); err == nil {
		t.Fatal("a non-cas URI resolved")
	}
	size := f.size()
	for name, tc := range map[string]struct {
		path, token string
		status      int
	}{
		"absent key":    {"/v1/cas/acme/runs/2/x", f.admin, http.StatusNotFound},
		"other tenant":  {"/v1/cas/evil/runs/1/logs.ndjson", f.admin, http.StatusNotFound},
		"dotdot key":    {"/v1/cas/acme/runs/../1/logs.ndjson", f.admin, http.StatusBadRequest},
		"missing scope": {"/v1/cas/acme/runs/1/logs.ndjson", f.readOnly, http.StatusForbidden},
		"no token":      {"/v1/cas/acme/runs/1/logs.ndjson", "", http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.request(http.MethodGet, tc.path, tc.token, nil, nil)
			if r.status != tc.status && !(tc.status == http.StatusBadRequest && r.status == http.StatusNotFound) {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			r.problem(t)
		})
	}
	if f.size() != size {
		t.Fatal("resolving cas:// URIs changed the log")
	}
}
