package retention

import (
	"time"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// Entry types of the retention domain.
const (
	TypeExtended     = "retention.extended"
	TypeHoldApplied  = "retention.hold_applied"
	TypeHoldReleased = "retention.hold_released"
)

// Extended is the body of a retention.extended entry. Duration is set when
// the caller asked for the expiry to move by a period ("30d"): ExpiresAt is
// then PreviousExpiresAt plus Duration.
type Extended struct {
	PackageID         string    `json:"package_id"`
	PreviousExpiresAt time.Time `json:"previous_expires_at"`
	ExpiresAt         time.Time `json:"expires_at"`
	Duration          string    `json:"duration,omitempty"`
	Reason            string    `json:"reason"`
	PolicyIndex       *uint64   `json:"policy_index,omitempty"`
}

// HoldApplied is the body of a retention.hold_applied entry.
type HoldApplied struct {
	PackageID   string  `json:"package_id"`
	HoldID      string  `json:"hold_id"`
	Reason      string  `json:"reason"`
	CaseRef     string  `json:"case_ref,omitempty"`
	PolicyIndex *uint64 `json:"policy_index,omitempty"`
}

// HoldReleased is the body of a retention.hold_released entry.
type HoldReleased struct {
	PackageID   string  `json:"package_id"`
	HoldID      string  `json:"hold_id"`
	Reason      string  `json:"reason"`
	PolicyIndex *uint64 `json:"policy_index,omitempty"`
}

// State is the retention state of a package that has had a retention
// entry (ret/pkg/<id>).
type State struct {
	Tenant string `json:"tenant"`
	// ExpiresAt is the expiry set by the last extension; nil when the
	// package has not been extended (its expiry is then the one decided
	// at creation).
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Extensions  int        `json:"extensions"`
	Holds       int        `json:"holds"`
	ActiveHolds int        `json:"active_holds"`
}

// expiry returns the expiry in force of package p whose state is st (nil
// when it has none): nil when it is kept forever.
func expiry(p *catalog.Package, st *State) *time.Time {
	if st != nil && st.ExpiresAt != nil {
		return st.ExpiresAt
	}
	return p.Retention.ExpiresAt
}

// eligible says whether package p, whose state is st, may be deleted at
// now: it expired at or before now and has no active hold.
func eligible(p *catalog.Package, st *State, now time.Time) bool {
	exp := expiry(p, st)
	return exp != nil && !exp.After(now) && (st == nil || st.ActiveHolds == 0)
}

// Hold is a legal hold on a package, active until released.
type Hold struct {
	HoldID        string     `json:"hold_id"`
	PackageID     string     `json:"package_id"`
	Active        bool       `json:"active"`
	Reason        string     `json:"reason"`
	CaseRef       string     `json:"case_ref,omitempty"`
	AppliedAt     time.Time  `json:"applied_at"`
	AppliedBy     string     `json:"applied_by"`
	AppliedIndex  uint64     `json:"applied_index"`
	ReleasedAt    *time.Time `json:"released_at,omitempty"`
	ReleasedBy    string     `json:"released_by,omitempty"`
	ReleasedIndex uint64     `json:"released_index,omitempty"`
	ReleaseReason string     `json:"release_reason,omitempty"`
}

// Event is one retention entry of a package as the view lists it: the
// package.created entry that decided its retention, then each retention
// entry, with its ledger index.
type Event struct {
	Index             uint64     `json:"index"`
	Type              string     `json:"type"`
	Time              time.Time  `json:"time"`
	Actor             string     `json:"actor"`
	Class             string     `json:"class,omitempty"`
	PreviousExpiresAt *time.Time `json:"previous_expires_at,omitempty"`
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
	Duration          string     `json:"duration,omitempty"`
	HoldID            string     `json:"hold_id,omitempty"`
	CaseRef           string     `json:"case_ref,omitempty"`
	Reason            string     `json:"reason,omitempty"`
	Early             bool       `json:"early,omitempty"`
	Bytes             int64      `json:"bytes,omitempty"`
	PolicyIndex       *uint64    `json:"policy_index,omitempty"`
}

// View is the retention of one package: its class and mode, the expiry
// decided at creation and the one in force, its holds (active and
// released) and every retention event, oldest first.
type View struct {
	PackageID        string     `json:"package_id"`
	Class            string     `json:"class"`
	Period           string     `json:"period,omitempty"`
	Mode             string     `json:"mode"`
	CreatedExpiresAt *time.Time `json:"created_expires_at,omitempty"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"` // absent: kept forever
	ActiveHolds      int        `json:"active_holds"`
	Eligible         bool       `json:"eligible"` // past expiry with no active hold, at AsOf
	AsOf             time.Time  `json:"as_of"`
	Holds            []Hold     `json:"holds"`
	Events           []Event    `json:"events"`
	Deletion         *Deletion  `json:"deletion,omitempty"` // the latest deletion, if any
}

// Eligible is a package past its expiry with no active hold.
type Eligible struct {
	PackageID    string    `json:"package_id"`
	Name         string    `json:"name"`
	Class        string    `json:"class"`
	Mode         string    `json:"mode"`
	ExpiresAt    time.Time `json:"expires_at"`
	CreatedIndex uint64    `json:"created_index"`
}
