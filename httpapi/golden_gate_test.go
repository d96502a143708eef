package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// goldenState lists every object of zones golden and quarantine of acme.
func (f *isoFixture) goldenState() string {
	f.t.Helper()
	cat := catalog.New(f.log)
	var out []string
	for _, zone := range []string{catalog.ZoneGolden, catalog.ZoneQuarantine} {
		objs, _, err := cat.Objects(f.t.Context(), "acme", zone, "", "", 0)
		if err != nil {
			f.t.Fatal(err)
		}
		for _, o := range objs {
			out = append(out, fmt.Sprintf("%s/%s@%d", zone, o.Key, o.Version))
		}
	}
	return strings.Join(out, " ")
}

var routeParam = regexp.MustCompile(`\{([a-z_]+)(:[^}]*)?\}`)

// goldenAttempts are the requests that try to make route write into golden:
// every path parameter filled with golden-ish and real values, and for
// writes, bodies and headers that name golden every way the API reads a
// location.
func (f *isoFixture) goldenAttempts(rt struct{ method, path string }) []isoReq {
	values := map[string][]string{
		"zone":    {"golden", "quarantine"},
		"key":     {"golden/x.txt", "x.txt", "../golden/x.txt", f.exportKey},
		"id":      {f.pkg, f.item, f.promotion},
		"file_id": {f.file},
		"hold_id": {f.hold},
		"digest":  {f.digest},
		"tenant":  {"acme"},
		"path":    {"0/000"},
	}
	paths := []string{rt.path}
	for _, m := range routeParam.FindAllStringSubmatch(rt.path, -1) {
		var next []string
		for _, p := range paths {
			for _, v := range values[m[1]] {
				next = append(next, strings.Replace(p, m[0], v, 1))
			}
		}
		paths = next
	}
	golden := map[string]any{"source": "raw/acme-secret-obj/", "destination": "golden/forced/", "tier": "none",
		"zone": "golden", "key": "golden/x.txt", "path": "golden/x.txt", "name": "golden", "reason": "ok",
		"retention_class": "transient", "metadata": map[string]string{"zone": "golden"}}
	jsonBody, _ := json.Marshal(golden)
	mp, ctype := multipartBody(f.t, filePart("golden/x.txt", "forced"))
	var out []isoReq
	for _, p := range paths {
		if rt.method == http.MethodGet || rt.method == http.MethodHead {
			if p == "/v1/events/stream" {
				p += "?follow=false&after=0" // a followed stream never ends
			}
			out = append(out, isoReq{method: rt.method, path: p})
			continue
		}
		out = append(out,
			isoReq{method: rt.method, path: p, body: jsonBody},
			isoReq{method: rt.method, path: p, header: http.Header{"Content-Type": {ctype}, wire.PathHeader: {"golden/x.txt"}}, body: mp.Bytes()},
			isoReq{method: rt.method, path: p, header: http.Header{"Content-Type": {"text/plain"}, wire.MetadataHeader: {`{"zone":"golden"}`}}, body: []byte("forced")},
		)
	}
	// The PUT route itself with another zone, which the router does not
	// match: it must stay unmatched.
	if rt.method == http.MethodPut {
		out = append(out, isoReq{method: http.MethodPut, path: "/v1/objects/golden/x.txt", body: []byte("forced")},
			isoReq{method: http.MethodPut, path: "/v1/objects/raw/../golden/x.txt", body: []byte("forced")})
	}
	return out
}

// TestNoPathIntoGoldenButTheGate calls every route the server registers,
// with a token of every tenant scope, in every way that could name zone
// golden or quarantine, and checks that none of them changes either zone;
// then that the gate does, and that the log refuses golden writes by any
// other entry type.
func TestNoPathIntoGoldenButTheGate(t *testing.T) {
	f := newIsoFixture(t)
	before := f.goldenState()
	if before == "" {
		t.Fatal("the seed put nothing in golden: the check below would be vacuous")
	}
	for _, r := range f.api.Routes() {
		name := r.Method + " " + r.Path
		t.Run(name, func(t *testing.T) {
			for _, q := range f.goldenAttempts(struct{ method, path string }{r.Method, r.Path}) {
				resp := f.send(q, f.owner)
				if after := f.goldenState(); after != before {
					t.Fatalf("%s %s (%d %.200s) changed golden/quarantine: %s -> %s", q.method, q.path, resp.status, resp.body, before, after)
				}
			}
		})
	}
	// The gate, called properly, is the way in.
	r := f.send(isoReq{method: http.MethodPost, path: wire.PromotionsPath,
		body: []byte(`{"source":"raw/acme-secret-obj/","destination":"golden/via-gate/","tier":"basic"}`)}, f.owner)
	if r.status != http.StatusAccepted {
		t.Fatalf("the gate: %d %s", r.status, r.body)
	}
	if err := f.prom.ProcessPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	if f.goldenState() == before {
		t.Fatalf("the gate: %d %s; golden unchanged", r.status, r.body)
	}
	// Below the API: entries that are not the gate's cannot place objects
	// in golden or quarantine, whatever their body says.
	gated := f.goldenState()
	ref := fmt.Sprintf(`"zone":%%q,"key":"forced.txt","digest":%q,"size":1,"blake3":"%s","media_type":""`, f.digest, strings.Repeat("0", 64))
	for _, tc := range []struct {
		typ, body string
		want      error
	}{
		{catalog.TypeObjectPut, "{" + fmt.Sprintf(ref, "golden") + "}", catalog.ErrGoldenGate},
		{catalog.TypeObjectPut, "{" + fmt.Sprintf(ref, "quarantine") + "}", catalog.ErrGoldenGate},
		{catalog.TypeFileAdded, `{"package_id":"` + f.pkg + `","file_id":"file_` + strings.Repeat("1", 32) + `","path":"forced.txt",` + fmt.Sprintf(ref, "golden") + "}", catalog.ErrInvalidBody},
		{"promotion.promoted", `{"promotion_id":"` + f.promotion + `","source_key":"acme-secret-obj/b.txt","object":{` + fmt.Sprintf(ref, "golden") + `},"decision_index":1}`, promotion.ErrInvalidBody},
	} {
		_, err := f.log.Append(t.Context(), ledger.Entry{Type: tc.typ, Actor: "owner", Tenant: "acme", Body: []byte(tc.body)})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s into golden: %v, want %v", tc.typ, err, tc.want)
		}
	}
	if after := f.goldenState(); after != gated {
		t.Fatalf("entries outside the gate changed golden: %s -> %s", gated, after)
	}
}
