package wire

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger/exports"
)

// ExportReceipt is an export entry with everything needed to verify it
// offline: the entry bytes (LeafHash is their RFC 6962 leaf hash), the
// signed checkpoint of a tree that includes it and the inclusion proof
// against that checkpoint. The 201 answer to a submission is the receipt
// of the batch that committed the entry; GET by key proves the current
// entry against the latest checkpoint.
type ExportReceipt struct {
	Type           string          `json:"type"` // export.ingested or export.status_changed
	IdempotencyKey string          `json:"idempotencyKey"`
	Status         string          `json:"status"`
	Index          uint64          `json:"index"`
	LeafHash       Hash            `json:"leaf_hash"`
	Entry          json.RawMessage `json:"entry"`
	TreeSize       uint64          `json:"tree_size"`
	Checkpoint     string          `json:"checkpoint"`
	InclusionProof []Hash          `json:"inclusion_proof"`
}

// ExportsPage is the body of GET /internal/orchestrator/exports: the
// current entry of each export, in runId then startedAt order, and the
// cursor of the next page ("" on the last page).
type ExportsPage struct {
	Exports    []LogEntry `json:"exports"`
	NextCursor string     `json:"next_cursor"`
}

// ExportPointer is the "existing" member of a 409 problem: the entry the
// submission conflicts with and where to fetch the export.
type ExportPointer = exports.Pointer

const (
	// TenantHeader names the tenant a request acts for; it must equal the
	// token's tenant (and a submission's tenantId).
	TenantHeader = "X-Tenant-Id"
	// ExportsPath is the collection of job exports.
	ExportsPath = exports.Path
)
