package retention

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Bounds of the free-text fields, so that every entry stays small.
const (
	MaxReason  = 1024
	MaxCaseRef = 256
)

// holdIDPattern is the form of hold ids: hold_ and 32 hex digits of
// randomness chosen by the server.
var holdIDPattern = regexp.MustCompile(`^hold_[0-9a-f]{32}$`)

// checkText checks a free-text field: present when required, at most max
// bytes of printable UTF-8.
func checkText(name, v string, required bool, max int) error {
	if strings.TrimSpace(v) == "" {
		if !required {
			return nil
		}
		if name == "reason" {
			return fmt.Errorf("%w: give a reason for the record", ErrReasonRequired)
		}
		return fmt.Errorf("%w: %s is required", ErrInvalidRequest, name)
	}
	if len(v) > max {
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrInvalidRequest, name, len(v), max)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		return fmt.Errorf("%w: %s has a control or invalid character", ErrInvalidRequest, name)
	}
	return nil
}

// checkExtension says whether the expiry cur (nil: kept forever) of
// package id may move to next at the time now.
func checkExtension(id string, cur *time.Time, next, now time.Time) error {
	switch {
	case cur == nil:
		return fmt.Errorf("%w: package %s", ErrPermanent, id)
	case !next.After(*cur):
		return &ExpiryError{Err: ErrNotLater, Current: *cur, Requested: next}
	case !next.After(now):
		return &ExpiryError{Err: ErrPast, Current: now, Requested: next}
	}
	return nil
}

// decode parses an entry body strictly into v.
func decode(rec *ledger.Record, v any) error {
	if err := ledger.DecodeStrict(rec.Body, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidBody, rec.Type, err)
	}
	return nil
}

