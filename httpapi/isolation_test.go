package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/retention"
	"github.com/assay-ledger/assay/ledger/runlog"
)

// tenantScopes are every scope but the auditor's: a tenant's full power.
var tenantScopes = []string{httpapi.ScopeLogRead, httpapi.ScopeMetricsRead, httpapi.ScopePackagesWrite,
	httpapi.ScopePackagesRead, httpapi.ScopeObjectsWrite, httpapi.ScopeObjectsRead, httpapi.ScopeStoreAdmin,
	httpapi.ScopeExportsWrite, httpapi.ScopeExportsRead, httpapi.ScopeRetentionRead, httpapi.ScopeRetentionWrite,
	httpapi.ScopeRetentionHold, httpapi.ScopeRetentionDelete, httpapi.ScopeRetentionAdmin,
	httpapi.ScopePromotionsWrite, httpapi.ScopePromotionsRead, httpapi.ScopePromotionsReview,
	httpapi.ScopeRunsWrite, httpapi.ScopeRunsRead}

// isoFixture is a server with every route the serve command registers,
// over one ledger and one local store, holding data of tenant acme.
type isoFixture struct {
	t       *testing.T
	log     *ledger.Log
	api     *httpapi.Server
	srv     *httptest.Server
	blobs   string
	tokens  string // the token file, for tests that add tokens
	owner   string // acme, every tenant scope
	other   string // evil, the same scopes
	noScope string // acme, no scope of any route
	// acme's data, and the strings that must never reach evil.
	pkg, file, key, exportKey, digest, hold string
	promotion, item, permission             string
	openRun, sealedRun                      string // acme's run logs
	failedPromotion                         string // quarantined its object: retryable
	prom                                    *promotion.Service
	secrets                                 []string
}

