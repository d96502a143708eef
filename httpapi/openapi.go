package httpapi

import (
	_ "embed"
	"encoding"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/retention"
	"github.com/assay-ledger/assay/ledger/runlog"
)

// openapiSource is the checked-in description of every route: an OpenAPI 3
// document whose "x-routes" member maps "METHOD /path/template" (exactly as
// Routes lists it) to the route's operation: summary, description, query
// parameters, request body and success responses. What every route shares
// is filled in by openAPIDocument, from the route itself: its path
// parameters, its security (the scope it needs), the problem responses, and
// the schemas, which are derived from the Go types in openapiSchemas.
// Describing a new route is one line there.
//
//go:embed openapi.json
var openapiSource []byte

// openapiSchemas are the bodies the document names in components/schemas,
// derived by reflection from the types the handlers encode and decode, so
// that the document cannot drift from them.
var openapiSchemas = map[string]any{
	"Problem": wire.Problem{}, "WhoAmI": wire.WhoAmI{}, "Health": wire.Health{},
	"LogEntry": wire.LogEntry{}, "EntriesPage": wire.EntriesPage{},
	"InclusionProof": wire.InclusionProof{}, "ConsistencyProof": wire.ConsistencyProof{},
	"SearchResult": SearchResult{}, "CASObject": wire.CASObject{},
	"PermitRequest": wire.PermitRequest{}, "PermitResponse": wire.PermitResponse{},
	"HistoryPage": wire.HistoryPage{}, "HistoryRow": wire.HistoryRow{}, "StreamCutoff": wire.StreamCutoff{},
	"CreatePackageRequest": wire.CreatePackageRequest{}, "Package": catalog.Package{},
	"PackageWithDeletion": wire.PackageWithDeletion{}, "PackagesPage": wire.PackagesPage{},
	"UploadResult": wire.UploadResult{}, "Object": catalog.Object{}, "ObjectsPage": ObjectsPage{},
	"GoldenPage": wire.GoldenPage{}, "ObjectStatus": wire.ObjectStatus{},
	"Backends": map[string][]BackendStatus{}, "StoreHealth": StoreHealth{}, "ScrubReport": catalog.ScrubReport{},
	"ExportSubmission": exports.Submission{}, "ExportReceipt": wire.ExportReceipt{}, "ExportsPage": wire.ExportsPage{},
	"PromotionRequest": wire.PromotionRequest{}, "PromotionView": wire.PromotionView{}, "PromotionRetryRequest": wire.PromotionRetryRequest{},
	"PromotionsPage": wire.PromotionsPage{}, "QuarantinePage": wire.QuarantinePage{},
	"QuarantineDecisionRequest": wire.QuarantineDecisionRequest{},
	"ExtendRetentionRequest":    wire.ExtendRetentionRequest{}, "HoldRequest": wire.HoldRequest{},
	"ReleaseHoldRequest": wire.ReleaseHoldRequest{}, "RetentionEvent": retention.Event{}, "Hold": retention.Hold{},
	"RetentionView": retention.View{}, "EligiblePage": wire.EligiblePage{}, "SweepResult": retention.SweepResult{},
	"DeleteRequest": wire.DeleteRequest{}, "RestoreRequest": wire.RestoreRequest{},
	"Deletion": retention.Deletion{}, "PurgeResult": wire.PurgeResult{},
	"WitnessesView": wire.WitnessesView{}, "Receipt": wire.Receipt{}, "PolicyAudit": wire.PolicyAudit{},
	"DriftReport": catalog.DriftReport{}, "PublishRequest": wire.PublishRequest{}, "PublishResult": wire.PublishResult{},
	"RunLogAppend": wire.RunLogAppend{}, "RunLogClose": wire.RunLogClose{}, "RunLog": runlog.Run{}, "RunComplete": wire.RunComplete{},
}

// registerOpenAPI adds GET /v1/openapi.json, public like /health: the
// document describes the API, not anyone's data.
func (s *Server) registerOpenAPI() {
	var once sync.Once
	var doc []byte
	var err error
	s.Handle(http.MethodGet, wire.OpenAPIPath, PublicScope, func(*http.Request) (any, error) {
		// Routes are all registered before serving, so the first request
		// sees the final set.
		once.Do(func() { doc, err = s.openAPIDocument() })
		if err != nil {
			return nil, err
		}
		return &Response{ContentType: "application/json", Body: doc}, nil
	})
}