// stateIn returns the retention state of package id, or nil when it has
// had no retention entry.
func stateIn(tx *ledger.Tx, id string) (*State, error) {
	var st State
	err := tx.GetJSON(stateKey(id), &st)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// record writes the package's new state and the event of rec.
func record(tx *ledger.Tx, rec *ledger.Record, pkg string, st *State, ev Event) error {
	if err := tx.SetJSON(stateKey(pkg), st); err != nil {
		return err
	}
	ev.Index, ev.Type, ev.Time, ev.Actor = rec.Index, rec.Type, rec.Time.UTC(), rec.Actor
	return tx.SetJSON(eventKey(pkg, rec.Index), ev)
}

func applyExtended(tx *ledger.Tx, rec *ledger.Record) error {
	var b Extended
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := checkText("reason", b.Reason, true, MaxReason); err != nil {
		return err
	}
	if b.Duration != "" {
		want, err := catalog.AddPeriod(b.PreviousExpiresAt, b.Duration)
		if err != nil || !want.Equal(b.ExpiresAt) {
			return fmt.Errorf("%w: expires_at %s is not previous_expires_at plus %q", ErrInvalidBody, b.ExpiresAt, b.Duration)
		}
	}
	p, err := catalog.PackageIn(tx, rec.Tenant, b.PackageID)
	if err != nil {
		return err
	}
	if err := notDeletedIn(tx, p.ID); err != nil {
		return err
	}
	st, err := stateIn(tx, p.ID)
	if err != nil {
		return err
	}
	cur := expiry(p, st)
	if cur != nil && !cur.Equal(b.PreviousExpiresAt) {
		return fmt.Errorf("%w: package %s expires at %s, not %s; ask again", ErrChanged, p.ID,
			cur.UTC().Format(time.RFC3339Nano), b.PreviousExpiresAt.UTC().Format(time.RFC3339Nano))
	}
	if err := checkExtension(p.ID, cur, b.ExpiresAt, rec.Time); err != nil {
		return err
	}
	if st == nil {
		st = &State{Tenant: rec.Tenant}
	}
	prev, next := cur.UTC(), b.ExpiresAt.UTC()
	st.ExpiresAt = &next
	st.Extensions++
	return record(tx, rec, p.ID, st, Event{PreviousExpiresAt: &prev, ExpiresAt: &next, Duration: b.Duration,
		Reason: b.Reason, PolicyIndex: b.PolicyIndex})
}

func applyHoldApplied(tx *ledger.Tx, rec *ledger.Record) error {
	var b HoldApplied
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := checkText("reason", b.Reason, true, MaxReason); err != nil {
		return err
	}
	if err := checkText("case_ref", b.CaseRef, false, MaxCaseRef); err != nil {
		return err
	}
	if !holdIDPattern.MatchString(b.HoldID) {
		return fmt.Errorf("%w: hold_id %q: want hold_ and 32 hex digits", ErrInvalidBody, short(b.HoldID))
	}
	p, err := catalog.PackageIn(tx, rec.Tenant, b.PackageID)
	if err != nil {
		return err
	}
	if err := notDeletedIn(tx, p.ID); err != nil {
		return err
	}
	if _, err := tx.Get(holdKey(p.ID, b.HoldID)); err == nil {
		return fmt.Errorf("%w: hold id %s already used on package %s", ErrInvalidBody, b.HoldID, p.ID)
	} else if !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	st, err := stateIn(tx, p.ID)
	if err != nil {
		return err
	}
	if st == nil {
		st = &State{Tenant: rec.Tenant}
	}
	st.Holds++
	st.ActiveHolds++
	h := Hold{HoldID: b.HoldID, PackageID: p.ID, Active: true, Reason: b.Reason, CaseRef: b.CaseRef,
		AppliedAt: rec.Time.UTC(), AppliedBy: rec.Actor, AppliedIndex: rec.Index}
	if err := tx.SetJSON(holdKey(p.ID, b.HoldID), h); err != nil {
		return err
	}
	return record(tx, rec, p.ID, st, Event{HoldID: b.HoldID, CaseRef: b.CaseRef, Reason: b.Reason, PolicyIndex: b.PolicyIndex})
}

func applyHoldReleased(tx *ledger.Tx, rec *ledger.Record) error {
	var b HoldReleased
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := checkText("reason", b.Reason, true, MaxReason); err != nil {
		return err
	}
	p, err := catalog.PackageIn(tx, rec.Tenant, b.PackageID)
	if err != nil {
		return err
	}
	h, err := holdIn(tx, p.ID, b.HoldID)
	if err != nil {
		return err
	}
	if !h.Active {
		return fmt.Errorf("%w: hold %s on package %s was released at index %d", ErrHoldReleased, h.HoldID, p.ID, h.ReleasedIndex)
	}
	st, err := stateIn(tx, p.ID)
	if err != nil {
		return err
	}
	if st == nil || st.ActiveHolds <= 0 {
		return fmt.Errorf("retention state of %s counts no active hold, but hold %s is active", p.ID, h.HoldID)
	}
	st.ActiveHolds--
	t := rec.Time.UTC()
	h.Active, h.ReleasedAt, h.ReleasedBy, h.ReleasedIndex, h.ReleaseReason = false, &t, rec.Actor, rec.Index, b.Reason
	if err := tx.SetJSON(holdKey(p.ID, h.HoldID), h); err != nil {
		return err
	}
	return record(tx, rec, p.ID, st, Event{HoldID: h.HoldID, Reason: b.Reason, PolicyIndex: b.PolicyIndex})
}

// notDeletedIn is notDeleted for package id's deletion in tx.
func notDeletedIn(tx *ledger.Tx, id string) error {
	d, err := deletionIn(tx, id)
	if err != nil {
		return err
	}
	return notDeleted(id, d)
}

// holdIn returns hold id of package pkg.
func holdIn(tx *ledger.Tx, pkg, id string) (*Hold, error) {
	var h Hold
	if !holdIDPattern.MatchString(id) {
		return nil, fmt.Errorf("%w: %q on package %s", ErrHoldNotFound, short(id), pkg)
	}
	err := tx.GetJSON(holdKey(pkg, id), &h)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s on package %s", ErrHoldNotFound, id, pkg)
	}
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// short cuts a caller's string for an error message.
func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
