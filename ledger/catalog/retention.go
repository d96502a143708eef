package catalog

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownRetention reports a retention class that is not configured.
var ErrUnknownRetention = errors.New("unknown retention class")

// Retention modes. A package's mode comes from its class's compliance flag
// when it is created. Governance packages may later be deleted early by a
// privileged operator; compliance packages never before their expiry.
const (
	ModeGovernance = "governance"
	ModeCompliance = "compliance"
)

// Retention is a package's retention as decided at creation: its class,
// the period the class had then ("7d", "7y"; "" keeps it forever), its mode
// ("" for governance, ModeCompliance) and the resulting expiry. Later
// extensions belong to the retention domain (package ledger/retention);
// this record does not change.
type Retention struct {
	Class     string     `json:"class"`
	Period    string     `json:"period,omitempty"`
	Mode      string     `json:"mode,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// EffectiveMode returns the mode, ModeGovernance when none is recorded.
func (r Retention) EffectiveMode() string {
	if r.Mode == "" {
		return ModeGovernance
	}
	return r.Mode
}

// Class is one retention class: its period ("" for none: kept forever)
// and whether its packages are in compliance mode.
type Class struct {
	Period     string
	Compliance bool
}

// Classes maps each retention class name to its class.
type Classes map[string]Class

// DefaultClasses are the classes of DESIGN.md's Retention section, all in
// governance mode.
func DefaultClasses() Classes {
	return Classes{
		"transient":        {Period: "7d"},
		"raw-evidence":     {Period: "90d"},
		"summary-evidence": {Period: "365d"},
		"release-evidence": {Period: "7y"},
		"permanent-record": {},
	}
}

// Set parses CLASS=PERIOD (PERIOD is Nd, Ny or "none") and adds the class
// or replaces its period, keeping its compliance flag.
func (c Classes) Set(spec string) error {
	class, period, ok := strings.Cut(spec, "=")
	if !ok || class == "" {
		return fmt.Errorf("retention class %q: want CLASS=PERIOD such as raw-evidence=90d", spec)
	}
	if period == "none" {
		period = ""
	}
	if _, err := expiry(time.Time{}, period); err != nil {
		return err
	}
	cl := c[class]
	cl.Period = period
	c[class] = cl
	return nil
}

// SetCompliance puts the packages of class, which must exist, in
// compliance mode.
func (c Classes) SetCompliance(class string) error {
	cl, ok := c[class]
	if !ok {
		return fmt.Errorf("%w: %q; want one of %s", ErrUnknownRetention, shorten(class), strings.Join(c.Names(), ", "))
	}
	cl.Compliance = true
	c[class] = cl
	return nil
}

// Names returns the class names in order, for messages.
func (c Classes) Names() []string { return slices.Sorted(maps.Keys(c)) }

// Policy is the classes as the policy.applied entry records them: every
// class's period ("none" for none) and every class's compliance flag, so
// that each retention decision can be re-derived from the log alone.
func (c Classes) Policy() map[string]any {
	periods, compliance := map[string]string{}, map[string]bool{}
	for name, cl := range c {
		periods[name], compliance[name] = cl.Period, cl.Compliance
		if cl.Period == "" {
			periods[name] = "none"
		}
	}
	return map[string]any{"retention_classes": periods, "retention_compliance": compliance}
}

// Lookup returns the retention of a new package of class; the expiry is
// filled in by the applier from the entry's time.
func (c Classes) Lookup(class string) (Retention, error) {
	cl, ok := c[class]
	if !ok {
		return Retention{}, fmt.Errorf("%w: %q; want one of %s", ErrUnknownRetention, shorten(class), strings.Join(c.Names(), ", "))
	}
	r := Retention{Class: class, Period: cl.Period}
	if cl.Compliance {
		r.Mode = ModeCompliance
	}
	return r, nil
}

// AddPeriod returns t plus period (Nd or Ny, in calendar units), as a
// package's expiry is computed from its creation time.
func AddPeriod(t time.Time, period string) (time.Time, error) {
	if period == "" {
		return time.Time{}, errors.New("empty retention period: want a count of days or years such as 30d or 1y")
	}
	e, err := expiry(t, period)
	if err != nil {
		return time.Time{}, err
	}
	return *e, nil
}

// expiry returns created plus period, or nil for "". Days and years are
// calendar units, so the result does not depend on the machine.
func expiry(created time.Time, period string) (*time.Time, error) {
	if period == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(period[:len(period)-1])
	if err != nil || n <= 0 || n > 1000*366 || strconv.Itoa(n) != period[:len(period)-1] {
		return nil, fmt.Errorf("retention period %q: want a positive count of days or years such as 90d or 7y", period)
	}
	var t time.Time
	switch period[len(period)-1] {
	case 'd':
		t = created.AddDate(0, 0, n)
	case 'y':
		t = created.AddDate(n, 0, 0)
	default:
		return nil, fmt.Errorf("retention period %q: want a unit d or y, as in 90d or 7y", period)
	}
	return &t, nil
}

// Expiry is created plus period ("90d", "7y"; "" for none: kept forever),
// as a package's retention is computed, for readers re-deriving it.
func Expiry(created time.Time, period string) (*time.Time, error) { return expiry(created, period) }
