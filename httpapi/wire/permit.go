package wire

import "encoding/json"

// PermitPath is verify-and-permit-upload: it verifies artifacts against a
// tier before they are uploaded or promoted and logs the decision.
const PermitPath = "/v1/verify-and-permit-upload"

// PermitRequest is the body of POST /v1/verify-and-permit-upload: the
// artifacts by digest ("sha256:<hex>") and/or by raw key ("raw/KEY", whose
// stored bytes are hashed again), the tier, and for tiers signed and
// masked the verification proof (a DSSE envelope over an in-toto
// Statement listing every digest as a subject).
type PermitRequest struct {
	Tier    string          `json:"tier"`
	Digests []string        `json:"digests,omitempty"`
	Keys    []string        `json:"keys,omitempty"`
	Proof   json.RawMessage `json:"proof,omitempty"`
}

// PermitResponse is the answer of POST /v1/verify-and-permit-upload (200
// either way): Permitted with a PermissionID, or not with the Reason (a
// reason code such as "subject-missing"). Index is the ledger entry of
// the decision (upload.permitted or upload.denied), Entry its bytes, and
// InclusionProof proves it in the tree of TreeSize that Checkpoint signs.
type PermitResponse struct {
	Permitted      bool            `json:"permitted"`
	PermissionID   string          `json:"permission_id,omitempty"`
	Reason         string          `json:"reason,omitempty"`
	Type           string          `json:"type"`
	Index          uint64          `json:"index"`
	LeafHash       Hash            `json:"leaf_hash"`
	Entry          json.RawMessage `json:"entry"`
	TreeSize       uint64          `json:"tree_size"`
	Checkpoint     string          `json:"checkpoint"`
	InclusionProof []Hash          `json:"inclusion_proof"`
}
