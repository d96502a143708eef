package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/ledger/retention"
)

// retFixture is a real ledger with every domain behind the catalog and
// retention routes, on one injected clock that the log and the retention
// service share.
type retFixture struct {
	t                        *testing.T
	clock                    *ledgertest.Clock
	log                      *ledger.Log
	srv                      *httptest.Server
	admin, other, noRetScope string
	deleter                  string // acme, retention:delete and packages:read only
	cli                      *client.Client
	blobs                    string // the local store's root ("" on another store)
}

func newRetFixture(t *testing.T) *retFixture {
	t.Helper()
	return newRetFixtureOn(t, nil, nil)
}

// newRetFixtureOn is newRetFixture on the content store store (a local
// store in a temporary directory when nil), with the store lock lock
// (none when nil).
func newRetFixtureOn(t *testing.T, store cas.Store, lock cas.Locker) *retFixture {
	t.Helper()
	dir := t.TempDir()
	f := &retFixture{t: t, clock: ledgertest.NewClock()}
	f.log, _ = ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Now: f.clock.Now, Logger: testLogger(t), Modules: domains.Modules()})
	tokens := filepath.Join(dir, httpapi.TokenFile)
	mk := func(name, tenant string, scopes ...string) string {
		tok, err := httpapi.CreateToken(tokens, httpapi.Identity{Name: name, Tenant: tenant, Scopes: scopes}, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	f.admin, f.other = mk("officer", "acme", httpapi.AllScopes), mk("intruder", "evil", httpapi.AllScopes)
	f.noRetScope = mk("ci", "acme", httpapi.ScopePackagesRead, httpapi.ScopePackagesWrite)
	f.deleter = mk("operator", "acme", httpapi.ScopeRetentionDelete, httpapi.ScopePackagesRead)
	api, err := httpapi.New(httpapi.Config{Log: f.log, Tokens: httpapi.OpenTokens(tokens), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		f.blobs = filepath.Join(dir, "blobs")
		if store, err = local.Open(local.Config{Root: f.blobs}); err != nil {
			t.Fatal(err)
		}
	}
	classes := catalog.DefaultClasses()
	classes["locked"] = catalog.Class{Period: "7d", Compliance: true}
	svc := &catalog.Service{Catalog: catalog.New(f.log), Store: store, Classes: classes}
	api.HandleCatalog(httpapi.CatalogConfig{Service: svc})
	rs, err := retention.NewService(retention.Config{Log: f.log, Catalog: svc.Catalog, Now: f.clock.Now, Locker: lock})
	if err != nil {
		t.Fatal(err)
	}
	api.HandleRetention(rs)
	del, err := retention.NewDeleter(retention.DeleterConfig{Service: rs, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	svc.FileAdded, svc.ObjectPut = del.FileAdded, del.ObjectPut
	api.HandleDeletion(del, rs)
	f.srv = httptest.NewServer(api)
	t.Cleanup(f.srv.Close)
	if f.cli, err = client.New(f.srv.URL, f.admin, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *retFixture) create(class string) catalog.Package {
	f.t.Helper()
	p, err := f.cli.CreatePackage(f.t.Context(), map[string]any{"name": "build", "retention_class": class})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *retFixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

func (f *retFixture) post(path, token, body string) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), http.MethodPost, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return roundTrip(f.t, f.srv, req)
}

func (f *retFixture) eligible() []string {
	f.t.Helper()
	page, err := f.cli.Eligible(f.t.Context(), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	var ids []string
	for _, e := range page.Packages {
		ids = append(ids, e.PackageID)
	}
	return ids
}

// TestRetentionFlow drives a package through the API with the injected
// clock: create, extend, hold, past expiry but held (not eligible),
// release, eligible.
func TestRetentionFlow(t *testing.T) {
	f := newRetFixture(t)
	ctx := t.Context()
	p := f.create("transient")
	ev, err := f.cli.ExtendRetention(ctx, p.ID, wire.ExtendRetentionRequest{Duration: "2d", Reason: "audit"})
	if err != nil || !ev.ExpiresAt.Equal(p.Retention.ExpiresAt.AddDate(0, 0, 2)) || ev.Actor != "officer" {
		t.Fatalf("extend: %+v, %v", ev, err)
	}
	h, err := f.cli.ApplyHold(ctx, p.ID, wire.HoldRequest{Reason: "litigation", CaseRef: "CASE-1"})
	if err != nil || !h.Active || !strings.HasPrefix(h.HoldID, "hold_") {
		t.Fatalf("hold: %+v, %v", h, err)
	}
	f.clock.Advance(10 * 24 * time.Hour)
	if ids := f.eligible(); len(ids) != 0 {
		t.Fatalf("eligible while held: %v", ids)
	}
	if _, err := f.cli.ReleaseHold(ctx, p.ID, h.HoldID, wire.ReleaseHoldRequest{Reason: "settled"}); err != nil {
		t.Fatal(err)
	}
	if ids := f.eligible(); !slices.Equal(ids, []string{p.ID}) {
		t.Fatalf("eligible after release: %v, want %s", ids, p.ID)
	}
	v, err := f.cli.Retention(ctx, p.ID)
	if err != nil || !v.Eligible || len(v.Holds) != 1 || v.Holds[0].Active || len(v.Events) != 4 || v.Mode != catalog.ModeGovernance {
		t.Fatalf("view: %+v, %v", v, err)
	}
	if got, err := f.cli.Package(ctx, p.ID); err != nil || !got.Retention.ExpiresAt.Equal(*p.Retention.ExpiresAt) {
		t.Fatalf("package after extension: %+v, %v; its own retention stays as decided at creation", got.Retention, err)
	}
}

// TestRetentionBadInput sends each bad request once its allowed form has
// been accepted, and expects its own problem type with the log unchanged.
func TestRetentionBadInput(t *testing.T) {
	f := newRetFixture(t)
	ctx := t.Context()
	old := f.create("transient")
	f.clock.Advance(10 * 24 * time.Hour) // old expired 3 days ago
	p := f.create("transient")
	forever := f.create("permanent-record")
	ext := "/v1/packages/" + p.ID + "/retention/extensions"
	holds := "/v1/packages/" + p.ID + "/retention/holds"
	if r := f.post(ext, f.admin, `{"duration":"1d","reason":"ok"}`); r.status != http.StatusCreated {
		t.Fatalf("the allowed extension: %d %s", r.status, r.body)
	}
	held, err := f.cli.ApplyHold(ctx, p.ID, wire.HoldRequest{Reason: "r"})
	if err != nil {
		t.Fatalf("the allowed hold: %v", err)
	}
	released, _ := f.cli.ApplyHold(ctx, p.ID, wire.HoldRequest{Reason: "r"})
	if _, err := f.cli.ReleaseHold(ctx, p.ID, released.HoldID, wire.ReleaseHoldRequest{Reason: "done"}); err != nil {
		t.Fatalf("the allowed release: %v", err)
	}
	v, err := f.cli.Retention(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur := *v.ExpiresAt
	shorter := cur.AddDate(0, 0, -1).Format(time.RFC3339)
	pastDate := old.Retention.ExpiresAt.AddDate(0, 0, 1).Format(time.RFC3339)
	unknown := "/v1/packages/" + catalog.NewID("pkg")
	tests := []struct {
		name, method, path, token, body string
		status                          int
		typ                             string
	}{
		{"unknown package", "POST", unknown + "/retention/extensions", f.admin, `{"duration":"1d","reason":"r"}`, 404, wire.TypePackageNotFound},
		{"unknown package view", "GET", unknown + "/retention", f.admin, "", 404, wire.TypePackageNotFound},
		{"unknown package hold", "POST", unknown + "/retention/holds", f.admin, `{"reason":"r"}`, 404, wire.TypePackageNotFound},
		{"another tenant's package", "POST", ext, f.other, `{"duration":"1d","reason":"r"}`, 404, wire.TypePackageNotFound},
		{"another tenant's hold", "POST", holds + "/" + held.HoldID + "/release", f.other, `{"reason":"r"}`, 404, wire.TypePackageNotFound},
		{"another tenant's view", "GET", "/v1/packages/" + p.ID + "/retention", f.other, "", 404, wire.TypePackageNotFound},
		{"unknown hold", "POST", holds + "/" + catalog.NewID("hold") + "/release", f.admin, `{"reason":"r"}`, 404, wire.TypeHoldNotFound},
		{"released hold", "POST", holds + "/" + released.HoldID + "/release", f.admin, `{"reason":"r"}`, 409, wire.TypeHoldReleased},
		{"shorter", "POST", ext, f.admin, `{"expires_at":"` + shorter + `","reason":"r"}`, 409, wire.TypeRetentionNotLater},
		{"past", "POST", "/v1/packages/" + old.ID + "/retention/extensions", f.admin, `{"expires_at":"` + pastDate + `","reason":"r"}`, 409, wire.TypeRetentionInPast},
		{"kept forever", "POST", "/v1/packages/" + forever.ID + "/retention/extensions", f.admin, `{"duration":"1d","reason":"r"}`, 409, wire.TypeRetentionPermanent},
		{"extension without reason", "POST", ext, f.admin, `{"duration":"1d"}`, 400, wire.TypeRetentionReasonRequired},
		{"hold without reason", "POST", holds, f.admin, `{"case_ref":"C"}`, 400, wire.TypeRetentionReasonRequired},
		{"release without reason", "POST", holds + "/" + held.HoldID + "/release", f.admin, `{}`, 400, wire.TypeRetentionReasonRequired},
		{"both expiry and duration", "POST", ext, f.admin, `{"duration":"1d","expires_at":"2099-01-01T00:00:00Z","reason":"r"}`, 400, wire.TypeRetentionInvalidRequest},
		{"bad date", "POST", ext, f.admin, `{"expires_at":"next tuesday","reason":"r"}`, 400, wire.TypeRetentionInvalidRequest},
		{"bad duration", "POST", ext, f.admin, `{"duration":"2w","reason":"r"}`, 400, wire.TypeRetentionInvalidRequest},
		{"malformed JSON", "POST", ext, f.admin, `{"duration":"1d",`, 400, wire.TypeRetentionMalformedJSON},
		{"not an object", "POST", holds, f.admin, `["reason"]`, 400, wire.TypeRetentionMalformedJSON},
		{"null", "POST", holds, f.admin, `null`, 400, wire.TypeRetentionMalformedJSON},
		{"trailing data", "POST", holds, f.admin, `{"reason":"r"} {}`, 400, wire.TypeRetentionMalformedJSON},
		{"empty body", "POST", holds, f.admin, ``, 400, wire.TypeRetentionMalformedJSON},
		{"unknown field", "POST", holds, f.admin, `{"reason":"r","until":"forever"}`, 400, wire.TypeRetentionUnknownField},
		{"too large", "POST", holds, f.admin, `{"reason":"` + strings.Repeat("x", 17<<10) + `"}`, 413, wire.TypePayloadTooLarge},
		{"no scope to extend", "POST", ext, f.noRetScope, `{"duration":"1d","reason":"r"}`, 403, wire.TypeForbidden},
		{"no scope to hold", "POST", holds, f.noRetScope, `{"reason":"r"}`, 403, wire.TypeForbidden},
		{"no scope to release", "POST", holds + "/" + held.HoldID + "/release", f.noRetScope, `{"reason":"r"}`, 403, wire.TypeForbidden},
		{"no scope to read", "GET", "/v1/packages/" + p.ID + "/retention", f.noRetScope, "", 403, wire.TypeForbidden},
		{"bad limit", "GET", "/v1/retention/eligible?limit=0", f.admin, "", 400, wire.TypeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.size()
			var r response
			if tt.method == "GET" {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+tt.path, nil)
				req.Header.Set("Authorization", "Bearer "+tt.token)
				r = roundTrip(t, f.srv, req)
			} else {
				r = f.post(tt.path, tt.token, tt.body)
			}
			if r.status != tt.status || r.problem(t).Type != tt.typ {
				t.Fatalf("%d %s; want %d %s", r.status, r.body, tt.status, tt.typ)
			}
			if after := f.size(); after != before {
				t.Fatalf("log grew from %d to %d", before, after)
			}
		})
	}
	r := f.post(ext, f.admin, `{"expires_at":"`+shorter+`","reason":"r"}`)
	var pb map[string]any
	if err := json.Unmarshal(r.body, &pb); err != nil || pb["current_expires_at"] != cur.Format(time.RFC3339Nano) ||
		pb["requested_expires_at"] == nil || !strings.Contains(pb["detail"].(string), shorter[:10]) {
		t.Fatalf("shorter extension problem %s; want both dates", r.body)
	}
	if page, err := f.cli.Eligible(ctx, url.Values{"limit": {"1"}}); err != nil || len(page.Packages) != 1 || page.Packages[0].PackageID != old.ID {
		t.Fatalf("eligible: %+v, %v; want %s only", page, err, old.ID)
	}
}
