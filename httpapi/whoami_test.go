package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestWhoAmI: any valid token learns its own name, tenant and scopes, even
// one holding no scope of any route; no token, or a wrong one, gets a 401
// problem; and asking appends nothing.
func TestWhoAmI(t *testing.T) {
	f := newFixture(t, 2)
	idle := f.createToken("idle", "globex", "none")
	for _, tc := range []struct {
		name, token, method string
		auth                []string // raw Authorization values
		status              int
		want                wire.WhoAmI
	}{
		{name: "all scopes", token: f.admin, status: http.StatusOK, want: wire.WhoAmI{Name: "admin", Tenant: "acme", Scopes: []string{"*"}}},
		{name: "reader", token: f.reader, status: http.StatusOK, want: wire.WhoAmI{Name: "reader", Tenant: "acme", Scopes: []string{"log:read"}}},
		{name: "several scopes", token: f.audit, status: http.StatusOK, want: wire.WhoAmI{Name: "auditor", Tenant: "acme", Scopes: []string{"log:read", "log:audit"}}},
		{name: "no route's scope", token: idle, status: http.StatusOK, want: wire.WhoAmI{Name: "idle", Tenant: "globex", Scopes: []string{"none"}}},
		{name: "no token", status: http.StatusUnauthorized},
		{name: "unknown token", token: "not-a-token", status: http.StatusUnauthorized},
		{name: "basic scheme", auth: []string{"Basic YWRtaW46YWRtaW4="}, status: http.StatusUnauthorized},
		{name: "two tokens", auth: []string{"Bearer " + f.admin, "Bearer " + f.reader}, status: http.StatusUnauthorized},
		{name: "oversized token", auth: []string{"Bearer " + strings.Repeat("a", 513)}, status: http.StatusUnauthorized},
		{name: "post", method: http.MethodPost, token: f.admin, status: http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.size()
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+wire.WhoAmIPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			for _, a := range tc.auth {
				req.Header.Add("Authorization", a)
			}
			r := f.send(req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.status != http.StatusOK {
				want := wire.TypeUnauthorized
				if tc.status == http.StatusMethodNotAllowed {
					want = wire.TypeMethodNotAllowed
				}
				if p := r.problem(t); p.Type != want || p.RequestID == "" {
					t.Fatalf("problem %+v, want type %s with a request_id", p, want)
				}
			} else {
				var got wire.WhoAmI
				if err := json.Unmarshal(r.body, &got); err != nil {
					t.Fatal(err)
				}
				if got.Name != tc.want.Name || got.Tenant != tc.want.Tenant || !slices.Equal(got.Scopes, tc.want.Scopes) {
					t.Fatalf("whoami %+v, want %+v", got, tc.want)
				}
			}
			if after := f.size(); after != before {
				t.Fatalf("log grew from %d to %d", before, after)
			}
		})
	}
}
