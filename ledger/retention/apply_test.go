package retention

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/verifier"
)

func (f *fixture) appendRaw(typ, tenant string, body any) error {
	f.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		f.t.Fatal(err)
	}
	_, err = f.log.Append(f.t.Context(), ledger.Entry{Type: typ, Actor: "tester", Tenant: tenant, Body: b})
	return err
}

// TestAppliersRefuse appends entries that bypass the Service's prechecks,
// as a racing request or a hostile bundle would: after the allowed entry
// of each kind, each refused one leaves the log as it was.
func TestAppliersRefuse(t *testing.T) {
	f := newFixture(t)
	p := f.create("transient")
	cur := *p.Retention.ExpiresAt
	next := cur.AddDate(0, 0, 1)
	ok := Extended{PackageID: p.ID, PreviousExpiresAt: cur, ExpiresAt: next, Duration: "1d", Reason: "r"}
	if err := f.appendRaw(TypeExtended, "acme", ok); err != nil {
		t.Fatalf("the allowed extension: %v", err)
	}
	hold := HoldApplied{PackageID: p.ID, HoldID: catalog.NewID("hold"), Reason: "r"}
	if err := f.appendRaw(TypeHoldApplied, "acme", hold); err != nil {
		t.Fatalf("the allowed hold: %v", err)
	}
	if err := f.appendRaw(TypeHoldReleased, "acme", HoldReleased{PackageID: p.ID, HoldID: hold.HoldID, Reason: "r"}); err != nil {
		t.Fatalf("the allowed release: %v", err)
	}
	later := next.AddDate(0, 0, 1)
	tests := []struct {
		name, typ, tenant string
		body              any
		want              error
	}{
		{"stale previous expiry", TypeExtended, "acme", ok, ErrChanged},
		{"duration does not add up", TypeExtended, "acme", Extended{PackageID: p.ID, PreviousExpiresAt: next, ExpiresAt: later.Add(time.Hour), Duration: "1d", Reason: "r"}, ErrInvalidBody},
		{"not later", TypeExtended, "acme", Extended{PackageID: p.ID, PreviousExpiresAt: next, ExpiresAt: next, Reason: "r"}, ErrNotLater},
		{"another tenant", TypeExtended, "evil", Extended{PackageID: p.ID, PreviousExpiresAt: next, ExpiresAt: later, Reason: "r"}, catalog.ErrPackageNotFound},
		{"no reason", TypeExtended, "acme", Extended{PackageID: p.ID, PreviousExpiresAt: next, ExpiresAt: later}, ErrReasonRequired},
		{"unknown field", TypeExtended, "acme", map[string]any{"package_id": p.ID, "reason": "r", "bogus": 1}, ErrInvalidBody},
		{"hold id reused", TypeHoldApplied, "acme", hold, ErrInvalidBody},
		{"malformed hold id", TypeHoldApplied, "acme", HoldApplied{PackageID: p.ID, HoldID: "hold_1", Reason: "r"}, ErrInvalidBody},
		{"hold on another tenant's package", TypeHoldApplied, "evil", HoldApplied{PackageID: p.ID, HoldID: catalog.NewID("hold"), Reason: "r"}, catalog.ErrPackageNotFound},
		{"release twice", TypeHoldReleased, "acme", HoldReleased{PackageID: p.ID, HoldID: hold.HoldID, Reason: "r"}, ErrHoldReleased},
		{"release unknown", TypeHoldReleased, "acme", HoldReleased{PackageID: p.ID, HoldID: catalog.NewID("hold"), Reason: "r"}, ErrHoldNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.size()
			if err := f.appendRaw(tt.typ, tt.tenant, tt.body); !errors.Is(err, tt.want) {
				t.Fatalf("append = %v, want %v", err, tt.want)
			}
			if after := f.size(); after != before {
				t.Fatalf("log grew from %d to %d", before, after)
			}
		})
	}
	// A past expiry is judged by the entry's time: move the clock beyond
	// `later`, then ask for it.
	f.clock.Advance(day(30))
	before := f.size()
	err := f.appendRaw(TypeExtended, "acme", Extended{PackageID: p.ID, PreviousExpiresAt: next, ExpiresAt: later, Reason: "r"})
	if !errors.Is(err, ErrPast) || f.size() != before {
		t.Fatalf("extension into the past: %v, log %d -> %d", err, before, f.size())
	}
	// A deleted package takes neither a hold nor an extension, even from
	// an entry that skipped the Service's check.
	if _, err := f.del.Delete(t.Context(), "o", "acme", p.ID, DeleteRequest{Reason: "expired"}); err != nil {
		t.Fatalf("the allowed deletion: %v", err)
	}
	now := f.clock.Now().UTC()
	for name, e := range map[string]struct {
		typ  string
		body any
	}{
		"hold":      {TypeHoldApplied, HoldApplied{PackageID: p.ID, HoldID: catalog.NewID("hold"), Reason: "r"}},
		"extension": {TypeExtended, Extended{PackageID: p.ID, PreviousExpiresAt: next, ExpiresAt: now.AddDate(1, 0, 0), Reason: "r"}},
	} {
		before := f.size()
		if err := f.appendRaw(e.typ, "acme", e.body); !errors.Is(err, ErrAlreadyDeleted) || f.size() != before {
			t.Fatalf("%s on a deleted package: %v, log %d -> %d", name, err, before, f.size())
		}
	}
}

