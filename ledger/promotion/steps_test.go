package promotion

import (
	"testing"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// TestStateOf derives an object's state from its steps: only steps about
// the raw object's current version count, a review counts for the version
// its item quarantined, and a golden or quarantine object follows its own
// key or item.
func TestStateOf(t *testing.T) {
	checked := []Step{
		{Step: StateFailed, Index: 5, SourceVersion: 3},
		{Step: StateQuarantined, Index: 6, SourceVersion: 3, QuarantineID: "q1", Zone: catalog.ZoneQuarantine, Key: "in/a"},
	}
	approved := append(append([]Step{}, checked...), Step{Step: StateApproved, Index: 8, QuarantineID: "q1", Zone: catalog.ZoneGolden, Key: "in/a"})
	rejected := append(append([]Step{}, checked...), Step{Step: StateRejected, Index: 8, QuarantineID: "q1"})
	promoted := []Step{
		{Step: StateVerified, Index: 2, SourceVersion: 0},
		{Step: StatePromoted, Index: 3, SourceVersion: 0, Zone: catalog.ZoneGolden, Key: "out/a"},
	}
	for _, tc := range []struct {
		name    string
		zone    string
		key     string
		version uint64
		qid     string
		steps   []Step
		want    string
	}{
		{"no step", catalog.ZoneRaw, "a", 3, "", nil, StateLanded},
		{"checked, not placed", catalog.ZoneRaw, "a", 3, "", checked[:1], StateFailed},
		{"quarantined", catalog.ZoneRaw, "a", 3, "", checked, StateQuarantined},
		{"approved", catalog.ZoneRaw, "a", 3, "", approved, StatePromoted},
		{"rejected", catalog.ZoneRaw, "a", 3, "", rejected, StateRejected},
		{"a newer version landed", catalog.ZoneRaw, "a", 9, "", approved, StateLanded},
		{"promoted at version 0", catalog.ZoneRaw, "a", 0, "", promoted, StatePromoted},
		{"golden object of the promotion", catalog.ZoneGolden, "out/a", 0, "", promoted, StatePromoted},
		{"golden object of an approval", catalog.ZoneGolden, "in/a", 3, "q1", approved, StatePromoted},
		{"quarantine item rejected", catalog.ZoneQuarantine, "in/a", 3, "q1", rejected, StateRejected},
		{"another item of the same source", catalog.ZoneQuarantine, "in/a", 3, "q2", rejected, StateLanded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &Status{Zone: tc.zone, Key: tc.key, Object: &catalog.Object{Version: tc.version}, Steps: tc.steps}
			if got := stateOf(st, tc.qid); got != tc.want {
				t.Fatalf("state %q, want %q", got, tc.want)
			}
		})
	}
}
