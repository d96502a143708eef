package retention

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// projection reads key into v; ok is false when it is absent.
func (s *Service) projection(key []byte, v any) (bool, error) {
	b, err := s.log.Projection(key)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}

// state returns the retention state of package id, nil when it has none.
func (s *Service) state(id string) (*State, error) {
	var st State
	ok, err := s.projection(stateKey(id), &st)
	if !ok || err != nil {
		return nil, err
	}
	return &st, nil
}

// hold returns hold holdID of package id.
func (s *Service) hold(id, holdID string) (*Hold, error) {
	if !holdIDPattern.MatchString(holdID) {
		return nil, fmt.Errorf("%w: %q on package %s", ErrHoldNotFound, short(holdID), id)
	}
	var h Hold
	ok, err := s.projection(holdKey(id, holdID), &h)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %s on package %s", ErrHoldNotFound, holdID, id)
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// event returns the event of package id's retention entry at index.
func (s *Service) event(id string, index uint64) (*Event, error) {
	var ev Event
	ok, err := s.projection(eventKey(id, index), &ev)
	if err == nil && !ok {
		err = fmt.Errorf("no retention event of %s at index %d", id, index)
	}
	return &ev, err
}

// View returns the retention of the tenant's package id as of the
// Service's clock.
func (s *Service) View(ctx context.Context, tenant, id string) (*View, error) {
	p, err := s.cat.Package(tenant, id)
	if err != nil {
		return nil, err
	}
	st, err := s.state(id)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	v := &View{PackageID: id, Class: p.Retention.Class, Period: p.Retention.Period, Mode: p.Retention.EffectiveMode(),
		CreatedExpiresAt: p.Retention.ExpiresAt, ExpiresAt: expiry(p, st), Eligible: eligible(p, st, now), AsOf: now,
		Holds: []Hold{}, Events: []Event{{Index: p.CreatedIndex, Type: catalog.TypePackageCreated, Time: p.CreatedAt,
			Actor: p.CreatedBy, Class: p.Retention.Class, ExpiresAt: p.Retention.ExpiresAt}}}
	if st != nil {
		v.ActiveHolds = st.ActiveHolds
	}
	if v.Deletion, err = s.deletion(id); err != nil {
		return nil, err
	}
	v.Eligible = v.Eligible && !v.Deletion.Gone()
	err = s.log.ScanProjections(ctx, holdPrefix(id), nil, func(_, b []byte) (bool, error) {
		var h Hold
		err := json.Unmarshal(b, &h)
		v.Holds = append(v.Holds, h)
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(v.Holds, func(a, b Hold) int { return cmp.Compare(a.AppliedIndex, b.AppliedIndex) })
	err = s.log.ScanProjections(ctx, eventPrefix(id), nil, func(_, b []byte) (bool, error) {
		var ev Event
		err := json.Unmarshal(b, &ev)
		v.Events = append(v.Events, ev)
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Eligible lists the tenant's packages eligible for deletion at the
// Service's clock (past their expiry, with no active hold, not deleted), in creation
// order, at most limit after cursor ("" for the start), with the cursor of
// the next page ("" on the last) and the time it judged by.
func (s *Service) Eligible(ctx context.Context, tenant, cursor string, limit int) ([]Eligible, string, time.Time, error) {
	now := s.now().UTC()
	out := []Eligible{}
	_, next, err := s.cat.PackagesWhere(ctx, tenant, func(p *catalog.Package) (bool, error) {
		st, err := s.state(p.ID)
		if err != nil || !eligible(p, st, now) {
			return false, err
		}
		if del, err := s.deletion(p.ID); err != nil || del.Gone() {
			return false, err
		}
		out = append(out, Eligible{PackageID: p.ID, Name: p.Name, Class: p.Retention.Class, Mode: p.Retention.EffectiveMode(),
			ExpiresAt: *expiry(p, st), CreatedIndex: p.CreatedIndex})
		return true, nil
	}, cursor, limit)
	if err != nil {
		return nil, "", now, err
	}
	return out, next, now, nil
}