// pathParam matches one variable of a gorilla/mux path template, with its
// optional pattern: "{key:.+}".
var pathParam = regexp.MustCompile(`\{([a-z_]+)(?::[^}]*)?\}`)

// openAPIPath turns a mux template into an OpenAPI path: "{key:.+}" -> "{key}".
func openAPIPath(template string) string { return pathParam.ReplaceAllString(template, "{$1}") }

// openAPIDocument builds the document this server serves: the source's
// operations of the routes it registered, completed as openapiSource says.
func (s *Server) openAPIDocument() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal(openapiSource, &doc); err != nil {
		return nil, fmt.Errorf("openapi source: %w", err)
	}
	ops, _ := doc["x-routes"].(map[string]any)
	delete(doc, "x-routes")
	comps, _ := doc["components"].(map[string]any)
	if comps == nil {
		comps = map[string]any{}
		doc["components"] = comps
	}
	schemas := map[string]any{}
	for name, v := range openapiSchemas {
		schemas[name] = jsonSchema(reflect.TypeOf(v), map[reflect.Type]bool{})
	}
	comps["schemas"] = schemas
	paths := map[string]any{}
	for _, rt := range s.Routes() {
		op, ok := ops[rt.Method+" "+rt.Path].(map[string]any)
		if !ok {
			continue // undescribed: TestOpenAPIRoutes fails
		}
		op = maps.Clone(op)
		completeOperation(op, rt)
		p := openAPIPath(rt.Path)
		item, _ := paths[p].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[p] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	doc["paths"] = paths
	return json.MarshalIndent(doc, "", " ")
}

// completeOperation adds to op what follows from the route: its path
// parameters, its security and scope, and its problem responses.
func completeOperation(op map[string]any, rt Route) {
	params, _ := op["parameters"].([]any)
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	responses, _ := op["responses"].(map[string]any)
	responses = maps.Clone(responses)
	if responses == nil {
		responses = map[string]any{}
	}
	problem := func(code string) {
		if _, ok := responses[code]; !ok {
			responses[code] = map[string]any{"$ref": "#/components/responses/Problem"}
		}
	}
	problem("default")
	op["x-assay-scope"] = rt.Scope
	switch rt.Scope {
	case PublicScope:
		op["security"] = []any{}
	case AuthenticatedScope:
		op["security"] = []any{map[string]any{"bearer": []any{}}}
		problem("401")
	default:
		op["security"] = []any{map[string]any{"bearer": []any{}}}
		problem("401")
		problem("403")
	}
	op["responses"] = responses
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	rawMessage    = reflect.TypeFor[json.RawMessage]()
	timeType      = reflect.TypeFor[time.Time]()
)

// jsonSchema is the OpenAPI schema of the JSON encoding/json gives t:
// structs by their json tags (embedded structs flattened), text
// marshalers as strings, json.RawMessage and interfaces as any value.
// Members are not marked required: which are present is each route's
// description's business.
func jsonSchema(t reflect.Type, seen map[reflect.Type]bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawMessage:
		return map[string]any{"description": "any JSON value, byte for byte as stored"}
	case t.Implements(textMarshaler) || reflect.PointerTo(t).Implements(textMarshaler):
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "format": "byte"}
		}
		return map[string]any{"type": "array", "items": jsonSchema(t.Elem(), seen)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": jsonSchema(t.Elem(), seen)}
	case reflect.Struct:
		if seen[t] {
			return map[string]any{"type": "object"} // a recursive type: described where it starts
		}
		seen[t] = true
		defer delete(seen, t)
		props := map[string]any{}
		var required []any
		structProps(t, seen, props, &required)
		out := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			out["required"] = required
		}
		return out
	}
	return map[string]any{} // interfaces: any value
}

// structProps adds the JSON members of struct t to props, and to
// required the names of those encoding/json always writes (no omitempty).
// A member that may be written as null (a pointer, slice, map or
// interface) is nullable.
func structProps(t reflect.Type, seen map[reflect.Type]bool, props map[string]any, required *[]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct && !ft.Implements(textMarshaler) {
			structProps(ft, seen, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		schema := jsonSchema(f.Type, seen)
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			if len(schema) > 0 {
				schema["nullable"] = true
			}
		}
		props[name] = schema
		if !slices.Contains(strings.Split(opts, ","), "omitempty") {
			*required = append(*required, name)
		}
	}
}