func newIsoFixture(t *testing.T) *isoFixture {
	t.Helper()
	dir := t.TempDir()
	clock := ledgertest.NewClock() // the log's and the retention service's
	lg, _ := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Now: clock.Now, Logger: testLogger(t), Modules: domains.Modules()})
	f := &isoFixture{t: t, log: lg, blobs: filepath.Join(dir, "blobs")}
	store, err := local.Open(local.Config{Root: f.blobs})
	if err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(dir, httpapi.TokenFile)
	f.tokens = tokens
	mk := func(name, tenant string, scopes ...string) string {
		return newToken(t, tokens, name, tenant, scopes...)
	}
	f.owner, f.other, f.noScope = mk("owner", "acme", tenantScopes...), mk("intruder", "evil", tenantScopes...), mk("idle", "acme", "none")
	if f.api, err = httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(tokens), Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	svc := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses(), ReadEvents: true}
	f.api.HandleCatalog(httpapi.CatalogConfig{Service: svc, Backend: httpapi.BackendInfo{Name: "default", Kind: "local"}, MaxUpload: 1 << 20})
	ex, err := exports.NewService(exports.ServiceConfig{Log: lg})
	if err != nil {
		t.Fatal(err)
	}
	f.api.HandleExports(ex)
	rs, err := retention.NewService(retention.Config{Log: lg, Catalog: svc.Catalog, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	f.api.HandleRetention(rs)
	ps, err := promotion.NewService(promotion.Config{Log: lg, Catalog: svc.Catalog, Store: store,
		Trusted: map[string]ed25519.PublicKey{"k": make(ed25519.PublicKey, ed25519.PublicKeySize)}})
	if err != nil {
		t.Fatal(err)
	}
	f.api.HandlePromotions(ps)
	f.prom = ps // no worker: the fixture decides promotions itself (promote), so the state stays still
	del, err := retention.NewDeleter(retention.DeleterConfig{Service: rs, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	f.api.HandleDeletion(del, rs)
	f.api.HandleRunLogs(&runlog.Service{Log: lg, Store: store})
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	f.seed()
	return f
}

// seed gives acme a finalized package with a file, an object put by key
// and a job export, and notes every identifying string of them.
func (f *isoFixture) seed() {
	t, ctx := f.t, f.t.Context()
	cli, err := client.New(f.srv.URL, f.owner, nil)
	if err != nil {
		t.Fatal(err)
	}
	content := "acme-secret-content-7f3a"
	sum := sha256.Sum256([]byte(content))
	f.digest = "sha256:" + hex.EncodeToString(sum[:])
	p, err := cli.CreatePackage(ctx, map[string]any{"name": "acme-secret-pkg", "producer": "acme-secret-producer",
		"run_id": "acme-secret-run", "retention_class": "raw-evidence", "metadata": map[string]string{"m": "acme-secret-meta"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := cli.UploadFiles(ctx, p.ID, []client.UploadFile{{Path: "acme-secret-dir/a.txt", Body: strings.NewReader(content)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Finalize(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	f.pkg, f.file, f.key = p.ID, files[0].FileID, "acme-secret-obj/b.txt"
	if _, err := cli.ExtendRetention(ctx, p.ID, wire.ExtendRetentionRequest{Duration: "30d", Reason: "acme-secret-reason"}); err != nil {
		t.Fatal(err)
	}
	h, err := cli.ApplyHold(ctx, p.ID, wire.HoldRequest{Reason: "acme-secret-hold", CaseRef: "acme-secret-case"})
	if err != nil {
		t.Fatal(err)
	}
	f.hold = h.HoldID
	if _, err := cli.Land(ctx, f.key, strings.NewReader(content), int64(len(content)), "text/plain",
		json.RawMessage(`{"k":"acme-secret-objmeta"}`), catalog.Landing{ExpectedDigest: f.digest, Source: "acme-secret-source",
			Commit: "acec0ffee", Tier: "basic", Custody: []string{"acme-secret-custody"}}); err != nil {
		t.Fatal(err)
	}
	runID, art := "0b5e4c2a-9d1f-4e7a-8c3b-2f6d1a9e7c40", "sha256:"+strings.Repeat("ac", 32)
	f.exportKey = exports.IdempotencyKey(runID, art, "acme")
	if _, err := cli.SubmitExport(ctx, "acme", f.exportDoc(runID, art, "acme")); err != nil {
		t.Fatal(err)
	}
	// A promotion to golden, and one whose objects wait in quarantine (no proof).
	pv := f.promote(cli, wire.PromotionRequest{Source: "raw/acme-secret-obj/", Destination: "golden/acme-secret-gold/", Tier: "basic"})
	if pv.Promoted != 1 {
		t.Fatalf("promote: %+v", pv)
	}
	qv := f.promote(cli, wire.PromotionRequest{Source: "raw/acme-secret-obj/", Destination: "golden/acme-secret-q/", Tier: "signed"})
	if qv.Quarantined != 1 {
		t.Fatalf("promote: %+v", qv)
	}
	f.promotion, f.item, f.failedPromotion = pv.ID, qv.Objects[0].QuarantineID, qv.ID
	perm, err := cli.Permit(ctx, wire.PermitRequest{Tier: "basic", Keys: []string{"raw/" + f.key}})
	if err != nil || !perm.Permitted {
		t.Fatalf("permit: %+v, %v", perm, err)
	}
	f.permission = perm.PermissionID
	// evil's own object, so that its promotion naming acme's permission
	// fails on the permission alone.
	evil, err := client.New(f.srv.URL, f.other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := evil.PutObject(ctx, "evil-obj/x.txt", strings.NewReader("x"), 1, "", "", nil); err != nil {
		t.Fatal(err)
	}
	// Run logs: one open, one sealed, each with a secret line.
	f.openRun, f.sealedRun = "a0c1e2d3-0000-4000-8000-0000000ac3e1", "a0c1e2d3-0000-4000-8000-0000000ac3e2"
	var sealedDigest string
	for _, id := range []string{f.openRun, f.sealedRun} {
		if _, err := cli.AppendRunLog(ctx, id, []wire.RunLogLine{{Phase: "build", Level: "info", Message: "acme-secret-logline"}}); err != nil {
			t.Fatal(err)
		}
	}
	sealedRun, err := cli.CloseRunLog(ctx, f.sealedRun, "succeeded")
	if err != nil {
		t.Fatal(err)
	}
	sealedDigest = sealedRun.Digest
	f.secrets = []string{f.openRun, f.sealedRun, strings.TrimPrefix(sealedDigest, "sha256:"), pv.ID, qv.ID, f.item, f.permission, content, f.digest, hex.EncodeToString(sum[:]), p.ID, files[0].FileID, "acme-secret", runID,
		art, strings.TrimPrefix(f.exportKey, "sha256:"), h.HoldID}
}

// promote requests req through cli (202), decides it with one pass of the
// worker, and returns the promotion as GET shows it.
func (f *isoFixture) promote(cli *client.Client, req wire.PromotionRequest) wire.PromotionView {
	t, ctx := f.t, f.t.Context()
	v, err := cli.Promote(ctx, req)
	if err != nil || v.Status != promotion.StatusRequested {
		t.Fatalf("promote %+v: %+v, %v", req, v.Promotion, err)
	}
	if err := f.prom.ProcessPending(ctx); err != nil {
		t.Fatal(err)
	}
	if v, err = cli.Promotion(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	return v
}

func (f *isoFixture) exportDoc(runID, art, tenant string) []byte {
	b, _ := json.Marshal(map[string]string{"runId": runID, "artifactHash": art, "startedAt": "2026-01-02T03:04:05Z",
		"status": "running", "tenantId": tenant, "idempotencyKey": exports.IdempotencyKey(runID, art, tenant)})
	return b
}

// isoReq is one request of a matrix row.
type isoReq struct {
	method, path string
	header       http.Header
	body         []byte
}

// isoRow says how to call a route against acme's data and what another
// tenant may get back. ok allows 200 to another tenant: the route answers
// only hashes, or only the caller's own data, and the body check still
// applies. ownWrite marks a route whose call by another tenant writes, to
// that tenant's own data only.
type isoRow struct {
	reqs     func(f *isoFixture) []isoReq
	ok       bool
	ownWrite bool
}

func get(path string) func(*isoFixture) []isoReq {
	return func(*isoFixture) []isoReq { return []isoReq{{method: http.MethodGet, path: path}} }
}

// isolationMatrix has one row per route the server registers.
var isolationMatrix = map[string]isoRow{
	"GET /health": {reqs: get("/health"), ok: true},
	// The console's files are the same for every caller and hold no data.
	"GET /ui":  {reqs: get("/ui"), ok: true},
	"GET /ui/": {reqs: get("/ui/"), ok: true},
	"GET /ui/{file}": {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/ui/app.js"}, {method: http.MethodGet, path: "/ui/verify.js"}}
	}, ok: true},
	"GET " + wire.WhoAmIPath:  {reqs: get(wire.WhoAmIPath), ok: true},  // the caller's own identity
	"GET " + wire.OpenAPIPath: {reqs: get(wire.OpenAPIPath), ok: true}, // the API's description
	"GET /metrics":            {reqs: get("/metrics"), ok: true},
	"GET /v1/log/checkpoint":  {reqs: get("/v1/log/checkpoint"), ok: true},
	"GET /v1/witnesses":       {reqs: get("/v1/witnesses"), ok: true}, // witnesses' URLs, keys and sizes: no tenant's data
	"GET /v1/policy/audit":    {reqs: get("/v1/policy/audit?from=0")}, // every tenant's decisions: auditors only
	// No publisher in the fixture: another tenant gets 409 before any lookup, the owner too.
	"POST /v1/packages/{id}/publish": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/publish", body: []byte(`{"to":"127.0.0.1:1/r:t"}`)}}
	}},
	// Public, with the secret as credential; none is set in the fixture: 404.
	"POST /v1/intake/notify/{secret}": {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/intake/notify/guess", body: []byte(`{"Records":[{"s3":{"bucket":{"name":"b"}}}]}`)}}
	}},
	// No intake in the fixture: another tenant's operator gets 404.
	"POST /v1/intake/scrub": {reqs: func(*isoFixture) []isoReq { return []isoReq{{method: http.MethodPost, path: "/v1/intake/scrub"}} }},
	"GET /v1/log/receipt": {reqs: func(f *isoFixture) []isoReq {
		var out []isoReq
		for i := range f.size() {
			out = append(out, isoReq{method: http.MethodGet, path: fmt.Sprintf("/v1/log/receipt?index=%d", i)})
		}
		return out
	}, ok: true},
	"GET /v1/log/entries": {reqs: get("/v1/log/entries?start=0"), ok: true},
	"GET /v1/log/entries/{index}": {reqs: func(f *isoFixture) []isoReq {
		var out []isoReq
		for i := range f.size() {
			out = append(out, isoReq{method: http.MethodGet, path: fmt.Sprintf("/v1/log/entries/%d", i)})
		}
		return out
	}, ok: true},
	"GET /v1/log/proof/inclusion":   {reqs: get("/v1/log/proof/inclusion?index=1"), ok: true},
	"GET /v1/log/proof/consistency": {reqs: get("/v1/log/proof/consistency?first=1"), ok: true},
	"GET /checkpoint":               {reqs: get("/checkpoint"), ok: true},
	"GET /tile/{path:.+}": {reqs: func(f *isoFixture) []isoReq {
		w := f.size()
		return []isoReq{{method: http.MethodGet, path: fmt.Sprintf("/tile/0/000.p/%d", w)},
			{method: http.MethodGet, path: fmt.Sprintf("/tile/entries/000.p/%d", w)}}
	}, ok: true},
	"GET /v1/log/search": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/log/search?digest=" + f.digest}}
	}, ok: true},
	"GET /v1/history": {reqs: func(f *isoFixture) []isoReq {
		var out []isoReq
		for _, q := range []string{"", "?package=" + f.pkg, "?zone=raw&key_prefix=acme-secret-obj/", "?zone=golden", "?digest=" + f.digest,
			"?run_id=acme-secret-run", "?type=promotion.*&order=desc", "?actor=owner", "?tenant=acme", "?proofs=true&limit=1000"} {
			out = append(out, isoReq{method: http.MethodGet, path: "/v1/history" + q})
		}
		return out
	}, ok: true}, // the caller's own entries and the system's: none of acme's
	"GET /v1/history/export": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/history/export?format=ndjson"},
			{method: http.MethodGet, path: "/v1/history/export?format=csv&package=" + f.pkg},
			{method: http.MethodGet, path: "/v1/history/export?format=parquet&tenant=acme"}}
	}, ok: true},
	"GET /v1/events/stream": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/events/stream?follow=false&after=0"},
			{method: http.MethodGet, path: "/v1/events/stream?follow=false&after=0&package=" + f.pkg},
			{method: http.MethodGet, path: "/v1/events/stream?follow=false&after=0&tenant=acme"}}
	}, ok: true}, // the caller's own entries and the system's: none of acme's
	"GET /v1/artifacts/{digest}/timeline": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/artifacts/" + f.digest + "/timeline?proofs=true"}}
	}, ok: true},
	"GET /v1/packages/{id}/timeline": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/packages/" + f.pkg + "/timeline"}}
	}},
	"POST /v1/packages": {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages", body: []byte(`{"name":"evil","retention_class":"transient"}`)}}
	}, ok: true, ownWrite: true},
	"GET /v1/packages": {reqs: get("/v1/packages?producer=acme-secret-producer"), ok: true},
	"GET /v1/packages/{id}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/packages/" + f.pkg}}
	}},
	"POST /v1/packages/{id}/files": {reqs: func(f *isoFixture) []isoReq {
		body, ctype := multipartBody(f.t, filePart("evil.txt", "evil"))
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/files",
			header: http.Header{"Content-Type": {ctype}}, body: body.Bytes()}}
	}},
	"POST /v1/packages/{id}/finalize": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/finalize"}}
	}},
	"GET /v1/packages/{id}/manifest": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/packages/" + f.pkg + "/manifest"}}
	}},
	"GET /v1/files/{file_id}/download": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/files/" + f.file + "/download"}}
	}},
	"PUT /v1/objects/raw/{key:.+}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPut, path: "/v1/objects/raw/evil-own/c.txt", body: []byte("evil")}}
	}, ok: true, ownWrite: true},
	"GET /v1/objects/{zone}/{key:.+}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/objects/raw/" + f.key},
			{method: http.MethodGet, path: "/v1/objects/raw/packages/" + f.pkg + "/acme-secret-dir/a.txt"}}
	}},
	"HEAD /v1/objects/{zone}/{key:.+}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodHead, path: "/v1/objects/raw/" + f.key}}
	}},
	"GET /v1/objects/{zone}": {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/objects/raw?prefix=acme"}, {method: http.MethodGet, path: "/v1/objects/golden?prefix=acme"}}
	}, ok: true}, // the caller's own objects: none
	"GET " + wire.ObjectStatusPath + "/{zone}/{key:.+}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: wire.ObjectStatusPath + "/raw/" + f.key},
			{method: http.MethodGet, path: wire.ObjectStatusPath + "/golden/acme-secret-gold/b.txt"},
			{method: http.MethodGet, path: wire.ObjectStatusPath + "/quarantine/acme-secret-q/b.txt"}}
	}},
	"GET /v1/object-versions/{zone}/{key:.+}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/object-versions/raw/" + f.key}}
	}, ok: true}, // the caller's own versions of that key: none
	"GET /v1/backends":  {reqs: get("/v1/backends"), ok: true},
	"GET /health/store": {reqs: get("/health/store"), ok: true},
	"POST /v1/store/scrub": {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/store/scrub"}}
	}, ok: true, ownWrite: true}, // an operator's check of the whole store: it logs its totals
	"GET /v1/blobs/{digest}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/blobs/" + f.digest}}
	}},
	"HEAD /v1/blobs/{digest}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodHead, path: "/v1/blobs/" + f.digest}}
	}},
	"GET /v1/cas/{tenant}/{key:.+}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/cas/acme/" + f.key}}
	}},
	"POST " + wire.ExportsPath: {reqs: func(f *isoFixture) []isoReq {
		runID, art := "0b5e4c2a-9d1f-4e7a-8c3b-2f6d1a9e7c41", "sha256:"+strings.Repeat("ad", 32)
		return []isoReq{
			{method: http.MethodPost, path: wire.ExportsPath, header: http.Header{wire.TenantHeader: {"acme"}}, body: f.exportDoc(runID, art, "acme")},
			{method: http.MethodPost, path: wire.ExportsPath, header: http.Header{wire.TenantHeader: {"evil"}}, body: f.exportDoc(runID, art, "acme")},
		}
	}},
	"POST /v1/packages/{id}/retention/extensions": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/retention/extensions", body: []byte(`{"duration":"1d","reason":"evil"}`)}}
	}},
	"POST /v1/packages/{id}/retention/holds": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/retention/holds", body: []byte(`{"reason":"evil"}`)}}
	}},
	"POST /v1/packages/{id}/retention/holds/{hold_id}/release": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/retention/holds/" + f.hold + "/release", body: []byte(`{"reason":"evil"}`)}}
	}},
	"GET /v1/packages/{id}/retention": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: "/v1/packages/" + f.pkg + "/retention"}}
	}},
	"GET /v1/retention/eligible": {reqs: get("/v1/retention/eligible"), ok: true}, // the caller's own: none
	"POST " + wire.PromotionsPath: {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: wire.PromotionsPath,
			body: []byte(`{"source":"raw/acme-secret-obj/","destination":"golden/evil/","tier":"basic"}`)},
			{method: http.MethodPost, path: wire.PromotionsPath,
				body: []byte(`{"source":"raw/evil-obj/","destination":"golden/evil/","tier":"basic","permission_id":"` + f.permission + `"}`)}}
	}},
	"GET " + wire.PromotionsPath: {reqs: get(wire.PromotionsPath), ok: true}, // the caller's own: none
	"GET " + wire.PromotionsPath + "/{id}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: wire.PromotionsPath + "/" + f.promotion}}
	}},
	"POST " + wire.PromotionsPath + "/{id}/retry": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: wire.PromotionsPath + "/" + f.failedPromotion + "/retry", body: []byte(`{}`)}}
	}},
	"GET " + wire.QuarantinePath: {reqs: get(wire.QuarantinePath + "?prefix=acme"), ok: true}, // the caller's own: none
	// Lines for acme's run id make the other tenant's own run of that id.
	"POST " + wire.RunsPath + "/{run_id}/logs": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: wire.RunLogPath(f.sealedRun), body: []byte(`{"lines":[{"phase":"x","level":"info","message":"evil"}]}`)}}
	}, ok: true, ownWrite: true},
	"POST " + wire.RunsPath + "/{run_id}/logs/close": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: wire.RunLogPath(f.openRun) + "/close", body: []byte(`{"status":"failed"}`)}}
	}},
	"GET " + wire.RunsPath + "/{run_id}/logs/stream": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: wire.RunLogPath(f.openRun) + "/stream?follow=false"}}
	}},
	// Another tenant cannot have acme's landed bytes verified, nor link a
	// promotion of its own to acme's permission.
	"POST " + wire.PermitPath: {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: wire.PermitPath, body: []byte(`{"tier":"basic","keys":["raw/` + f.key + `"]}`)}}
	}},
	"POST " + wire.QuarantinePath + "/{id}/approve": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: wire.QuarantinePath + "/" + f.item + "/approve", body: []byte(`{"reason":"evil"}`)}}
	}},
	"POST " + wire.QuarantinePath + "/{id}/reject": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: wire.QuarantinePath + "/" + f.item + "/reject", body: []byte(`{"reason":"evil"}`)}}
	}},
	"POST /v1/retention/sweep": {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/retention/sweep?dry_run=true"}, {method: http.MethodPost, path: "/v1/retention/sweep"}}
	}, ok: true, ownWrite: true}, // the caller's own packages only
	"POST /v1/retention/purge": {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/retention/purge"}}
	}, ok: true, ownWrite: true},
	"POST /v1/packages/{id}/delete": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/delete", body: []byte(`{"reason":"evil"}`)}}
	}},
	"POST /v1/packages/{id}/restore": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodPost, path: "/v1/packages/" + f.pkg + "/restore", body: []byte(`{"reason":"evil"}`)}}
	}},
	"GET " + wire.ExportsPath: {reqs: func(*isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: wire.ExportsPath + "?tenant=acme"},
			{method: http.MethodGet, path: wire.ExportsPath}}
	}, ok: true},
	"GET " + wire.ExportsPath + "/{key}": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: wire.ExportsPath + "/" + f.exportKey}}
	}},
	"GET " + wire.ExportsPath + "/{key}/payload": {reqs: func(f *isoFixture) []isoReq {
		return []isoReq{{method: http.MethodGet, path: wire.ExportsPath + "/" + f.exportKey + "/payload"}}
	}},
}

