package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
)

// muxParam is a gorilla/mux path variable with its optional pattern.
var muxParam = regexp.MustCompile(`\{([a-z_]+)(?::[^}]*)?\}`)

// loadOpenAPI fetches GET /v1/openapi.json without a token and loads and
// validates it with kin-openapi.
func loadOpenAPI(t *testing.T, f *isoFixture) *openapi3.T {
	t.Helper()
	r := f.send(isoReq{method: http.MethodGet, path: wire.OpenAPIPath}, "")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %s %.300s", wire.OpenAPIPath, r.status, r.header.Get("Content-Type"), r.body)
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.body)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("the document is not valid OpenAPI 3: %v", err)
	}
	return doc
}

// TestOpenAPIRoutes holds the OpenAPI document to the router: every route
// of a server with every route the serve command registers is described,
// with its scope as its security, and nothing else is. A new route fails
// here until its line is added to httpapi/openapi.json.
func TestOpenAPIRoutes(t *testing.T) {
	f := newIsoFixture(t)
	doc := loadOpenAPI(t, f)
	var src struct {
		Routes map[string]json.RawMessage `json:"x-routes"`
	}
	if err := json.Unmarshal(httpapi.OpenAPISource, &src); err != nil {
		t.Fatal(err)
	}
	routes := f.api.Routes()
	registered := map[string]bool{}
	for _, rt := range routes {
		name := rt.Method + " " + rt.Path
		registered[name] = true
		if _, ok := src.Routes[name]; !ok {
			t.Errorf("route %s is not described in httpapi/openapi.json (x-routes)", name)
			continue
		}
		path := muxParam.ReplaceAllString(rt.Path, "{$1}")
		op := doc.Paths.Value(path).GetOperation(rt.Method)
		if op == nil {
			t.Errorf("route %s: no operation %s %s in the served document", name, rt.Method, path)
			continue
		}
		if op.Summary == "" || op.Responses.Default() == nil {
			t.Errorf("route %s: no summary or no problem response", name)
		}
		if scope, _ := op.Extensions["x-assay-scope"].(string); scope != rt.Scope {
			t.Errorf("route %s: x-assay-scope %q, want %q", name, scope, rt.Scope)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != (rt.Scope == httpapi.PublicScope) {
			t.Errorf("route %s of scope %s: security %v", name, rt.Scope, op.Security)
		}
		for _, m := range muxParam.FindAllStringSubmatch(rt.Path, -1) {
			if p := op.Parameters.GetByInAndName("path", m[1]); p == nil || !p.Required {
				t.Errorf("route %s: path parameter %s not described as required", name, m[1])
			}
		}
	}
	for name := range src.Routes {
		if !registered[name] {
			t.Errorf("httpapi/openapi.json describes %s, which the server does not register", name)
		}
	}
	ops := 0
	for _, item := range doc.Paths.Map() {
		ops += len(item.Operations())
	}
	if ops != len(routes) {
		t.Errorf("the document has %d operations for %d routes", ops, len(routes))
	}
}

// TestOpenAPIResponses checks real answers against the document with
// kin-openapi's validator: bodies of the main routes and a problem match
// the schemas derived from the Go types.
func TestOpenAPIResponses(t *testing.T) {
	f := newIsoFixture(t)
	doc := loadOpenAPI(t, f)
	for _, tc := range []struct {
		method, path, template string
		body                   string
		status                 int
	}{
		{http.MethodGet, "/health", "/health", "", http.StatusOK},
		{http.MethodGet, wire.WhoAmIPath, wire.WhoAmIPath, "", http.StatusOK},
		{http.MethodGet, "/v1/log/entries?start=0", "/v1/log/entries", "", http.StatusOK},
		{http.MethodGet, "/v1/log/entries/1", "/v1/log/entries/{index}", "", http.StatusOK},
		{http.MethodGet, "/v1/log/entries/x", "/v1/log/entries/{index}", "", http.StatusBadRequest},
		{http.MethodGet, "/v1/log/proof/inclusion?index=1", "/v1/log/proof/inclusion", "", http.StatusOK},
		{http.MethodGet, "/v1/log/search?digest=" + f.digest, "/v1/log/search", "", http.StatusOK},
		{http.MethodGet, "/v1/packages/" + f.pkg, "/v1/packages/{id}", "", http.StatusOK},
		{http.MethodGet, "/v1/packages", "/v1/packages", "", http.StatusOK},
		{http.MethodGet, "/v1/packages/" + f.pkg + "/retention", "/v1/packages/{id}/retention", "", http.StatusOK},
		{http.MethodGet, "/v1/objects/raw?prefix=acme", "/v1/objects/{zone}", "", http.StatusOK},
		{http.MethodGet, wire.ObjectStatusPath + "/raw/" + f.key, wire.ObjectStatusPath + "/{zone}/{key}", "", http.StatusOK},
		{http.MethodGet, wire.PromotionsPath + "/" + f.promotion, wire.PromotionsPath + "/{id}", "", http.StatusOK},
		{http.MethodGet, wire.QuarantinePath, wire.QuarantinePath, "", http.StatusOK},
		{http.MethodGet, wire.ExportsPath + "/" + f.exportKey, wire.ExportsPath + "/{key}", "", http.StatusOK},
		{http.MethodPost, "/v1/packages", "/v1/packages", `{"name":"n","retention_class":"transient"}`, http.StatusCreated},
		{http.MethodPost, "/v1/packages", "/v1/packages", `{"name":1}`, http.StatusBadRequest},
		{http.MethodPost, "/v1/packages/" + f.pkg + "/retention/holds", "/v1/packages/{id}/retention/holds", `{"reason":"audit","case_ref":"c-1"}`, http.StatusCreated},
		{http.MethodPost, "/v1/packages/" + f.pkg + "/retention/holds", "/v1/packages/{id}/retention/holds", `{"reason":["audit"]}`, http.StatusBadRequest},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := f.send(isoReq{method: tc.method, path: tc.path, body: body}, f.owner)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			item := doc.Paths.Value(tc.template)
			op := item.GetOperation(tc.method)
			if op == nil {
				t.Fatalf("no operation %s %s", tc.method, tc.template)
			}
			req, _ := http.NewRequest(tc.method, tc.path, bytes.NewReader(body))
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: pathParams(tc.template, tc.path),
				Route:   &routers.Route{Spec: doc, Path: tc.template, PathItem: item, Method: tc.method, Operation: op},
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
			// The document's request schema agrees with the server: a body
			// it refuses with 400 breaks the schema, an accepted one fits.
			if body != nil {
				err := openapi3filter.ValidateRequest(t.Context(), in)
				if (err != nil) != (r.status == http.StatusBadRequest) {
					t.Fatalf("request validation against the document: %v, server answered %d", err, r.status)
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header,
				Options: &openapi3filter.Options{IncludeResponseStatus: true}}
			out.SetBodyBytes(r.body)
			if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
				t.Fatalf("answer does not match the document: %v\n%.500s", err, r.body)
			}
			if strings.HasPrefix(r.header.Get("Content-Type"), wire.ProblemContentType) {
				var p wire.Problem
				if err := json.Unmarshal(r.body, &p); err != nil || p.RequestID == "" {
					t.Fatalf("problem without request_id: %s", r.body)
				}
			}
		})
	}
}

