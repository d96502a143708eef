package promotion

import (
	"context"
	"encoding/json"
	"time"

	"github.com/assay-ledger/assay/ledger"
)

// Outcomes an Observer is told of.
const (
	OutcomePromoted    = "promoted"    // a golden object placed (by the gate or an approval)
	OutcomeMasked      = "masked"      // a masked golden object placed
	OutcomeQuarantined = "quarantined" // a quarantine object placed
	OutcomeFailed      = "failed"      // a check failed (Reason says why)
	OutcomeCompleted   = "completed"   // a promotion finished (Latency is set)
)

// Observation is one decision of the gate, for metrics: its outcome, the
// promotion's tier, the top-level prefix of the golden key concerned ("/"
// at the root), the reason of a failure or quarantine, and for a completed
// promotion the time from its request to its completion, both taken from
// the entries' times.
type Observation struct {
	Outcome string
	Tier    string
	Prefix  string
	Reason  string
	Latency time.Duration
}

// Observer receives the Service's decisions after each is appended. It is
// called only for entries this Service appends, never for entries replayed
// or imported from a bundle, so live counters do not count a decision
// twice; it is called from the goroutine that appended, and must be safe
// for concurrent use and quick.
type Observer interface {
	Observe(Observation)
}

// append appends the entry and tells the Observer of it. Every append of
// the Service goes through here.
func (s *Service) append(ctx context.Context, typ, actor, tenant string, body any) (ledger.Appended, error) {
	a, err := s.log.AppendJSON(ctx, typ, actor, tenant, body)
	if err == nil && s.obs != nil {
		if o, ok := s.observation(a.Record); ok {
			s.obs.Observe(o)
		}
	}
	return a, err
}

// observation derives what the Observer is told of rec from its body and
// the projections it updated; ok is false for entries it is not told of
// (or whose state cannot be read back, which leaves a metric short rather
// than failing an appended decision). An entry type that places a masked
// object maps to OutcomeMasked here (assay_promotion_masked_total).
func (s *Service) observation(rec *ledger.Record) (Observation, bool) {
	switch rec.Type {
	case TypeFailed:
		var b Check
		if json.Unmarshal(rec.Body, &b) != nil {
			return Observation{}, false
		}
		p, err := s.Promotion(rec.Tenant, b.PromotionID)
		if err != nil {
			return Observation{}, false
		}
		src, _ := parseSource(p.Source)
		dest, _ := parseDestination(p.Destination)
		return Observation{Outcome: OutcomeFailed, Tier: b.Tier, Prefix: topLevel(goldenKey(src, dest, b.SourceKey)), Reason: b.Reason}, true
	case TypePromoted:
		var b Placed
		if json.Unmarshal(rec.Body, &b) != nil {
			return Observation{}, false
		}
		p, err := s.Promotion(rec.Tenant, b.PromotionID)
		if err != nil {
			return Observation{}, false
		}
		return Observation{Outcome: OutcomePromoted, Tier: p.Tier, Prefix: topLevel(b.Object.Key)}, true
	case TypeMasked:
		var b Masked
		if json.Unmarshal(rec.Body, &b) != nil {
			return Observation{}, false
		}
		o := Observation{Outcome: OutcomeMasked, Tier: TierMasked, Prefix: topLevel(b.Object.Key)}
		if b.Unmasked {
			o.Outcome = OutcomePromoted
		}
		return o, true
	case TypeQuarantined, TypeApproved:
		return s.itemObservation(rec)
	case TypeCompleted:
		var b Completed
		if json.Unmarshal(rec.Body, &b) != nil {
			return Observation{}, false
		}
		p, err := s.Promotion(rec.Tenant, b.PromotionID)
		if err != nil {
			return Observation{}, false
		}
		dest, _ := parseDestination(p.Destination)
		return Observation{Outcome: OutcomeCompleted, Tier: p.Tier, Prefix: topLevel(dest), Latency: rec.Time.Sub(p.RequestedAt)}, true
	}
	return Observation{}, false
}

// itemObservation is the observation of promotion.quarantined (a
// quarantine) and quarantine.approved (a promotion after review), from the
// quarantine item the entry names.
func (s *Service) itemObservation(rec *ledger.Record) (Observation, bool) {
	var b struct {
		QuarantineID string    `json:"quarantine_id"`
		Masking      *MaskMeta `json:"masking"`
	}
	if json.Unmarshal(rec.Body, &b) != nil {
		return Observation{}, false
	}
	it, err := s.Item(rec.Tenant, b.QuarantineID)
	if err != nil {
		return Observation{}, false
	}
	if rec.Type == TypeApproved && b.Masking != nil && !b.Masking.Unmasked {
		return Observation{Outcome: OutcomeMasked, Tier: it.Tier, Prefix: topLevel(it.Destination)}, true
	}
	if rec.Type == TypeApproved {
		return Observation{Outcome: OutcomePromoted, Tier: it.Tier, Prefix: topLevel(it.Destination)}, true
	}
	return Observation{Outcome: OutcomeQuarantined, Tier: it.Tier, Prefix: topLevel(it.Destination), Reason: it.Reason}, true
}
