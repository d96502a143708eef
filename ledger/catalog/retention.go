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

// Retention is a package's retention: its class, the period the class had
// when the package was created ("7d", "7y"; "" keeps it forever) and the
// resulting expiry, fixed at creation.
type Retention struct {
	Class     string     `json:"class"`
	Period    string     `json:"period,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Classes maps each retention class to its period ("" for none).
type Classes map[string]string

// DefaultClasses are the classes of DESIGN.md's Retention section.
func DefaultClasses() Classes {
	return Classes{
		"transient":        "7d",
		"raw-evidence":     "90d",
		"summary-evidence": "365d",
		"release-evidence": "7y",
		"permanent-record": "",
	}
}

// Set parses CLASS=PERIOD (PERIOD is Nd, Ny or "none") and adds or replaces
// the class.
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
	c[class] = period
	return nil
}

// Names returns the class names in order, for messages.
func (c Classes) Names() []string { return slices.Sorted(maps.Keys(c)) }

// Lookup returns the retention of a new package of class; the expiry is
// filled in by the applier from the entry's time.
func (c Classes) Lookup(class string) (Retention, error) {
	period, ok := c[class]
	if !ok {
		return Retention{}, fmt.Errorf("%w: %q; want one of %s", ErrUnknownRetention, shorten(class), strings.Join(c.Names(), ", "))
	}
	return Retention{Class: class, Period: period}, nil
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
