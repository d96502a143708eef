package promotion

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Steps of an object through the gate, as Step.Step and Status.State name
// them. StateLanded is an object no step has acted on since it landed.
const (
	StateLanded      = "landed"
	StateVerified    = "verified"    // checked, not yet placed
	StateFailed      = "failed"      // check failed, not yet quarantined
	StatePromoted    = "promoted"    // in golden (by the gate, or approved after review)
	StateMasked      = "masked"      // in golden as a masked copy
	StateQuarantined = "quarantined" // in quarantine, awaiting review
	StateRejected    = "rejected"    // refused for good by a reviewer
	StateApproved    = "approved"    // a reviewer placed it in golden (a step; the state is promoted)
	StateArchived    = "archived"    // an object of zone archive
)

// stepOf is the step each entry type records; see recordStep.
var stepOf = map[string]string{
	TypeVerified: StateVerified, TypeFailed: StateFailed, TypePromoted: StatePromoted,
	TypeQuarantined: StateQuarantined, TypeApproved: StateApproved, TypeRejected: StateRejected,
	TypeMasked: StateMasked,
}

// Step is one decision of the gate about a raw object, kept in the
// projection pro/src/ under the raw key by the Applier of the decision's
// entry (in the same transaction), so that an object's status needs no
// scan of the log.
type Step struct {
	Step          string `json:"step"`  // verified, failed, promoted, quarantined, approved, rejected (masked, with masking)
	Index         uint64 `json:"index"` // of the entry
	PromotionID   string `json:"promotion_id,omitempty"`
	QuarantineID  string `json:"quarantine_id,omitempty"`
	SourceVersion uint64 `json:"source_version,omitempty"` // of the raw object checked or placed
	Tier          string `json:"tier,omitempty"`
	Digest        string `json:"digest,omitempty"` // recomputed, on a check
	Reason        string `json:"reason,omitempty"` // of a failure, or the reviewer's code
	Zone          string `json:"zone,omitempty"`   // where the step placed an object
	Key           string `json:"key,omitempty"`
}

// recordStep keeps st, the step of rec about the tenant's raw sourceKey.
// Step and Index come from rec.
func recordStep(tx *ledger.Tx, rec *ledger.Record, sourceKey string, st Step) error {
	if st.Step == "" {
		st.Step = stepOf[rec.Type]
	}
	st.Index = rec.Index
	return tx.SetJSON(stepKey(rec.Tenant, sourceKey, rec.Index), st)
}

// maxSteps bounds the steps a Status lists (the latest ones).
const maxSteps = 1000

// Status is where an object stands: its current version, what was declared
// when it landed, the gate's steps about it (of its raw source, for an
// object of golden or quarantine) with their ledger indexes, and the state
// the latest of them leaves it in.
type Status struct {
	Zone   string          `json:"zone"`
	Key    string          `json:"key"`
	State  string          `json:"state"`
	Object *catalog.Object `json:"object"`
	// LandedIndex is the entry that put the current version (object.put,
	// file.added, or the gate's placement for golden and quarantine).
	LandedIndex uint64 `json:"landed_index"`
	// Source is the raw object the steps are about (itself, in zone raw).
	SourceKey string `json:"source_key"`
	Steps     []Step `json:"steps"`
	// Truncated says that older steps than the maxSteps listed exist.
	Truncated bool `json:"truncated,omitempty"`
}

// ObjectStatus returns the status of the tenant's current object zone/key
// (catalog.ErrObjectNotFound when it has none).
func (s *Service) ObjectStatus(ctx context.Context, tenant, zone, key string) (*Status, error) {
	o, err := s.cat.Object(tenant, zone, key)
	if err != nil {
		return nil, err
	}
	st := &Status{Zone: zone, Key: key, Object: o, LandedIndex: o.Version, SourceKey: key, Steps: []Step{}}
	var qid string
	switch zone {
	case catalog.ZoneGolden, catalog.ZoneQuarantine:
		if st.SourceKey, qid, err = placedFrom(o); err != nil {
			return nil, err
		}
	case catalog.ZoneArchive:
		st.State = StateArchived
		return st, nil
	}
	if st.Steps, st.Truncated, err = s.steps(ctx, tenant, st.SourceKey); err != nil {
		return nil, err
	}
	st.State = stateOf(st, qid)
	return st, nil
}

// placedFrom reads the raw source key (and quarantine id) a golden or
// quarantine object's metadata records.
func placedFrom(o *catalog.Object) (string, string, error) {
	var m struct {
		Promotion  *GoldenMeta `json:"promotion"`
		Quarantine *struct {
			QuarantineID string `json:"quarantine_id"`
			SourceKey    string `json:"source_key"`
		} `json:"quarantine"`
	}
	if err := json.Unmarshal(o.Metadata, &m); err != nil {
		return "", "", fmt.Errorf("metadata of %s/%s: %w", o.Zone, o.Key, err)
	}
	switch {
	case m.Promotion != nil:
		return m.Promotion.SourceKey, m.Promotion.QuarantineID, nil
	case m.Quarantine != nil:
		return m.Quarantine.SourceKey, m.Quarantine.QuarantineID, nil
	}
	return "", "", fmt.Errorf("%s/%s records no promotion", o.Zone, o.Key)
}

// steps lists the latest maxSteps steps about the tenant's raw key, in log
// order, and whether older ones were left out.
func (s *Service) steps(ctx context.Context, tenant, key string) ([]Step, bool, error) {
	out := []Step{}
	truncated := false
	err := s.log.ScanProjections(ctx, stepPrefix(tenant, key), nil, func(_, v []byte) (bool, error) {
		var st Step
		if err := json.Unmarshal(v, &st); err != nil {
			return false, err
		}
		if len(out) == maxSteps {
			out, truncated = append(out[1:], st), true
		} else {
			out = append(out, st)
		}
		return true, nil
	})
	return out, truncated, err
}

// stateOf is the state the steps leave the object of st in. For a raw
// object, only steps about its current version count (a new version has
// landed since the others); for a quarantined object, those of its
// quarantine id decide.
func stateOf(st *Status, qid string) string {
	state := StateLanded
	version := map[string]uint64{} // of each quarantine id
	for _, p := range st.Steps {
		v := p.SourceVersion
		if p.Step == StateApproved || p.Step == StateRejected {
			v = version[p.QuarantineID] // a review names the item, not the version
		} else if p.QuarantineID != "" {
			version[p.QuarantineID] = v
		}
		switch {
		case st.Zone == catalog.ZoneRaw && v != st.Object.Version:
			continue
		case st.Zone == catalog.ZoneQuarantine && p.QuarantineID != qid:
			continue
		case st.Zone == catalog.ZoneGolden && p.Key != st.Key && p.QuarantineID != qid:
			continue
		}
		state = p.Step
	}
	if state == StateApproved {
		return StatePromoted
	}
	return state
}

// prefixStep is the projection of steps by raw key:
// pro/src/<tenant>\x00<raw key>\x00<index:016x>.
const prefixStep = "pro/src/"

func stepPrefix(tenant, key string) []byte {
	return []byte(prefixStep + tenant + "\x00" + key + "\x00")
}

func stepKey(tenant, key string, index uint64) []byte {
	return fmt.Appendf(stepPrefix(tenant, key), "%016x", index)
}
