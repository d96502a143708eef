package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestPublishBadInput: POST /v1/packages/{id}/publish refuses a body that
// is not one object of "to", a "to" that is no registry reference,
// parameters, and answers 409 while publishing is not configured; the
// publisher is called only for a well-formed request, and nothing is
// written otherwise.
func TestPublishBadInput(t *testing.T) {
	f := newFixture(t, 1)
	before := f.size()
	for _, tc := range []struct {
		path, body string
		status     int
		typ        string
	}{
		{"/v1/packages/p/publish", `{"to":"127.0.0.1:5000/r:t"}`, http.StatusConflict, wire.TypeOCINotConfigured},
		{"/v1/packages/p/publish", `[]`, http.StatusBadRequest, wire.TypeInvalidBody},
		{"/v1/packages/p/publish", `{"to":"r:t","x":1}`, http.StatusBadRequest, wire.TypeInvalidBody},
		{"/v1/packages/p/publish", `{"to":""}`, http.StatusBadRequest, wire.TypeInvalidBody},
		{"/v1/packages/p/publish", `{"to":"no-slash"}`, http.StatusBadRequest, wire.TypeInvalidBody},
		{"/v1/packages/p/publish", `{"to":"h/r:t x"}`, http.StatusBadRequest, wire.TypeInvalidBody},
		{"/v1/packages/p/publish", `{"to":"h/r:t"} {}`, http.StatusBadRequest, wire.TypeInvalidBody},
		{"/v1/packages/p/publish?force=1", `{"to":"h/r:t"}`, http.StatusBadRequest, wire.TypeInvalidParameter},
	} {
		r := f.do(http.MethodPost, tc.path, f.admin, strings.NewReader(tc.body))
		if r.status != tc.status || r.problem(t).Type != tc.typ {
			t.Errorf("POST %s %s: %d %s, want %d %s", tc.path, tc.body, r.status, r.body, tc.status, tc.typ)
		}
	}
	var called []string
	f.api.SetPublisher(func(_ context.Context, tenant, actor, id, to string) (*wire.PublishResult, error) {
		called = append(called, tenant+" "+actor+" "+id+" "+to)
		return &wire.PublishResult{Index: 7, Tag: "t"}, nil
	})
	if r := f.do(http.MethodPost, "/v1/packages/p/publish", f.admin, strings.NewReader(`{"to":"h/r:t"}`)); r.status != http.StatusCreated {
		t.Fatalf("a well-formed publish: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodPost, "/v1/packages/p/publish", f.admin, strings.NewReader(`{"to":""}`)); r.status != http.StatusBadRequest {
		t.Fatalf("an empty to with a publisher: %d", r.status)
	}
	if len(called) != 1 || called[0] != "acme admin p h/r:t" {
		t.Fatalf("publisher calls %q", called)
	}
	if f.size() != before {
		t.Fatalf("refused publishes wrote: %d -> %d", before, f.size())
	}
}
