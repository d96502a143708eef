package httpapi_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// TestPromotionRetry: a promotion that quarantined a tampered object is
// failed; after the producer lands good bytes again, a reviewer's retry is
// a new attempt (logged with retry_of) that checks only that object,
// promotes it, and marks the old quarantine item retried, which no review
// can decide any more; a second retry has nothing left.
func TestPromotionRetry(t *testing.T) {
	f := newPromFixture(t)
	a := f.land("drop/a.txt", "apple")
	f.land("drop/b.txt", "berry")
	f.tamper(a.Digest)
	v := f.promote("raw/drop/", "golden/fruit/", "basic")
	if v.Status != promotion.StatusFailed || v.Promoted != 1 || v.Quarantined != 1 {
		t.Fatalf("first attempt %+v, want failed with 1 promoted and 1 quarantined", v.Promotion)
	}
	qid := v.Objects[0].QuarantineID
	f.land("drop/a.txt", "apple, landed again")
	r, err := f.revCli.RetryPromotion(t.Context(), v.ID)
	if err != nil || r.RetryOf != v.ID || r.ID == v.ID {
		t.Fatalf("retry: %+v, %v", r.Promotion, err)
	}
	r = f.wait(r.ID)
	if r.Status != promotion.StatusCompleted || r.Checked != 1 || r.Promoted != 1 || len(r.Objects) != 1 || r.Objects[0].SourceKey != "drop/a.txt" {
		t.Fatalf("retry %+v %+v, want drop/a.txt alone, promoted", r.Promotion, r.Objects)
	}
	if o := f.object(catalog.ZoneGolden, "fruit/a.txt"); o == nil || o.Digest == a.Digest {
		t.Fatalf("golden fruit/a.txt after the retry: %+v", o)
	}
	it, err := f.revCli.Quarantine(t.Context(), map[string][]string{"status": {promotion.ItemRetried}})
	if err != nil || len(it.Items) != 1 || it.Items[0].ID != qid || it.Items[0].DecisionReason != "retry:"+r.ID {
		t.Fatalf("retried items %+v, %v", it, err)
	}
	if resp := f.call(http.MethodPost, "/v1/quarantine/"+qid+"/approve", f.reviewer, map[string]string{"reason": "ok"}); resp.status != http.StatusConflict {
		t.Fatalf("approve a retried item: %d %s", resp.status, resp.body)
	}
	entries := f.entries()
	if n := countContaining(entries, `"retry_of":"`+v.ID+`"`); n != 1 {
		t.Fatalf("%d promotion.requested entries with retry_of, want 1", n)
	}
	// Bad input: a 4xx problem, nothing written.
	for _, tc := range []struct {
		name, id, token string
		body            any
		status          int
		typ             string
	}{
		{"nothing left to retry", v.ID, f.reviewer, `{}`, http.StatusConflict, wire.TypePromotionNothingToRetry},
		{"a promotion with none quarantined", r.ID, f.reviewer, `{}`, http.StatusConflict, wire.TypePromotionNothingToRetry},
		{"unknown id", "prm_" + strings.Repeat("0", 32), f.reviewer, `{}`, http.StatusNotFound, wire.TypePromotionNotFound},
		{"malformed id", "not-a-promotion", f.reviewer, `{}`, http.StatusNotFound, wire.TypePromotionNotFound},
		{"another tenant's", v.ID, f.other, `{}`, http.StatusNotFound, wire.TypePromotionNotFound},
		{"missing scope", v.ID, f.noProm, `{}`, http.StatusForbidden, wire.TypeForbidden},
		{"unknown member", v.ID, f.reviewer, `{"keys":["drop/a.txt"]}`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"no body", v.ID, f.reviewer, nil, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
		{"not an object", v.ID, f.reviewer, `[]`, http.StatusBadRequest, wire.TypePromotionInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, files := f.size(), f.storeFiles()
			resp := f.call(http.MethodPost, wire.PromotionsPath+"/"+tc.id+"/retry", tc.token, tc.body)
			if resp.status != tc.status || resp.problem(t).Type != tc.typ {
				t.Fatalf("%d %s, want %d %s", resp.status, resp.body, tc.status, tc.typ)
			}
			if f.size() != size || !slices.Equal(f.storeFiles(), files) {
				t.Fatalf("a refused retry wrote: log %d -> %d", size, f.size())
			}
		})
	}
}

// entries returns every entry of the log.
func (f *promFixture) entries() [][]byte {
	f.t.Helper()
	es, err := f.log.Entries(0, f.size())
	if err != nil {
		f.t.Fatal(err)
	}
	return es
}

func countContaining(entries [][]byte, s string) int {
	n := 0
	for _, e := range entries {
		if bytes.Contains(e, []byte(s)) {
			n++
		}
	}
	return n
}
