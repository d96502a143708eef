package retention

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// TestLifecycle drives one package through its retention with the
// injected clock: extended twice, held, past its expiry but held (not
// eligible), released (eligible); the view tells the whole story with
// ledger indexes.
func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	p := f.create("transient") // 7d
	forever := f.create("permanent-record")
	young := f.create("release-evidence")
	created := *p.Retention.ExpiresAt

	ev, err := f.svc.Extend(ctx, "officer", "acme", p.ID, ExtendRequest{Duration: "1d", Reason: "audit requested"})
	if err != nil {
		t.Fatal(err)
	}
	if want := created.AddDate(0, 0, 1); !ev.ExpiresAt.Equal(want) || !ev.PreviousExpiresAt.Equal(created) || ev.Actor != "officer" || ev.Type != TypeExtended {
		t.Fatalf("extension event %+v; want %s -> %s by officer", ev, created, want)
	}
	until := created.AddDate(0, 0, 3)
	if _, err := f.svc.Extend(ctx, "officer", "acme", p.ID, ExtendRequest{ExpiresAt: &until, Reason: "more"}); err != nil {
		t.Fatal(err)
	}
	h, err := f.svc.ApplyHold(ctx, "counsel", "acme", p.ID, HoldRequest{Reason: "litigation", CaseRef: "CASE-7"})
	if err != nil || !h.Active || h.CaseRef != "CASE-7" || h.AppliedBy != "counsel" {
		t.Fatalf("ApplyHold = %+v, %v", h, err)
	}

	f.clock.Advance(day(30))
	if ids := f.eligibleIDs(); len(ids) != 0 {
		t.Fatalf("eligible while held: %v", ids)
	}
	v, err := f.svc.View(ctx, "acme", p.ID)
	if err != nil || v.Eligible || v.ActiveHolds != 1 || !v.ExpiresAt.Equal(until) || !v.CreatedExpiresAt.Equal(created) {
		t.Fatalf("view while held: %+v, %v", v, err)
	}

	r, err := f.svc.ReleaseHold(ctx, "counsel", "acme", p.ID, h.HoldID, "settled")
	if err != nil || r.Active || r.ReleaseReason != "settled" || r.ReleasedBy != "counsel" || r.ReleasedIndex == 0 {
		t.Fatalf("ReleaseHold = %+v, %v", r, err)
	}
	if ids := f.eligibleIDs(); !slices.Equal(ids, []string{p.ID}) {
		t.Fatalf("eligible after release: %v, want only %s (not %s kept forever, not %s unexpired)", ids, p.ID, forever.ID, young.ID)
	}
	v, err = f.svc.View(ctx, "acme", p.ID)
	if err != nil || !v.Eligible || v.ActiveHolds != 0 || v.Mode != catalog.ModeGovernance || len(v.Holds) != 1 || v.Holds[0].Active {
		t.Fatalf("view after release: %+v, %v", v, err)
	}
	var types []string
	for i, e := range v.Events {
		if i > 0 && e.Index <= v.Events[i-1].Index {
			t.Fatalf("events out of log order: %+v", v.Events)
		}
		entry, err := f.log.Entry(e.Index)
		if err != nil || !strings.Contains(string(entry), `"type":"`+e.Type+`"`) {
			t.Fatalf("event %+v: entry %s, %v", e, entry, err)
		}
		types = append(types, e.Type)
	}
	want := []string{catalog.TypePackageCreated, TypeExtended, TypeExtended, TypeHoldApplied, TypeHoldReleased}
	if !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if other, _, _, err := f.svc.Eligible(ctx, "evil", "", 0); err != nil || len(other) != 0 {
		t.Fatalf("another tenant's eligible list: %v, %v", other, err)
	}
}

