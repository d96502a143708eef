package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/witness"
)

// fixedWitnesses is a WitnessSource that serves one checkpoint (the
// witness package's own tests run litewitness; these test the routes).
type fixedWitnesses struct{ cp []byte }

func (w *fixedWitnesses) Checkpoint() []byte { return w.cp }
func (w *fixedWitnesses) Quorum() int        { return 1 }
func (w *fixedWitnesses) Statuses() []witness.Status {
	return []witness.Status{{Name: "witness.test/a", URL: "http://127.0.0.1:1", CosignedSize: 3}}
}

// TestWitnessRoutes: with witnesses, the checkpoint routes serve the
// witnessed checkpoint (503 not-witnessed before there is one, the newest
// signed with ?witnessed=false); receipts prove entries in it (409 for a
// newer entry); without witnesses receipts use the newest checkpoint.
func TestWitnessRoutes(t *testing.T) {
	src := &fixedWitnesses{}
	f := newFixture(t, 5, func(c *httpapi.Config) { c.Witnesses = src })
	for _, path := range []string{"/v1/log/checkpoint", "/checkpoint"} {
		if r := f.get(path); r.status != http.StatusServiceUnavailable || r.problem(t).Type != wire.TypeNotWitnessed {
			t.Fatalf("GET %s before a quorum: %d %s", path, r.status, r.body)
		}
	}
	if r := f.get("/v1/log/checkpoint?witnessed=false"); r.status != http.StatusOK || !strings.Contains(string(r.body), "\n5\n") {
		t.Fatalf("?witnessed=false: %d %s", r.status, r.body)
	}
	at3, err := f.log.CheckpointAt(3)
	if err != nil {
		t.Fatal(err)
	}
	src.cp = append(at3, "— witness.test/a AAAA\n"...)
	for _, path := range []string{"/v1/log/checkpoint", "/checkpoint", "/v1/log/checkpoint?witnessed=true"} {
		if r := f.get(path); r.status != http.StatusOK || string(r.body) != string(src.cp) {
			t.Fatalf("GET %s: %d %s, want the witnessed checkpoint", path, r.status, r.body)
		}
	}
	if r := f.get("/v1/log/checkpoint?size=4"); r.status != http.StatusOK || !strings.Contains(string(r.body), "\n4\n") {
		t.Fatalf("?size=4: %d %s", r.status, r.body)
	}
	var rc wire.Receipt
	f.getJSON("/v1/log/receipt?index=2", &rc)
	if rc.Index != 2 || rc.TreeSize != 3 || rc.Checkpoint != string(src.cp) {
		t.Fatalf("receipt %+v", rc)
	}
	checkReceipt(t, rc, at3)
	if r := f.get("/v1/log/receipt?index=3"); r.status != http.StatusConflict || r.problem(t).Type != wire.TypeNotWitnessed {
		t.Fatalf("receipt of an entry newer than the witnessed tree: %d %s", r.status, r.body)
	}
	var view wire.WitnessesView
	f.getJSON(wire.WitnessesPath, &view)
	if view.Quorum != 1 || view.WitnessedSize != 3 || len(view.Witnesses) != 1 || view.Witnesses[0].CosignedSize != 3 {
		t.Fatalf("witnesses %+v", view)
	}

	plain := newFixture(t, 4)
	plain.getJSON("/v1/log/receipt?index=3", &rc)
	latest := plain.get("/v1/log/checkpoint").body
	if rc.TreeSize != 4 || rc.Checkpoint != string(latest) {
		t.Fatalf("receipt without witnesses: %+v", rc)
	}
	checkReceipt(t, rc, latest)
	plain.getJSON(wire.WitnessesPath, &view)
	if view.Quorum != 0 || view.Witnesses == nil || len(view.Witnesses) != 0 {
		t.Fatalf("witnesses without any: %+v", view)
	}
}

// checkReceipt verifies a receipt's proof with golang.org/x/mod/sumdb/tlog
// against the root of the signed checkpoint cp.
func checkReceipt(t *testing.T, rc wire.Receipt, cp []byte) {
	t.Helper()
	lines := strings.Split(string(cp), "\n")
	var root tlog.Hash
	if h, err := tlog.ParseHash(lines[2]); err != nil {
		t.Fatal(err)
	} else {
		root = h
	}
	proof := make(tlog.RecordProof, len(rc.InclusionProof))
	for i, h := range rc.InclusionProof {
		copy(proof[i][:], h)
	}
	if err := tlog.CheckRecord(proof, int64(rc.TreeSize), root, int64(rc.Index), tlog.RecordHash(rc.Entry)); err != nil {
		t.Fatalf("receipt of %d in %d: %v", rc.Index, rc.TreeSize, err)
	}
}

// TestWitnessRoutesBadInput: malformed receipt and checkpoint queries are
// 400 problems, other methods 405, unknown entries 404; nothing is written.
func TestWitnessRoutesBadInput(t *testing.T) {
	f := newFixture(t, 3)
	before := f.size()
	for _, tc := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodGet, "/v1/log/receipt", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/log/receipt?index=x", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/log/receipt?index=01", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/log/receipt?index=1&index=2", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/log/receipt?index=1&tree_size=2", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/log/receipt?index=%zz", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/log/receipt?index=99", http.StatusNotFound, wire.TypeNotFound},
		{http.MethodGet, "/v1/log/checkpoint?witnessed=maybe", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodGet, "/v1/log/checkpoint?witnessed=true&witnessed=false", http.StatusBadRequest, wire.TypeInvalidParameter},
		{http.MethodPost, "/v1/log/receipt?index=1", http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
		{http.MethodPost, wire.WitnessesPath, http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
		{http.MethodDelete, wire.WitnessesPath, http.StatusMethodNotAllowed, wire.TypeMethodNotAllowed},
	} {
		r := f.do(tc.method, tc.path, f.admin, strings.NewReader(`{"index":1}`))
		if r.status != tc.status || r.problem(t).Type != tc.typ {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.status, r.body, tc.status, tc.typ)
		}
	}
	if r := f.do(http.MethodGet, "/v1/log/receipt?index=1", "", nil); r.status != http.StatusUnauthorized {
		t.Errorf("receipt without a token: %d", r.status)
	}
	var p wire.Problem
	if r := f.get("/v1/log/receipt?index=x"); json.Unmarshal(r.body, &p) != nil || !strings.Contains(p.Detail, "index") {
		t.Errorf("the problem does not name the parameter: %s", r.body)
	}
	if f.size() != before {
		t.Fatalf("refused requests wrote: %d -> %d", before, f.size())
	}
}
