package promotion

import (
	"context"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// Approve appends quarantine.approved for the tenant's pending item id,
// which places its object in golden at the key the promotion gave it, and
// returns the decided item. The reviewer may not be the producer who landed
// the object unless the server allows self-review.
func (s *Service) Approve(ctx context.Context, reviewer, tenant, id, reason string) (*Item, error) {
	return s.decide(ctx, TypeApproved, reviewer, tenant, id, reason)
}

// Reject appends quarantine.rejected for the tenant's pending item id: it
// stays in quarantine and never reaches golden.
func (s *Service) Reject(ctx context.Context, reviewer, tenant, id, reason string) (*Item, error) {
	return s.decide(ctx, TypeRejected, reviewer, tenant, id, reason)
}

func (s *Service) decide(ctx context.Context, typ, reviewer, tenant, id, reason string) (*Item, error) {
	it, err := s.Item(tenant, id)
	if err != nil {
		return nil, err
	}
	if it.Status != ItemPending {
		return nil, decidedError(it)
	}
	if err := checkReview(it, reviewer, reason, s.separate); err != nil {
		return nil, err
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	body := Decision{QuarantineID: id, Reason: reason, SeparationOfDuties: s.separate, PolicyIndex: pol}
	if typ == TypeApproved {
		g := it.Object
		g.Zone, g.Key = catalog.ZoneGolden, it.Destination
		body.Golden = &g
		if it.Tier == TierMasked {
			if body.Masking, err = s.approvalMasking(ctx, it, body.Golden); err != nil {
				return nil, err
			}
		}
	}
	if _, err := s.append(ctx, typ, reviewer, tenant, body); err != nil {
		return nil, err
	}
	return s.Item(tenant, id)
}