// TestReplay imports the log into an empty ledger and expects the same
// retention projections and views.
func TestReplay(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p := f.create("transient")
	if _, err := f.svc.Extend(ctx, "o", "acme", p.ID, ExtendRequest{Duration: "30d", Reason: "r"}); err != nil {
		t.Fatal(err)
	}
	h, err := f.svc.ApplyHold(ctx, "c", "acme", p.ID, HoldRequest{Reason: "r", CaseRef: "C-1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ApplyHold(ctx, "c", "acme", p.ID, HoldRequest{Reason: "second"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReleaseHold(ctx, "c", "acme", p.ID, h.HoldID, "done"); err != nil {
		t.Fatal(err)
	}
	size, root := f.log.Head()
	entries, err := f.log.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	mirror := f.open(t.TempDir())
	if _, err := mirror.Import(ctx, 0, entries, verifier.EmptyRoot(), root); err != nil {
		t.Fatal(err)
	}
	want, got := retentionKeys(t, f.log), retentionKeys(t, mirror)
	if len(want) < 6 || len(got) != len(want) {
		t.Fatalf("source has %d retention keys, mirror %d", len(want), len(got))
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Fatalf("key %q: source %s, mirror %s", k, v, got[k])
		}
	}
}

func retentionKeys(t *testing.T, l *ledger.Log) map[string][]byte {
	out := map[string][]byte{}
	err := l.ScanProjections(t.Context(), []byte("ret/"), nil, func(k, v []byte) (bool, error) {
		out[string(k)] = bytes.Clone(v)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestPolicyIndex: each decision names the policy.applied entry in force.
func TestPolicyIndex(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p := f.create("transient")
	ev, err := f.svc.Extend(ctx, "o", "acme", p.ID, ExtendRequest{Duration: "1d", Reason: "before any policy"})
	if err != nil || ev.PolicyIndex != nil {
		t.Fatalf("extension without a policy: %+v, %v; want no policy_index", ev, err)
	}
	if _, err := f.log.ApplyPolicy(ctx, "system", map[string]any{"retention_classes": map[string]string{"transient": "7d"}}); err != nil {
		t.Fatal(err)
	}
	idx, err := f.log.PolicyIndex()
	if err != nil {
		t.Fatal(err)
	}
	ev, err = f.svc.Extend(ctx, "o", "acme", p.ID, ExtendRequest{Duration: "1d", Reason: "under the policy"})
	if err != nil || ev.PolicyIndex == nil || *ev.PolicyIndex != idx {
		t.Fatalf("extension: %+v, %v; want policy_index %d", ev, err, idx)
	}
	entry, err := f.log.Entry(ev.Index)
	if err != nil || !bytes.Contains(entry, []byte(`"policy_index":`)) {
		t.Fatalf("entry %s, %v; want its policy_index", entry, err)
	}
}