func (f *isoFixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

func (f *isoFixture) send(q isoReq, token string) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), q.method, f.srv.URL+q.path, bytes.NewReader(q.body))
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range q.header {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" && q.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return roundTrip(f.t, f.srv, req)
}

// state is what a refused call must leave unchanged: the log's size and
// the files of the store.
func (f *isoFixture) state() string {
	f.t.Helper()
	files, err := filepath.Glob(filepath.Join(f.blobs, "*", "*", "*", "*"))
	if err != nil {
		f.t.Fatal(err)
	}
	trashed, err := filepath.Glob(filepath.Join(f.blobs, "trash", "*", "*"))
	if err != nil {
		f.t.Fatal(err)
	}
	files = append(files, trashed...)
	slices.Sort(files)
	return fmt.Sprint(f.size(), files)
}

// TestTenantIsolationMatrix calls every route the router holds with a token of
// another tenant and with a token lacking the route's scope. Neither may
// get any byte of acme's data (its keys, digests, ids, metadata values,
// content), and neither may write anything, except where a row says the
// other tenant writes to its own data. A route without a row fails.
func TestTenantIsolationMatrix(t *testing.T) {
	f := newIsoFixture(t)
	// The owner reads its own data: the check below is not vacuous.
	for _, path := range []string{"/v1/events/stream?follow=false&after=0", "/v1/history?package=" + f.pkg, "/v1/history?zone=raw&key_prefix=acme", "/v1/history/export?format=csv",
		"/v1/packages/" + f.pkg + "/timeline", "/v1/artifacts/" + f.digest + "/timeline", wire.PromotionsPath + "/" + f.promotion, wire.QuarantinePath, "/v1/log/entries?start=0", "/v1/log/search?digest=" + f.digest, "/v1/packages/" + f.pkg, "/v1/packages/" + f.pkg + "/retention",
		"/v1/objects/raw/" + f.key, wire.ExportsPath + "/" + f.exportKey, "/v1/log/receipt?index=1", wire.RunLogPath(f.openRun) + "/stream?follow=false"} {
		r := f.send(isoReq{method: http.MethodGet, path: path}, f.owner)
		if r.status != http.StatusOK || f.leaked(isoReq{}, r) == "" {
			t.Fatalf("owner GET %s: %d %.300s; want its own data", path, r.status, r.body)
		}
	}
	routes := f.api.Routes()
	if len(routes) < len(isolationMatrix) {
		t.Fatalf("%d routes, fewer than the %d matrix rows", len(routes), len(isolationMatrix))
	}
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		row, ok := isolationMatrix[name]
		if !ok {
			t.Errorf("route %s has no row in the isolation matrix", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			for _, q := range row.reqs(f) {
				f.checkOther(t, q, row)
				if rt.Scope != httpapi.PublicScope && rt.Scope != httpapi.AuthenticatedScope {
					f.checkNoScope(t, q)
				}
			}
		})
	}
}

