package retention

import (
	"slices"
	"time"

	"github.com/assay-ledger/assay/cas"
)

// model is the brute-force retention state the property test holds the
// projections to: every package with its expiry, holds, announcement,
// deletion state and blobs, kept by plain rules written from the package
// documentation, not by the code under test.
type model struct {
	pkgs     []*mPkg
	grace    time.Duration
	contents map[cas.Digest]string // every blob ever uploaded
}

// mPkg is one package of the model.
type mPkg struct {
	id         string
	compliance bool
	blobs      []cas.Digest // one per file
	expires    time.Time
	holds      []mHold
	events     int    // the retention view's events, package.created included
	announced  bool   // retention.deletion_eligible appended
	del        string // "" (never deleted) or a State* of the latest deletion
	deletions  int
	graceUntil time.Time
}

// mHold is one legal hold of the model.
type mHold struct {
	id     string
	active bool
}

// live says whether the package's bytes must be served.
func (p *mPkg) live() bool { return p.del == "" || p.del == StateRestored }

func (p *mPkg) activeHolds() int {
	n := 0
	for _, h := range p.holds {
		if h.active {
			n++
		}
	}
	return n
}

// eligible is the documented rule: expired at now, no active hold, not
// deleted.
func (p *mPkg) eligible(now time.Time) bool {
	return p.live() && !p.expires.After(now) && p.activeHolds() == 0
}

// due says whether a purge at now removes the package's deletion.
func (p *mPkg) due(now time.Time) bool { return p.del == StateDeleted && !now.Before(p.graceUntil) }

// deleteError is the sentinel a deletion of p at now must fail with (nil:
// it must succeed), admin saying whether the caller holds retention:admin.
func (p *mPkg) deleteError(now time.Time, admin bool) error {
	switch {
	case !p.live():
		return ErrAlreadyDeleted
	case p.activeHolds() > 0:
		return ErrHeld
	case !p.expires.After(now):
		return nil
	case p.compliance:
		return ErrCompliance
	case !admin:
		return ErrNotExpired
	}
	return nil
}

// restoreError is the sentinel a restore of p must fail with (nil: it must
// succeed).
func (p *mPkg) restoreError() error {
	switch p.del {
	case StateDeleted:
		return nil
	case StatePurged:
		return ErrPurged
	}
	return ErrNotDeleted
}

// purge marks every deletion due at now purged and returns the ids, in
// creation order.
func (m *model) purge(now time.Time) []string {
	var ids []string
	for _, p := range m.pkgs {
		if p.due(now) {
			p.del = StatePurged
			p.events++
			ids = append(ids, p.id)
		}
	}
	return ids
}

// eligibleIDs are the packages eligible at now, in creation order.
func (m *model) eligibleIDs(now time.Time) []string {
	var ids []string
	for _, p := range m.pkgs {
		if p.eligible(now) {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// Where a blob must be, by the states of the packages referencing it.
const (
	mustServe  = iota // a live package references it: readable from the store
	mustKeep          // only deleted ones, some restorable: in the store or the trash
	mustBeGone        // every reference purged: in neither
	unreferenced
)

// where says where blob d must be.
func (m *model) where(d cas.Digest) int {
	live, deleted, purged := 0, 0, 0
	for _, p := range m.pkgs {
		if !slices.Contains(p.blobs, d) {
			continue
		}
		switch {
		case p.live():
			live++
		case p.del == StatePurged:
			purged++
		default:
			deleted++
		}
	}
	switch {
	case live > 0:
		return mustServe
	case deleted > 0:
		return mustKeep
	case purged > 0:
		return mustBeGone
	}
	return unreferenced
}

// near says whether t lies within margin of an expiry or the end of a
// grace period, where a few seconds of the clock (which ticks on every
// read) could tip a decision either way; the test never lets the clock
// rest there.
func (m *model) near(t time.Time, margin time.Duration) bool {
	close := func(u time.Time) bool { d := t.Sub(u); return d > -margin && d < margin }
	for _, p := range m.pkgs {
		if close(p.expires) || p.del == StateDeleted && close(p.graceUntil) {
			return true
		}
	}
	return false
}

// unpurged counts the packages whose bytes are not purged.
func (m *model) unpurged() int {
	n := 0
	for _, p := range m.pkgs {
		if p.del != StatePurged {
			n++
		}
	}
	return n
}

// freed is what deleting p frees: the size of each distinct blob of p that
// no other live package references.
func (m *model) freed(p *mPkg) int64 {
	var n int64
	seen := map[cas.Digest]bool{}
	for _, d := range p.blobs {
		if seen[d] {
			continue
		}
		seen[d] = true
		shared := false
		for _, q := range m.pkgs {
			shared = shared || q != p && q.live() && slices.Contains(q.blobs, d)
		}
		if !shared {
			n += int64(len(m.contents[d]))
		}
	}
	return n
}
