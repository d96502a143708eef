package policyaudit_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/ledger/policyaudit"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// TestParallelMatchesSequential: a history with violations gives the same
// report fed through Parallel as entry by entry, and an entry out of
// order is an error either way.
func TestParallelMatchesSequential(t *testing.T) {
	accept := func(*ledger.Tx, *ledger.Record) error { return nil }
	mod := ledger.Module{Name: "t", Appliers: map[string]ledger.Applier{catalog.TypeObjectPut: accept, promotion.TypeVerified: accept, promotion.TypePromoted: accept}}
	l, _ := ledgertest.Open(t, t.TempDir(), ledgertest.Options{Modules: []ledger.Module{mod}})
	ctx := context.Background()
	if _, err := l.ApplyPolicy(ctx, "system", map[string]any{"promotion": map[string]any{"separation_of_duties": true}}); err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		d := fmt.Sprintf("sha256:%064x", i)
		var err error
		switch i % 3 {
		case 0:
			_, err = l.AppendJSON(ctx, catalog.TypeObjectPut, "a", "t", catalog.ObjectPut{ObjectRef: catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: fmt.Sprint("k", i), Digest: d}})
		case 1:
			// Every 7th check recomputed another digest: a violation.
			c := d
			if i%7 == 0 {
				c = fmt.Sprintf("sha256:%064x", i+1)
			}
			_, err = l.AppendJSON(ctx, promotion.TypeVerified, "a", "t", promotion.Check{PromotionID: fmt.Sprint("p", i), SourceKey: "k", ExpectedDigest: d, ComputedDigest: c, Tier: promotion.TierBasic})
		default:
			_, err = l.AppendJSON(ctx, promotion.TypePromoted, "a", "t", promotion.Placed{PromotionID: fmt.Sprint("p", i-1), SourceKey: "k",
				Object: catalog.ObjectRef{Zone: catalog.ZoneGolden, Key: "g", Digest: fmt.Sprintf("sha256:%064x", i-1)}})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	n, _ := l.Head()
	es, err := l.Entries(0, n)
	if err != nil {
		t.Fatal(err)
	}
	seq := policyaudit.New(0, nil)
	for i, e := range es {
		if err := seq.Add(uint64(i), e); err != nil {
			t.Fatal(err)
		}
	}
	par := policyaudit.New(0, nil)
	p := policyaudit.NewParallel(par)
	for i, e := range es {
		if err := p.Add(uint64(i), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	want, got := seq.Report(), par.Report()
	if len(want.Violations) == 0 || !reflect.DeepEqual(want, got) {
		t.Fatalf("parallel %d violations %v, sequential %d %v", len(got.Violations), got.Checked, len(want.Violations), want.Checked)
	}
	skip := policyaudit.NewParallel(policyaudit.New(0, nil))
	_ = skip.Add(0, es[0])
	_ = skip.Add(2, es[2])
	if err := skip.Close(); err == nil {
		t.Fatal("an entry out of order was accepted")
	}
}