func (f *isoFixture) checkOther(t *testing.T, q isoReq, row isoRow) {
	t.Helper()
	before := f.state()
	r := f.send(q, f.other)
	switch {
	case r.status == http.StatusOK || r.status == http.StatusCreated || r.status == http.StatusAccepted:
		if !row.ok {
			t.Errorf("%s %s by another tenant: %d, want 403 or 404: %.300s", q.method, q.path, r.status, r.body)
		}
	case r.status != http.StatusForbidden && r.status != http.StatusNotFound:
		t.Errorf("%s %s by another tenant: %d, want 403 or 404 (or 200 with none of its data): %.300s", q.method, q.path, r.status, r.body)
	}
	if s := f.leaked(q, r); s != "" {
		t.Errorf("%s %s by another tenant: the answer holds %q: %.400s", q.method, q.path, s, r.body)
	}
	if after := f.state(); after != before && !row.ownWrite {
		t.Errorf("%s %s by another tenant wrote: %s -> %s", q.method, q.path, before, after)
	}
}

// leaked returns the first of acme's strings in r's body or headers that
// the request q did not name itself (an error may echo what was asked), or
// "".
func (f *isoFixture) leaked(q isoReq, r response) string {
	asked := q.path + string(q.body) + fmt.Sprint(q.header)
	for _, s := range f.secrets {
		if strings.Contains(asked, s) {
			continue
		}
		if bytes.Contains(r.body, []byte(s)) || strings.Contains(fmt.Sprint(r.header), s) {
			return s
		}
	}
	return ""
}

func (f *isoFixture) checkNoScope(t *testing.T, q isoReq) {
	t.Helper()
	before := f.state()
	r := f.send(q, f.noScope)
	if r.status != http.StatusForbidden || q.method != http.MethodHead && r.problem(t).Type != wire.TypeForbidden {
		t.Errorf("%s %s without the scope: %d, want 403 forbidden: %.300s", q.method, q.path, r.status, r.body)
	}
	if after := f.state(); after != before {
		t.Errorf("%s %s without the scope wrote: %s -> %s", q.method, q.path, before, after)
	}
}
