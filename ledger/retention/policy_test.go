package retention

import (
	"errors"
	"testing"
	"time"
)

// TestGraceFromPolicy records a grace period in the policy that differs
// from the Deleter's and checks that purges follow the longer of the
// deletion's grace_until and the grace of the policy in force: a sweep
// purges nothing before, and a deletion.purged written by hand is refused
// with the log unchanged; a shorter policy never shortens a promise.
func TestGraceFromPolicy(t *testing.T) {
	ctx := t.Context()
	policy := func(f *fixture, grace time.Duration) {
		t.Helper()
		if _, err := f.log.ApplyPolicy(ctx, "system", map[string]any{PolicyMember: Policy(grace)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		grace       time.Duration // of the policy recorded after the deletion
		held, freed int           // days after the deletion: still restorable, then purged
	}{
		{"longer policy holds deletions back", day(10), 9, 11},
		{"shorter policy keeps the promise", day(1), 6, 8},
		{"same as the deleter", DefaultGrace, 6, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			policy(f, DefaultGrace)
			p, d := f.withFile("transient", "policy bytes")
			f.clock.Advance(day(8))
			del, err := f.del.Delete(ctx, "o", "acme", p.ID, DeleteRequest{Reason: "expired"})
			if err != nil {
				t.Fatal(err)
			}
			policy(f, tc.grace)
			f.clock.Advance(day(tc.held))
			if got, err := f.del.Purge(ctx, "system", "acme"); err != nil || len(got) != 0 {
				t.Fatalf("day %d: purged %+v, %v; want nothing", tc.held, got, err)
			}
			before := f.size()
			err = f.appendRaw(TypeDeletionPurged, "acme", DeletionPurged{PackageID: p.ID, StartedIndex: del.StartedIndex,
				Purged: []string{d.String()}, Bytes: del.Bytes})
			if !errors.Is(err, ErrGraceNotOver) || f.size() != before {
				t.Fatalf("day %d: a hand-written purge: %v, log %d -> %d; want %v and the log unchanged", tc.held, err, before, f.size(), ErrGraceNotOver)
			}
			if f.where(d) != inTrash {
				t.Fatalf("day %d: blob is %s, want in the trash", tc.held, f.where(d))
			}
			f.clock.Advance(day(tc.freed - tc.held))
			if got, err := f.del.Purge(ctx, "system", "acme"); err != nil || len(got) != 1 {
				t.Fatalf("day %d: purged %+v, %v; want the deletion", tc.freed, got, err)
			}
			if f.where(d) != nowhere {
				t.Fatalf("day %d: blob is %s, want gone", tc.freed, f.where(d))
			}
		})
	}
}

// TestGraceOf reads the grace period from policies of every shape.
func TestGraceOf(t *testing.T) {
	tests := []struct {
		policy string
		want   time.Duration
		ok     bool
		err    bool
	}{
		{``, 0, false, false},
		{`{"catalog":{}}`, 0, false, false},
		{`{"retention":{}}`, 0, false, false},
		{`{"retention":{"deletion_grace_seconds":3600}}`, time.Hour, true, false},
		{`{"retention":{"deletion_grace_seconds":0}}`, 0, true, false},
		{`{"retention":{"deletion_grace_seconds":-1}}`, 0, false, true},
		{`{"retention":{"deletion_grace_seconds":"7d"}}`, 0, false, true},
		{`[1]`, 0, false, true},
	}
	for _, tc := range tests {
		var raw []byte
		if tc.policy != "" {
			raw = []byte(tc.policy)
		}
		got, ok, err := graceOf(raw)
		if got != tc.want || ok != tc.ok || (err != nil) != tc.err {
			t.Errorf("graceOf(%s) = %v, %v, %v; want %v, %v, error %v", tc.policy, got, ok, err, tc.want, tc.ok, tc.err)
		}
	}
}
