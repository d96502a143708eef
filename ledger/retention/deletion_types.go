package retention

import "time"

// Entry types of deletion: a package's bytes leave the store in two
// phases (deletion.started, the bytes moved to the store's trash,
// deletion.completed or deletion.failed), may come back within the grace
// period (deletion.reversed) and are removed for good after it
// (deletion.purged). retention.deletion_eligible announces, once per
// package, that a sweep found it past its expiry with no active hold.
const (
	TypeDeletionEligible  = "retention.deletion_eligible"
	TypeDeletionStarted   = "deletion.started"
	TypeDeletionCompleted = "deletion.completed"
	TypeDeletionFailed    = "deletion.failed"
	TypeDeletionReversed  = "deletion.reversed"
	TypeDeletionPurged    = "deletion.purged"
)

// DefaultGrace is how long the bytes of a deleted package stay in the
// trash, restorable, before a purge may remove them.
const DefaultGrace = 7 * 24 * time.Hour

// Deletion states (Deletion.State).
const (
	StateStarted  = "started"  // deletion.started: bytes on their way to the trash
	StateDeleted  = "deleted"  // deletion.completed: bytes in the trash
	StateFailed   = "failed"   // deletion.failed: some bytes may still be in the store
	StateRestored = "restored" // deletion.reversed: bytes back; the package is live again
	StatePurged   = "purged"   // deletion.purged: trashed bytes removed for good
)

// DeletionEligible is the body of a retention.deletion_eligible entry.
type DeletionEligible struct {
	PackageID   string     `json:"package_id"`
	ExpiresAt   *time.Time `json:"expires_at"`
	PolicyIndex *uint64    `json:"policy_index,omitempty"`
}

// BlobRef is one distinct blob of a deleted package: its digest and size,
// how many of the package's files hold it (Refs) and whether this
// deletion leaves it with no live reference (Freed: its bytes go to the
// trash).
type BlobRef struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	Refs   int    `json:"refs"`
	Freed  bool   `json:"freed"`
}

// DeletionStarted is the body of a deletion.started entry. Early is set
// when the package had not expired: a governance-mode package deleted by
// a retention:admin caller, a decision of its own. Bytes is what the freed
// blobs hold; GraceUntil is when a purge may remove them for good.
type DeletionStarted struct {
	PackageID   string     `json:"package_id"`
	Reason      string     `json:"reason"`
	Early       bool       `json:"early,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Blobs       []BlobRef  `json:"blobs"`
	Bytes       int64      `json:"bytes"`
	GraceUntil  time.Time  `json:"grace_until"`
	PolicyIndex *uint64    `json:"policy_index,omitempty"`
}

// DeletionCompleted is the body of a deletion.completed entry: every freed
// blob is in the trash (Missing lists those that were in neither the store
// nor the trash when the deletion looked).
type DeletionCompleted struct {
	PackageID    string   `json:"package_id"`
	StartedIndex uint64   `json:"started_index"`
	Trashed      int      `json:"trashed"`
	Missing      []string `json:"missing,omitempty"`
}

// DeletionFailed is the body of a deletion.failed entry: the store refused
// a move; Remaining lists the freed blobs not in the trash.
type DeletionFailed struct {
	PackageID    string   `json:"package_id"`
	StartedIndex uint64   `json:"started_index"`
	Error        string   `json:"error"`
	Remaining    []string `json:"remaining"`
}

// DeletionReversed is the body of a deletion.reversed entry: the bytes are
// back in the store and the package is live again.
type DeletionReversed struct {
	PackageID    string `json:"package_id"`
	StartedIndex uint64 `json:"started_index"`
	Reason       string `json:"reason"`
}

// DeletionPurged is the body of a deletion.purged entry: Purged lists the
// blobs removed for good (those no other package, deleted or live, still
// references); Bytes is what they held.
type DeletionPurged struct {
	PackageID    string   `json:"package_id"`
	StartedIndex uint64   `json:"started_index"`
	Purged       []string `json:"purged"`
	Bytes        int64    `json:"bytes"`
}

// Deletion is the latest deletion of a package (ret/del/<package>): a
// tombstone that stays when the bytes are gone.
type Deletion struct {
	PackageID     string     `json:"package_id"`
	Tenant        string     `json:"tenant"`
	State         string     `json:"state"`
	StartedIndex  uint64     `json:"started_index"`
	StartedAt     time.Time  `json:"started_at"`
	StartedBy     string     `json:"started_by"`
	Reason        string     `json:"reason"`
	Early         bool       `json:"early,omitempty"`
	Blobs         []BlobRef  `json:"blobs"`
	Bytes         int64      `json:"bytes"`
	GraceUntil    time.Time  `json:"grace_until"`
	EndedIndex    uint64     `json:"ended_index,omitempty"` // deletion.completed or deletion.failed
	Remaining     []string   `json:"remaining,omitempty"`
	ReversedIndex uint64     `json:"reversed_index,omitempty"`
	PurgedIndex   uint64     `json:"purged_index,omitempty"`
	PurgedAt      *time.Time `json:"purged_at,omitempty"`
	Deletions     int        `json:"deletions"` // how many times the package was deleted
}

// Gone says whether the package's bytes are withheld: from
// deletion.started until a deletion.reversed.
func (d *Deletion) Gone() bool { return d != nil && d.State != StateRestored }

// blobCount is the deletion state of a blob (ret/blob/<hex>): how many
// references to it are held by deleted packages still restorable
// (Deleted) and by purged ones (Purged). The catalog's Blob.Refs counts
// them all, so Refs - Deleted - Purged are the live ones.
type blobCount struct {
	Deleted int `json:"deleted"`
	Purged  int `json:"purged"`
}
