package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/retention"
)

// mixedHistory appends about n entries of the kinds of decisions the audit
// checks, all valid: units of eight (an object, a package, a hold on it,
// two verified checks, the promotion of the first, two exports), each unit
// in order from one of 16 goroutines, after a policy.
func mixedHistory(b *testing.B, l *ledger.Log, n int) {
	ctx := context.Background()
	if _, err := l.ApplyPolicy(ctx, "system", basePolicy("00")); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	next := make(chan int, 1024)
	go func() {
		for u := range (n - 1) / 8 {
			next <- u
		}
		close(next)
	}()
	for range 16 {
		wg.Go(func() {
			for u := range next {
				id := strconv.Itoa(u)
				d1, d2 := fmt.Sprintf("sha256:%063x1", u), fmt.Sprintf("sha256:%063x2", u)
				unit := []struct {
					typ  string
					body any
				}{
					{catalog.TypeObjectPut, catalog.ObjectPut{ObjectRef: catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: "k/" + id, Digest: d1}}},
					{catalog.TypePackageCreated, catalog.PackageCreated{PackageID: "pkg_" + id, Retention: catalog.Retention{Class: "transient", Period: "7d"}}},
					{retention.TypeHoldApplied, retention.HoldApplied{PackageID: "pkg_" + id, HoldID: "hold_" + id, Reason: "r"}},
					{promotion.TypeVerified, promotion.Check{PromotionID: "prm_" + id, SourceKey: "k/" + id, ExpectedDigest: d1, ComputedDigest: d1, Tier: promotion.TierBasic}},
					{promotion.TypeVerified, promotion.Check{PromotionID: "prm_" + id, SourceKey: "j/" + id, ExpectedDigest: d2, ComputedDigest: d2, Tier: promotion.TierBasic}},
					{promotion.TypePromoted, promotion.Placed{PromotionID: "prm_" + id, SourceKey: "k/" + id, Object: catalog.ObjectRef{Zone: catalog.ZoneGolden, Key: "g/" + id, Digest: d1}}},
					{exports.TypeIngested, map[string]any{"idempotencyKey": "a-" + id, "status": "running", "previousStatus": ""}},
					{exports.TypeIngested, map[string]any{"idempotencyKey": "b-" + id, "status": "succeeded", "previousStatus": ""}},
				}
				for _, e := range unit {
					if _, err := l.AppendJSON(ctx, e.typ, "bench", "beta", e.body); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkPolicyAudit audits a bundle of ASSAY_AUDIT_ENTRIES (default
// 1,000,000) mixed entries offline, and verifies the same bundle alone in
// the same run: it reports both rates and their ratio (the goal is an
// audit at most twice the cost of the verification it includes).
func BenchmarkPolicyAudit(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ASSAY_AUDIT_ENTRIES")); err == nil && v > 1 {
		n = v
	}
	path, vkey, to := mixedBundle(b, n)
	b.ResetTimer()
	var verify, audit time.Duration
	for range b.N {
		t0 := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bundle.Verify(f, bundle.Options{Key: vkey}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		t1 := time.Now()
		rep, err := auditBundle(path, bundle.Options{Key: vkey})
		if err != nil {
			b.Fatal(err)
		}
		audit += time.Since(t1)
		verify += t1.Sub(t0)
		if rep.Entries != to || len(rep.Violations) != 0 {
			b.Fatalf("audited %d of %d entries, %d violations (want none): %+v", rep.Entries, to, len(rep.Violations), rep.Violations[:min(3, len(rep.Violations))])
		}
	}
	rate := func(d time.Duration) float64 { return float64(to) * float64(b.N) / d.Seconds() }
	b.ReportMetric(rate(verify), "verify-entries/s")
	b.ReportMetric(rate(audit), "audit-entries/s")
	b.ReportMetric(audit.Seconds()/verify.Seconds(), "audit/verify")
}

// mixed is the bundle BenchmarkPolicyAudit reads, built once per process
// (the benchmark function runs more than once).
var mixed struct {
	once       sync.Once
	path, vkey string
	to         uint64
}

func mixedBundle(b *testing.B, n int) (string, string, uint64) {
	mixed.once.Do(func() {
		// ASSAY_AUDIT_KEEP=DIR keeps the bundle (and its key) in DIR for
		// the next run, to profile the audit without rebuilding.
		if keep := os.Getenv("ASSAY_AUDIT_KEEP"); keep != "" {
			if b, err := os.ReadFile(filepath.Join(keep, "vkey")); err == nil {
				var to uint64
				fmt.Sscan(strings.SplitN(string(b), "\n", 2)[1], &to)
				mixed.path, mixed.vkey, mixed.to = filepath.Join(keep, "mixed.bundle"), strings.SplitN(string(b), "\n", 2)[0], to
				return
			}
		}
		dir, err := os.MkdirTemp("", "assay-audit-bench")
		if err != nil {
			b.Fatal(err)
		}
		l, vkey := ledgertest.Open(b, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{permissive()}})
		start := time.Now()
		mixedHistory(b, l, n)
		to, _ := l.Head()
		path := filepath.Join(dir, "mixed.bundle")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		c := bundle.Contents{Header: bundle.Header{Origin: l.Origin(), To: to}, Checkpoint: l.Checkpoint()}
		var page [][]byte
		at := uint64(0)
		next := func() ([]byte, error) {
			if len(page) == 0 {
				if at == to {
					return nil, io.EOF
				}
				end := min(at+1000, to)
				if page, err = l.Entries(at, end); err != nil {
					return nil, err
				}
				at = end
			}
			e := page[0]
			page = page[1:]
			return e, nil
		}
		if err := bundle.Write(f, c, next, dir); err != nil {
			b.Fatal(err)
		}
		b.Logf("built %d entries and their bundle in %s", to, time.Since(start).Round(time.Second))
		mixed.path, mixed.vkey, mixed.to = path, vkey, to
		if keep := os.Getenv("ASSAY_AUDIT_KEEP"); keep != "" {
			if err := os.MkdirAll(keep, 0o755); err == nil && os.Rename(path, filepath.Join(keep, "mixed.bundle")) == nil {
				mixed.path = filepath.Join(keep, "mixed.bundle")
				_ = os.WriteFile(filepath.Join(keep, "vkey"), fmt.Appendf(nil, "%s\n%d", vkey, to), 0o644)
			}
		}
	})
	return mixed.path, mixed.vkey, mixed.to
}
