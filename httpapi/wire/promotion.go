package wire

import "github.com/assay-ledger/assay/ledger/promotion"

// PromotionsPath is the collection of promotion requests.
const PromotionsPath = "/v1/promotions"

// QuarantinePath is the collection of quarantined objects.
const QuarantinePath = "/v1/quarantine"

// PromotionRequest is the body of POST /v1/promotions: the raw key or
// prefix ("raw/incoming/run-7/"), the golden prefix ("golden/run-7/") and
// the tier ("basic", "signed" or "masked"), and optionally the id of a
// permission from POST /v1/verify-and-permit-upload the promotion is
// linked to (its objects are verified all the same).
type PromotionRequest struct {
	Source       string `json:"source"`
	Destination  string `json:"destination"`
	Tier         string `json:"tier"`
	PermissionID string `json:"permission_id,omitempty"`
}

// PromotionRetryRequest is the body of POST /v1/promotions/{id}/retry: an
// empty JSON object (the attempt retries every quarantined object still
// awaiting review).
type PromotionRetryRequest struct{}

// PromotionView is the body of POST /v1/promotions (202, before any object
// is decided), POST /v1/promotions/{id}/retry and GET
// /v1/promotions/{id}: the promotion, and a page of its objects with their
// checks and outcomes (NextCursor pages on with ?cursor=).
type PromotionView struct {
	promotion.Promotion
	Objects    []promotion.Progress `json:"objects"`
	NextCursor string               `json:"next_cursor"`
}

// PromotionsPage is the body of GET /v1/promotions.
type PromotionsPage struct {
	Promotions []promotion.Promotion `json:"promotions"`
	NextCursor string                `json:"next_cursor"`
}

// QuarantinePage is the body of GET /v1/quarantine.
type QuarantinePage struct {
	Items      []promotion.Item `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

// QuarantineDecisionRequest is the body of POST
// /v1/quarantine/{id}/approve and /reject: a reason code such as
// "false-positive".
type QuarantineDecisionRequest struct {
	Reason string `json:"reason"`
}

// Problem types of the promotion and quarantine routes. An unknown
// promotion or item (or another tenant's) is 404.
const (
	TypePromotionSourceNotRaw         = ProblemBase + "promotion-source-not-raw"
	TypePromotionDestinationNotGolden = ProblemBase + "promotion-destination-not-golden"
	TypePromotionUnknownTier          = ProblemBase + "promotion-unknown-tier"
	TypePromotionSourceEmpty          = ProblemBase + "promotion-source-empty"
	TypePromotionNotFound             = ProblemBase + "promotion-not-found"
	TypePromotionInvalidRequest       = ProblemBase + "promotion-invalid-request"
	TypePromotionNotFinished          = ProblemBase + "promotion-not-finished"
	TypePromotionNothingToRetry       = ProblemBase + "promotion-nothing-to-retry"
	TypeQuarantineItemNotFound        = ProblemBase + "quarantine-item-not-found"
	TypeQuarantineDecided             = ProblemBase + "quarantine-decided"
	TypeQuarantineInvalidReason       = ProblemBase + "quarantine-invalid-reason"
	TypeReviewerIsProducer            = ProblemBase + "reviewer-is-producer"
	TypeGoldenGate                    = ProblemBase + "golden-gate"
	TypePermissionNotFound            = ProblemBase + "permission-not-found"
	TypeQuarantineCannotMask          = ProblemBase + "quarantine-cannot-mask"
)