// pathParams matches a request path to an OpenAPI template ("/v1/a/{id}"
// with "/v1/a/x" gives id=x); the last variable takes the rest, as {key:.+}
// does.
func pathParams(template, path string) map[string]string {
	path, _, _ = strings.Cut(path, "?")
	ts, ps := strings.Split(template, "/"), strings.Split(path, "/")
	out := map[string]string{}
	for i, seg := range ts {
		if name, ok := strings.CutPrefix(seg, "{"); ok && i < len(ps) {
			v := ps[i]
			if i == len(ts)-1 {
				v = strings.Join(ps[i:], "/")
			}
			out[strings.TrimSuffix(name, "}")] = v
		}
	}
	return out
}

// TestOpenAPIBadInput: the document's route takes GET only; any other
// method is a 405 problem that writes nothing.
func TestOpenAPIBadInput(t *testing.T) {
	f := newFixture(t, 2)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		before := f.size()
		r := f.do(method, wire.OpenAPIPath, f.admin, strings.NewReader(`{"openapi":"3.0.3"}`))
		if r.status != http.StatusMethodNotAllowed {
			t.Fatalf("%s: %d, want 405: %s", method, r.status, r.body)
		}
		if p := r.problem(t); p.Type != wire.TypeMethodNotAllowed || p.RequestID != r.header.Get(wire.RequestIDHeader) {
			t.Fatalf("%s: problem %+v", method, p)
		}
		if f.size() != before {
			t.Fatalf("%s wrote to the log", method)
		}
	}
	// A server without the catalog, exports, retention or promotion routes
	// describes only what it serves.
	r := f.do(http.MethodGet, wire.OpenAPIPath, "", nil)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Paths["/v1/packages"]; ok || len(doc.Paths) == 0 || doc.Paths["/v1/whoami"]["get"] == nil {
		var paths []string
		for p := range doc.Paths {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		t.Fatalf("a log-only server's document has paths %v", paths)
	}
}
