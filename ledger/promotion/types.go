package promotion

import (
	"time"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// Entry types of the promotion gate. The three that write objects are
// catalog.GateTypes.
const (
	TypeRequested   = "promotion.requested"
	TypeVerified    = "promotion.verified"
	TypeFailed      = "promotion.failed"
	TypePromoted    = "promotion.promoted"
	TypeQuarantined = "promotion.quarantined"
	TypeCompleted   = "promotion.completed"
	TypeApproved    = "quarantine.approved"
	TypeRejected    = "quarantine.rejected"
)

// Tiers of verification.
const (
	// TierBasic: the recomputed sha256 equals the digest recorded at landing.
	TierBasic = "basic"
	// TierSigned: basic, and a trusted DSSE-signed in-toto Statement
	// (ProofName under the source prefix) lists the object's sha256.
	TierSigned = "signed"
)

// ProofName is the file name of a signed tier's proof under the source
// prefix (or next to a single source key).
const ProofName = "verification-proof.json"

// Promotion statuses. A promotion is requested when promotion.requested
// is appended, running from its first check, and finished with
// promotion.completed: completed when every object was promoted, failed
// when at least one was quarantined (a retry re-runs those).
const (
	StatusRequested = "requested"
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
)

// Quarantine item statuses.
const (
	ItemPending  = "pending"
	ItemApproved = "approved"
	ItemRejected = "rejected"
	// ItemRetried: a retry of the promotion checked the object again; the
	// retry's own outcome stands instead of a review.
	ItemRetried = "retried"
)

// Reasons an object fails verification.
const (
	ReasonDigestMismatch = "digest-mismatch"       // recomputed sha256 differs from the landing digest
	ReasonUnreadable     = "blob-unreadable"       // the stored bytes cannot be read
	ReasonProofMissing   = "proof-missing"         // signed tier: no verification-proof.json
	ReasonProofTampered  = "proof-digest-mismatch" // the proof's bytes differ from its landing digest
	ReasonProofInvalid   = "proof-invalid"         // not a DSSE in-toto Statement v1
	ReasonProofSignature = "proof-signature"       // no trusted signature verifies
	ReasonNotASubject    = "subject-missing"       // the Statement lists no subject with this sha256
)

// Requested is the body of promotion.requested. Source is "raw/" and a key
// or a prefix ending in "/", Destination "golden/" and a prefix ending in
// "/" (or "golden/" alone).
type Requested struct {
	PromotionID string  `json:"promotion_id"`
	Source      string  `json:"source"`
	Destination string  `json:"destination"`
	Tier        string  `json:"tier"`
	ProofKey    string  `json:"proof_key,omitempty"`
	ProofDigest string  `json:"proof_digest,omitempty"`
	PolicyIndex *uint64 `json:"policy_index,omitempty"`
	// PermissionID links the promotion to an upload.permitted decision of
	// the same tenant (verify-and-permit-upload); every byte is still
	// verified.
	PermissionID string `json:"permission_id,omitempty"`
	// RetryOf is the finished promotion whose quarantined objects this one
	// checks again (POST /v1/promotions/{id}/retry); empty for a request.
	RetryOf string `json:"retry_of,omitempty"`
}

// Check is the body of promotion.verified and promotion.failed: one
// object's verification. ComputedDigest is empty when the bytes could not
// be read; Reason is set on a failure only.
type Check struct {
	PromotionID    string `json:"promotion_id"`
	SourceKey      string `json:"source_key"`
	SourceVersion  uint64 `json:"source_version"`
	ExpectedDigest string `json:"expected_digest"`
	ComputedDigest string `json:"computed_digest,omitempty"`
	ProofKey       string `json:"proof_key,omitempty"`
	ProofDigest    string `json:"proof_digest,omitempty"`
	Tier           string `json:"tier"`
	Operator       string `json:"operator"`
	Reason         string `json:"reason,omitempty"`
}

// Placed is the body of promotion.promoted and promotion.quarantined: the
// object the decision of a check placed in golden or quarantine.
type Placed struct {
	PromotionID   string            `json:"promotion_id"`
	SourceKey     string            `json:"source_key"`
	Object        catalog.ObjectRef `json:"object"`
	DecisionIndex uint64            `json:"decision_index"`
	QuarantineID  string            `json:"quarantine_id,omitempty"`
}

// Completed is the body of promotion.completed.
type Completed struct {
	PromotionID string `json:"promotion_id"`
	Promoted    int    `json:"promoted"`
	Quarantined int    `json:"quarantined"`
}

// Decision is the body of quarantine.approved and quarantine.rejected.
// Golden is the object an approval places (nil on a rejection). Masking is
// set on the approval of an item of tier masked: Golden is then the
// masked copy of the quarantined bytes (see approvalMasking).
type Decision struct {
	QuarantineID       string             `json:"quarantine_id"`
	Reason             string             `json:"reason"`
	Golden             *catalog.ObjectRef `json:"golden,omitempty"`
	SeparationOfDuties bool               `json:"separation_of_duties"`
	Masking            *MaskMeta          `json:"masking,omitempty"`
	// PolicyIndex is the policy.applied entry in force when the reviewer
	// decided (absent in entries written before it was recorded).
	PolicyIndex *uint64 `json:"policy_index,omitempty"`
}

// Promotion is the projected state of a promotion request.
type Promotion struct {
	ID             string    `json:"id"`
	Tenant         string    `json:"tenant"`
	Source         string    `json:"source"`
	Destination    string    `json:"destination"`
	Tier           string    `json:"tier"`
	ProofKey       string    `json:"proof_key,omitempty"`
	ProofDigest    string    `json:"proof_digest,omitempty"`
	PermissionID   string    `json:"permission_id,omitempty"`
	RetryOf        string    `json:"retry_of,omitempty"`
	Status         string    `json:"status"`
	RequestedAt    time.Time `json:"requested_at"`
	RequestedBy    string    `json:"requested_by"`
	RequestedIndex uint64    `json:"requested_index"`
	Checked        int       `json:"checked"`
	Promoted       int       `json:"promoted"`
	Masked         int       `json:"masked,omitempty"` // of Promoted, those placed as a masked copy (tier masked)
	Quarantined    int       `json:"quarantined"`
	CompletedIndex uint64    `json:"completed_index,omitempty"`
}

// Progress is one object of a promotion: its check and its outcome.
type Progress struct {
	SourceKey      string `json:"source_key"`
	Destination    string `json:"destination"` // the golden key it gets
	Status         string `json:"status"`      // verified, failed, promoted, masked, quarantined
	SourceVersion  uint64 `json:"source_version,omitempty"`
	ExpectedDigest string `json:"expected_digest"`
	ComputedDigest string `json:"computed_digest,omitempty"`
	Reason         string `json:"reason,omitempty"`
	CheckIndex     uint64 `json:"check_index"`
	OutcomeIndex   uint64 `json:"outcome_index,omitempty"`
	QuarantineID   string `json:"quarantine_id,omitempty"`
}

// Item is a quarantined object awaiting or past review.
type Item struct {
	ID             string            `json:"id"`
	Tenant         string            `json:"tenant"`
	PromotionID    string            `json:"promotion_id"`
	SourceKey      string            `json:"source_key"`
	Producer       string            `json:"producer"` // who landed the raw object
	Object         catalog.ObjectRef `json:"object"`   // in zone quarantine
	Destination    string            `json:"destination"`
	Reason         string            `json:"reason"`
	Tier           string            `json:"tier"`
	Status         string            `json:"status"`
	QuarantinedAt  time.Time         `json:"quarantined_at"`
	Index          uint64            `json:"index"`
	DecidedBy      string            `json:"decided_by,omitempty"`
	DecidedAt      *time.Time        `json:"decided_at,omitempty"`
	DecisionReason string            `json:"decision_reason,omitempty"`
	DecisionIndex  uint64            `json:"decision_index,omitempty"`
}
