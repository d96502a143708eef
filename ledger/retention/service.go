package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Config configures a Service. Log and Catalog are required.
type Config struct {
	Log     *ledger.Log
	Catalog *catalog.Catalog // the packages, over the same log
	// Now is the clock of eligibility and of the Service's prechecks
	// (time.Now when nil); give it the log's clock. The Appliers judge by
	// each entry's own time.
	Now func() time.Time
	// Locker, when set, is the content store's lock (S3 Object Lock):
	// compliance-mode packages retain their blobs until their expiry and
	// legal holds hold them in the store too (lock.go). Nil: no locks.
	Locker cas.Locker
}

// Service decides retention: it checks requests against the state, appends
// the entries (whose Appliers check again, where nothing can race) and
// answers the retention queries. Every call takes the caller's tenant and
// treats another tenant's package as absent.
type Service struct {
	log  *ledger.Log
	cat  *catalog.Catalog
	now  func() time.Time
	lock cas.Locker
}

// NewService returns a Service as cfg says.
func NewService(cfg Config) (*Service, error) {
	if cfg.Log == nil || cfg.Catalog == nil {
		return nil, errors.New("retention: Config.Log and Config.Catalog are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{log: cfg.Log, cat: cfg.Catalog, now: cfg.Now, lock: cfg.Locker}, nil
}

// ExtendRequest asks to move a package's expiry later: to ExpiresAt, or
// by Duration ("30d", "1y") from the expiry in force. Exactly one is set.
type ExtendRequest struct {
	ExpiresAt *time.Time
	Duration  string
	Reason    string
}

// Extend appends retention.extended for the tenant's package id and
// returns its event.
func (s *Service) Extend(ctx context.Context, actor, tenant, id string, req ExtendRequest) (*Event, error) {
	if err := checkText("reason", req.Reason, true, MaxReason); err != nil {
		return nil, err
	}
	if (req.ExpiresAt == nil) == (req.Duration == "") {
		return nil, fmt.Errorf("%w: give either expires_at (RFC 3339) or duration (such as 30d or 1y)", ErrInvalidRequest)
	}
	p, err := s.cat.Package(tenant, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkNotDeleted(id); err != nil {
		return nil, err
	}
	st, err := s.state(id)
	if err != nil {
		return nil, err
	}
	cur := expiry(p, st)
	if cur == nil {
		return nil, fmt.Errorf("%w: package %s", ErrPermanent, id)
	}
	next := req.ExpiresAt
	if req.Duration != "" {
		t, err := catalog.AddPeriod(*cur, req.Duration)
		if err != nil {
			return nil, fmt.Errorf("%w: duration: %w", ErrInvalidRequest, err)
		}
		next = &t
	}
	if err := checkExtension(id, cur, *next, s.now()); err != nil {
		return nil, err
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	body := Extended{PackageID: id, PreviousExpiresAt: cur.UTC(), ExpiresAt: next.UTC(), Duration: req.Duration,
		Reason: req.Reason, PolicyIndex: pol}
	a, err := s.log.AppendJSON(ctx, TypeExtended, actor, tenant, body)
	if err != nil {
		return nil, err
	}
	if err := s.lockExtended(ctx, p, body.ExpiresAt, a.Record.Index); err != nil {
		return nil, err
	}
	return s.event(id, a.Record.Index)
}

// HoldRequest asks for a legal hold: why, and optionally the case it is
// for.
type HoldRequest struct {
	Reason  string
	CaseRef string
}

// ApplyHold appends retention.hold_applied for a new hold on the tenant's
// package id and returns the hold.
func (s *Service) ApplyHold(ctx context.Context, actor, tenant, id string, req HoldRequest) (*Hold, error) {
	if err := checkText("reason", req.Reason, true, MaxReason); err != nil {
		return nil, err
	}
	if err := checkText("case_ref", req.CaseRef, false, MaxCaseRef); err != nil {
		return nil, err
	}
	p, err := s.cat.Package(tenant, id)
	if err != nil {
		return nil, err
	}
	if err := s.checkNotDeleted(id); err != nil {
		return nil, err
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	body := HoldApplied{PackageID: id, HoldID: catalog.NewID("hold"), Reason: req.Reason, CaseRef: req.CaseRef, PolicyIndex: pol}
	a, err := s.log.AppendJSON(ctx, TypeHoldApplied, actor, tenant, body)
	if err != nil {
		return nil, err
	}
	if err := s.lockHeld(ctx, p, a.Record.Index); err != nil {
		return nil, err
	}
	return s.hold(id, body.HoldID)
}

// ReleaseHold appends retention.hold_released for the active hold holdID
// of the tenant's package id and returns the released hold.
func (s *Service) ReleaseHold(ctx context.Context, actor, tenant, id, holdID, reason string) (*Hold, error) {
	if err := checkText("reason", reason, true, MaxReason); err != nil {
		return nil, err
	}
	p, err := s.cat.Package(tenant, id)
	if err != nil {
		return nil, err
	}
	h, err := s.hold(id, holdID)
	if err != nil {
		return nil, err
	}
	if !h.Active {
		return nil, fmt.Errorf("%w: hold %s on package %s was released at index %d", ErrHoldReleased, holdID, id, h.ReleasedIndex)
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	a, err := s.log.AppendJSON(ctx, TypeHoldReleased, actor, tenant, HoldReleased{PackageID: id, HoldID: holdID, Reason: reason, PolicyIndex: pol})
	if err != nil {
		return nil, err
	}
	if err := s.lockReleased(ctx, p, a.Record.Index); err != nil {
		return nil, err
	}
	return s.hold(id, holdID)
}

// checkNotDeleted is notDeleted for package id's latest deletion.
func (s *Service) checkNotDeleted(id string) error {
	d, err := s.deletion(id)
	if err != nil {
		return err
	}
	return notDeleted(id, d)
}
