package exports

import (
	"errors"
	"testing"

	"github.com/assay-ledger/assay/ledger"
)

// TestAppliersRefuse appends timeline entries straight to the ledger, past
// the Service's own early checks, so that the Appliers' authoritative checks
// are the ones tested: each refusal must carry its reason and leave the log
// as it was.
func TestAppliersRefuse(t *testing.T) {
	l := openLog(t)
	st, err := NewService(ServiceConfig{Log: l})
	if err != nil {
		t.Fatal(err)
	}
	pendingBody := validBody(t, map[string]any{"status": StatusPending, "completedAt": nil})
	runningBody := validBody(t, map[string]any{"status": StatusRunning, "completedAt": nil})
	pending, err := st.Submit(t.Context(), "producer", "acme", pendingBody)
	if err != nil {
		t.Fatal(err)
	}
	running, err := st.Submit(t.Context(), "producer", "acme", runningBody)
	if err != nil {
		t.Fatal(err)
	}
	// timeline returns the entry body of a submission, as a status change
	// from (status, index) when prevIndex is set.
	timeline := func(body []byte, prevStatus string, prevIndex *uint64) []byte {
		t.Helper()
		sub, canonical, err := Decode(body)
		if err != nil {
			t.Fatal(err)
		}
		tl, err := NewTimeline(sub, canonical)
		if err != nil {
			t.Fatal(err)
		}
		tl.PreviousStatus, tl.PreviousIndex = prevStatus, prevIndex
		b, err := tl.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	at := func(i uint64) *uint64 { return &i }
	succeeded := validBody(t, nil)
	tests := []struct {
		name    string
		typ     string
		body    []byte
		want    error
		wantDup uint64 // index a DuplicateError must point to
	}{
		{"ingested again, same payload", TypeIngested, timeline(pendingBody, "", nil), ErrDuplicate, pending.Index},
		{"ingested again, new payload", TypeIngested, timeline(succeeded, "", nil), errRecorded, 0},
		{"status change to the current payload", TypeStatusChanged, timeline(runningBody, StatusRunning, at(running.Index)), ErrDuplicate, running.Index},
		{"status change to an older payload", TypeStatusChanged, timeline(pendingBody, StatusRunning, at(running.Index)), ErrDuplicate, pending.Index},
		{"status change from an outdated state", TypeStatusChanged, timeline(succeeded, StatusPending, at(pending.Index)), errStale, 0},
		{"status change backwards", TypeStatusChanged, timeline(validBody(t, map[string]any{"status": StatusPending, "completedAt": nil, "jobType": "other"}), StatusRunning, at(running.Index)), ErrTransition, 0},
		{"status change of an unknown key", TypeStatusChanged, timeline(validBody(t, map[string]any{"runId": "00000000-0000-4000-8000-000000000077"}), StatusRunning, at(running.Index)), errStale, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := l.Head()
			_, err := l.Append(t.Context(), ledger.Entry{Type: tc.typ, Actor: "producer", Tenant: "acme", Body: tc.body})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Append: %v, want %v", err, tc.want)
			}
			if dup, ok := errors.AsType[*DuplicateError](err); ok && dup.Index != tc.wantDup {
				t.Fatalf("duplicate of entry %d, want %d", dup.Index, tc.wantDup)
			}
			if after, _ := l.Head(); after != before {
				t.Fatalf("log grew from %d to %d entries", before, after)
			}
		})
	}
	// The key's state lists both recorded payloads, oldest first.
	cur, found, err := loadState(l.Projection, pending.Key)
	if err != nil || !found || len(cur.Payloads) != 2 || cur.Payloads[0].Index != pending.Index || cur.Payloads[1].Index != running.Index {
		t.Fatalf("state %+v, found %v, err %v", cur, found, err)
	}
}
