package httpapi_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"slices"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// catFixture is a real ledger with the catalog appliers and a local store
// in temp dirs, behind a real server on loopback.
type catFixture struct {
	t         *testing.T
	log       *ledger.Log
	svc       *catalog.Service
	blobs     string // local store root
	srv       *httptest.Server
	vkey      string
	admin     string // scope "*", tenant acme
	other     string // scope "*", tenant evil
	readOnly  string // packages:read and objects:read, tenant acme
	adminCli  *client.Client
	maxUpload int64
}

// newCatFixture starts a fixture over store (the local store in a temp dir
// when nil).
func newCatFixture(t *testing.T, store cas.Store) *catFixture {
	t.Helper()
	dir := t.TempDir()
	lg, vkey := openLedger(t, dir, testLogger(t), catalog.Module())
	var err error
	f := &catFixture{t: t, log: lg, vkey: vkey, blobs: filepath.Join(dir, "blobs"), maxUpload: 1 << 20}
	if store == nil {
		if store, err = local.Open(local.Config{Root: f.blobs}); err != nil {
			t.Fatal(err)
		}
	}
	tokens := filepath.Join(dir, httpapi.TokenFile)
	mk := func(name, tenant string, scopes ...string) string {
		return newToken(t, tokens, name, tenant, scopes...)
	}
	f.admin, f.other = mk("admin", "acme", httpapi.AllScopes), mk("intruder", "evil", httpapi.AllScopes)
	f.readOnly = mk("auditor", "acme", httpapi.ScopePackagesRead, httpapi.ScopeObjectsRead)
	api, err := httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(tokens), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses(), ReadEvents: true}
	api.HandleCatalog(httpapi.CatalogConfig{Service: f.svc, Backend: httpapi.BackendInfo{Name: "default", Kind: "local"}, MaxUpload: f.maxUpload})
	f.srv = httptest.NewServer(api)
	t.Cleanup(f.srv.Close)
	if f.adminCli, err = client.New(f.srv.URL, f.admin, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *catFixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

// storeFiles lists every file under the local store's root, temporaries
// included.
func (f *catFixture) storeFiles() []string {
	f.t.Helper()
	var out []string
	err := filepath.WalkDir(f.blobs, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == f.blobs {
			return nil // a store elsewhere (S3)
		}
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// request sends one request with the given headers and returns the status,
// headers and body.
func (f *catFixture) request(method, path, token string, hdr http.Header, body io.Reader) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.srv.URL+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return roundTrip(f.t, f.srv, req)
}

// part is one multipart part: raw headers and content.
type part struct {
	header  textproto.MIMEHeader
	content string
}

// filePart is a file part with path as its X-Assay-Path.
func filePart(path, content string, extra ...string) part {
	h := textproto.MIMEHeader{"Content-Disposition": {`form-data; name="file"; filename="x"`}, wire.PathHeader: {path}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return part{header: h, content: content}
}

// rawPart is a file part with the given Content-Disposition value.
func rawPart(disposition, content string) part {
	return part{header: textproto.MIMEHeader{"Content-Disposition": {disposition}}, content: content}
}

// multipartBody encodes parts and returns the body and its content type.
func multipartBody(t *testing.T, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		w, err := mw.CreatePart(p.header)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.content)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// upload posts parts to package id.
func (f *catFixture) upload(id, token string, parts ...part) response {
	f.t.Helper()
	body, ctype := multipartBody(f.t, parts...)
	return f.request(http.MethodPost, "/v1/packages/"+id+"/files", token, http.Header{"Content-Type": {ctype}}, body)
}

// createPackage creates a package for the admin token and returns its id.
func (f *catFixture) createPackage(name string) string {
	f.t.Helper()
	p, err := f.adminCli.CreatePackage(f.t.Context(), map[string]any{"name": name, "retention_class": "transient"})
	if err != nil {
		f.t.Fatal(err)
	}
	return p.ID
}