// TestEligiblePages pages through eligible packages among ones that are
// not.
func TestEligiblePages(t *testing.T) {
	f := newFixture(t)
	var want []string
	for i := range 5 {
		p := f.create("transient")
		if i%2 == 0 {
			want = append(want, p.ID)
		} else if _, err := f.svc.ApplyHold(t.Context(), "c", "acme", p.ID, HoldRequest{Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(day(8))
	var got []string
	cursor := ""
	for range 10 {
		page, next, _, err := f.svc.Eligible(t.Context(), "acme", cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			got = append(got, e.PackageID)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("eligible %v, want %v", got, want)
	}
}

// TestServiceRefuses sends each bad request after the same request made
// good has been accepted, and expects its error with nothing appended.
func TestServiceRefuses(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	old := f.create("transient") // expires 7d after creation; the clock moves 10d on
	f.clock.Advance(day(10))
	p := f.create("transient")
	forever := f.create("permanent-record")
	evil := f.createFor("evil", "transient")
	cur := *p.Retention.ExpiresAt
	if _, err := f.svc.Extend(ctx, "o", "acme", p.ID, ExtendRequest{Duration: "1d", Reason: "ok"}); err != nil {
		t.Fatalf("the allowed extension: %v", err)
	}
	cur = cur.AddDate(0, 0, 1)
	held, err := f.svc.ApplyHold(ctx, "c", "acme", p.ID, HoldRequest{Reason: "r"})
	if err != nil {
		t.Fatalf("the allowed hold: %v", err)
	}
	released, err := f.svc.ApplyHold(ctx, "c", "acme", p.ID, HoldRequest{Reason: "r"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReleaseHold(ctx, "c", "acme", p.ID, released.HoldID, "done"); err != nil {
		t.Fatalf("the allowed release: %v", err)
	}
	at := func(t time.Time) *time.Time { return &t }
	extend := func(id string, r ExtendRequest) func() error {
		return func() error { _, err := f.svc.Extend(ctx, "o", "acme", id, r); return err }
	}
	hold := func(tenant, id string, r HoldRequest) func() error {
		return func() error { _, err := f.svc.ApplyHold(ctx, "c", tenant, id, r); return err }
	}
	release := func(id, hold, reason string) func() error {
		return func() error { _, err := f.svc.ReleaseHold(ctx, "c", "acme", id, hold, reason); return err }
	}
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"unknown package", extend(catalog.NewID("pkg"), ExtendRequest{Duration: "1d", Reason: "r"}), catalog.ErrPackageNotFound},
		{"another tenant's package", extend(evil.ID, ExtendRequest{Duration: "1d", Reason: "r"}), catalog.ErrPackageNotFound},
		{"another tenant's hold", hold("evil", p.ID, HoldRequest{Reason: "r"}), catalog.ErrPackageNotFound},
		{"shorter", extend(p.ID, ExtendRequest{ExpiresAt: at(cur.Add(-time.Second)), Reason: "r"}), ErrNotLater},
		{"the same", extend(p.ID, ExtendRequest{ExpiresAt: at(cur), Reason: "r"}), ErrNotLater},
		{"past", extend(old.ID, ExtendRequest{Duration: "1d", Reason: "r"}), ErrPast},
		{"kept forever", extend(forever.ID, ExtendRequest{Duration: "1d", Reason: "r"}), ErrPermanent},
		{"no reason", extend(p.ID, ExtendRequest{Duration: "1d", Reason: " "}), ErrReasonRequired},
		{"both", extend(p.ID, ExtendRequest{ExpiresAt: at(cur.AddDate(1, 0, 0)), Duration: "1d", Reason: "r"}), ErrInvalidRequest},
		{"neither", extend(p.ID, ExtendRequest{Reason: "r"}), ErrInvalidRequest},
		{"bad duration", extend(p.ID, ExtendRequest{Duration: "2w", Reason: "r"}), ErrInvalidRequest},
		{"hold without reason", hold("acme", p.ID, HoldRequest{}), ErrReasonRequired},
		{"case ref too long", hold("acme", p.ID, HoldRequest{Reason: "r", CaseRef: string(make([]byte, MaxCaseRef+1))}), ErrInvalidRequest},
		{"unknown hold", release(p.ID, catalog.NewID("hold"), "r"), ErrHoldNotFound},
		{"malformed hold id", release(p.ID, "hold_x/../y", "r"), ErrHoldNotFound},
		{"hold of another package", release(old.ID, held.HoldID, "r"), ErrHoldNotFound},
		{"released hold", release(p.ID, released.HoldID, "r"), ErrHoldReleased},
		{"release without reason", release(p.ID, held.HoldID, ""), ErrReasonRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.size()
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if after := f.size(); after != before {
				t.Fatalf("log grew from %d to %d", before, after)
			}
		})
	}
	var ee *ExpiryError
	err = extend(p.ID, ExtendRequest{ExpiresAt: at(cur.AddDate(0, 0, -1)), Reason: "r"})()
	if !errors.As(err, &ee) || !ee.Current.Equal(cur) || !strings.Contains(err.Error(), cur.Format(time.RFC3339Nano)) {
		t.Fatalf("shorter extension: %v; want both dates, current %s", err, cur)
	}
	if d := expiryDetails(err); d["current_expires_at"] == nil || d["requested_expires_at"] == nil {
		t.Fatalf("details %v; want both dates", d)
	}
}
