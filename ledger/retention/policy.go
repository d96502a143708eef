package retention

import (
	"encoding/json"
	"fmt"
	"time"
)

// PolicyMember is the member of the server's policy (the policy.applied
// entry) that holds Policy: the retention rules this domain enforces
// beyond the classes.
const PolicyMember = "retention"

// Policy is the retention part of the policy.applied entry: the grace
// period of deletions, in whole seconds, so that every purge can be
// re-derived from the log alone. The server records it under
// PolicyMember.
func Policy(grace time.Duration) map[string]any {
	return map[string]any{"deletion_grace_seconds": int64(grace / time.Second)}
}

// graceOf reads the grace period of deletions from a policy (the policy
// member of a policy.applied entry); ok is false when the policy sets none
// (no policy, or one recorded before the grace period was part of it).
func graceOf(policy json.RawMessage) (grace time.Duration, ok bool, err error) {
	if policy == nil {
		return 0, false, nil
	}
	var p struct {
		Retention *struct {
			DeletionGraceSeconds *int64 `json:"deletion_grace_seconds"`
		} `json:"retention"`
	}
	if err := json.Unmarshal(policy, &p); err != nil {
		return 0, false, fmt.Errorf("read the policy in force: %w", err)
	}
	if p.Retention == nil || p.Retention.DeletionGraceSeconds == nil {
		return 0, false, nil
	}
	s := *p.Retention.DeletionGraceSeconds
	if s < 0 || s > int64(100*365*24*time.Hour/time.Second) {
		return 0, false, fmt.Errorf("policy in force: deletion_grace_seconds %d out of range", s)
	}
	return time.Duration(s) * time.Second, true, nil
}

// purgeableAt says when the deletion del may be purged under the grace
// period of the policy in force (policy): at its grace_until, the promise
// made when it started, and not before its start plus the grace the
// policy now sets. A longer grace in a later policy so holds back
// deletions already made; a shorter one never shortens a promise.
func purgeableAt(del *Deletion, policy json.RawMessage) (time.Time, error) {
	g, ok, err := graceOf(policy)
	if err != nil || !ok {
		return del.GraceUntil, err
	}
	if t := del.StartedAt.Add(g); t.After(del.GraceUntil) {
		return t, nil
	}
	return del.GraceUntil, nil
}
