package wire

import (
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// ObjectStatusPath is where an object's status is read:
// GET /v1/object-status/{zone}/{key...}. It is not /v1/objects/{zone}/{key}/status
// because a key may itself end in "/status".
const ObjectStatusPath = "/v1/object-status"

// TypePromotionOutsideLayout is the problem of a promotion whose
// destination is not under one of the configured top-level prefixes of
// zone golden.
const TypePromotionOutsideLayout = ProblemBase + "promotion-destination-outside-layout"

// Verification is how a golden object got there: Status "verified" when
// its check passed, "approved" when it failed and a reviewer approved it
// from quarantine; the tier, the proof it was checked against (key and
// digest, for tier signed), its raw source and the ledger indexes of the
// decision and of the approval.
type Verification struct {
	Status        string `json:"status"`
	Tier          string `json:"tier"`
	ProofKey      string `json:"proof_key,omitempty"`
	ProofDigest   string `json:"proof_digest,omitempty"`
	SourceKey     string `json:"source_key"`
	PromotionID   string `json:"promotion_id"`
	DecisionIndex uint64 `json:"decision_index"`
	QuarantineID  string `json:"quarantine_id,omitempty"`
	ApprovedIndex uint64 `json:"approved_index,omitempty"`
	// Masking is set for an object of tier masked: the original and
	// masked digests and the rules that fired (unmasked: none did).
	Masking *promotion.MaskMeta `json:"masking,omitempty"`
}

// GoldenObject is one object of GET /v1/objects/golden: the object as the
// other zones list it, and its verification.
type GoldenObject struct {
	catalog.Object
	Verification *Verification `json:"verification"`
}

// GoldenPage is the body of GET /v1/objects/golden?prefix=&cursor=&limit=:
// the curated objects under prefix with their verification, and the
// configured layout (the top-level prefixes of zone golden a promotion may
// target; empty when any is allowed).
type GoldenPage struct {
	Objects    []GoldenObject `json:"objects"`
	Layout     []string       `json:"layout"`
	NextCursor string         `json:"next_cursor"`
}

// ObjectStatus is the body of GET /v1/object-status/{zone}/{key...}.
type ObjectStatus = promotion.Status
