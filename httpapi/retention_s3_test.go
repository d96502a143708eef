package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestHoldLockPending: with the S3 store down, a hold on a package whose
// store locks it answers 503 retention-lock-pending with the index of the
// hold_applied entry, which is recorded; the hold shows in the package's
// retention view.
func TestHoldLockPending(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	store, err := s3.New(t.Context(), s3.Config{Endpoint: g.Endpoint, Region: g.Region, Bucket: g.CreateBucket(t, true),
		PathStyle: true, ObjectLock: true, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := newRetFixtureOn(t, store, store.Locker())
	p, _ := f.withFile("transient", "held while the store is down")
	g.Stop()
	before := f.size()
	r := f.post("/v1/packages/"+p.ID+"/retention/holds", f.admin, `{"reason":"litigation"}`)
	prob := r.problem(t)
	var members map[string]any
	if err := json.Unmarshal(r.body, &members); err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusServiceUnavailable || prob.Type != wire.ProblemBase+"retention-lock-pending" || members["recorded_index"] != float64(before) {
		t.Fatalf("hold with the store down: %d %s; want 503 retention-lock-pending, recorded_index %d", r.status, r.body, before)
	}
	if f.size() != before+1 {
		t.Fatalf("log %d -> %d, want the hold recorded", before, f.size())
	}
	if r := f.get("/v1/packages/"+p.ID+"/retention", f.admin); r.status != http.StatusOK || !strings.Contains(string(r.body), `"active":true`) {
		t.Fatalf("retention view: %d %s", r.status, r.body)
	}
}
