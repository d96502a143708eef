package promotion

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// TestPromotePagesThroughThePrefix promotes a prefix several pages long
// (pageSize made small) and checks every object, and only those under the
// prefix, is decided once; then lists the promotion's objects page by page.
func TestPromotePagesThroughThePrefix(t *testing.T) {
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 2
	dir := t.TempDir()
	lg, _ := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module(), Module()}})
	store, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	cs := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()}
	for i := range 7 {
		if _, err := cs.PutObject(t.Context(), "producer", "acme", fmt.Sprintf("in/%02d.txt", i), "", nil, catalog.Landing{}, strings.NewReader(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.PutObject(t.Context(), "producer", "acme", "inbox/x.txt", "", nil, catalog.Landing{}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	svc, err := NewService(Config{Log: lg, Catalog: cs.Catalog, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	p := promoteNow(t, svc, "op", "acme", Request{Source: "raw/in/", Destination: "golden/out/", Tier: TierBasic})
	if p.Status != StatusCompleted || p.Checked != 7 || p.Promoted != 7 {
		t.Fatalf("promotion %+v, want 7 objects promoted", p)
	}
	var keys []string
	cursor := ""
	for range 10 {
		objs, next, err := svc.Objects(t.Context(), "acme", p.ID, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			keys = append(keys, o.Destination)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(keys) != 7 || keys[0] != "out/00.txt" || keys[6] != "out/06.txt" {
		t.Fatalf("objects listed %v", keys)
	}
	if _, err := cs.Catalog.Object("acme", catalog.ZoneGolden, "out/x.txt"); err == nil {
		t.Fatal("inbox/x.txt, outside raw/in/, was promoted")
	}
}

// promoteNow requests a promotion and lets the worker's pass decide it.
func promoteNow(t *testing.T, svc *Service, actor, tenant string, req Request) *Promotion {
	t.Helper()
	p, err := svc.Request(t.Context(), actor, tenant, req)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusRequested || p.Checked != 0 {
		t.Fatalf("a new request is %+v", p)
	}
	if err := svc.ProcessPending(t.Context()); err != nil {
		t.Fatal(err)
	}
	if p, err = svc.Promotion(tenant, p.ID); err != nil {
		t.Fatal(err)
	}
	return p
}
