// Package wire holds the types and names that travel over Assay's HTTP API:
// request and response bodies, headers, paths and problem types. Both the
// server (package httpapi) and its client (httpapi/client) import it, so
// the client never imports the server.
package wire

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/assay-ledger/assay/ledger/policyaudit"

	"github.com/assay-ledger/assay/verifier"
)

// Hash is a SHA-256 hash (leaf, node or root) that travels in JSON as 64
// lowercase hex digits. Decoding accepts either case but demands exactly 32
// bytes.
type Hash []byte

// MarshalText encodes h as lowercase hex.
func (h Hash) MarshalText() ([]byte, error) {
	return []byte(hex.EncodeToString(h)), nil
}

// String returns h as lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h) }

// UnmarshalText decodes 64 hex digits.
func (h *Hash) UnmarshalText(text []byte) error {
	b, err := DecodeHash(string(text))
	if err != nil {
		return err
	}
	*h = b
	return nil
}

// DecodeHash decodes 64 hex digits (either case) to a 32-byte hash.
func DecodeHash(s string) ([]byte, error) {
	if len(s) != 2*verifier.HashSize {
		return nil, fmt.Errorf("%d characters; expected %d hex digits", len(s), 2*verifier.HashSize)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hexadecimal; expected %d hex digits", 2*verifier.HashSize)
	}
	return b, nil
}

// Hashes converts raw hashes (as the ledger and verifier use them) to a
// non-nil slice of Hash, so that an empty proof encodes as [].
func Hashes(raw [][]byte) []Hash {
	out := make([]Hash, len(raw))
	for i, h := range raw {
		out[i] = h
	}
	return out
}

// Bytes converts hashes back to the raw form the verifier takes.
func Bytes(hs []Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

// Health is the body of GET /health.
type Health struct {
	Status string `json:"status"` // "ok"
	Size   uint64 `json:"size"`   // current tree size
}

// LogEntry is one entry of the log. Entry is the leaf bytes exactly as
// stored (a JSON object), so LeafHash can be recomputed from it.
type LogEntry struct {
	Index    uint64          `json:"index"`
	LeafHash Hash            `json:"leaf_hash"`
	Entry    json.RawMessage `json:"entry"`
}

// EntriesPage is the body of GET /v1/log/entries.
type EntriesPage struct {
	Entries []LogEntry `json:"entries"`
}

// InclusionProof is the body of GET /v1/log/proof/inclusion: the audit path
// of the leaf at Index in the tree of TreeSize whose root is RootHash.
type InclusionProof struct {
	Index    uint64 `json:"index"`
	TreeSize uint64 `json:"tree_size"`
	LeafHash Hash   `json:"leaf_hash"`
	RootHash Hash   `json:"root_hash"`
	Hashes   []Hash `json:"hashes"`
}

// ConsistencyProof is the body of GET /v1/log/proof/consistency: the proof
// that the tree of size First (root FirstRoot) is a prefix of the tree of
// size Second (root SecondRoot).
type ConsistencyProof struct {
	First      uint64 `json:"first"`
	Second     uint64 `json:"second"`
	FirstRoot  Hash   `json:"first_root"`
	SecondRoot Hash   `json:"second_root"`
	Hashes     []Hash `json:"hashes"`
}

// MaxPage is the largest number of entries one GET /v1/log/entries returns.
const MaxPage = 1000

// Receipt is the body of GET /v1/log/receipt: an entry with its inclusion
// proof in the tree of a checkpoint that, when the server has witnesses,
// carries its quorum of cosignatures.
type Receipt struct {
	Index          uint64          `json:"index"`
	LeafHash       Hash            `json:"leaf_hash"`
	Entry          json.RawMessage `json:"entry"`
	TreeSize       uint64          `json:"tree_size"`
	Checkpoint     string          `json:"checkpoint"`
	InclusionProof []Hash          `json:"inclusion_proof"`
}

// WitnessesView is the body of GET /v1/witnesses.
type WitnessesView struct {
	Quorum        int             `json:"quorum"`         // 0 without witnesses
	WitnessedSize uint64          `json:"witnessed_size"` // of the checkpoint served
	Witnesses     []WitnessStatus `json:"witnesses"`
}

// WitnessStatus is one witness's state: the size it last cosigned and its
// last success and error.
type WitnessStatus struct {
	Name         string     `json:"name"`
	URL          string     `json:"url"`
	Key          string     `json:"key"`
	CosignedSize uint64     `json:"cosigned_size"`
	LastSuccess  *time.Time `json:"last_success,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
	LastErrorAt  *time.Time `json:"last_error_at,omitempty"`
	Failures     uint64     `json:"failures"`
}

// Paths of the witness routes.
const (
	WitnessesPath = "/v1/witnesses"
	ReceiptPath   = "/v1/log/receipt"
)

// PolicyAuditPath runs the policy audit over a range of the live log.
const PolicyAuditPath = "/v1/policy/audit"

// PolicyAudit is the body of GET /v1/policy/audit: the entries [From, To)
// whose decisions were checked, the count per rule, proof checks without
// the proof's bytes, and every violation.
type PolicyAudit struct {
	From       uint64                  `json:"from"`
	To         uint64                  `json:"to"`
	Entries    uint64                  `json:"entries"`
	Checked    map[string]uint64       `json:"checked"`
	Unproven   uint64                  `json:"unproven_proofs"`
	Violations []policyaudit.Violation `json:"violations"`
}

// IntakeScrubPath re-reads the external objects bucket intake recorded
// (POST; scope store:admin).
const IntakeScrubPath = "/v1/intake/scrub"

// PublishRequest is the body of POST /v1/packages/{id}/publish.
type PublishRequest struct {
	To string `json:"to"` // REGISTRY/REPO:TAG
}

// PublishResult is the answer of POST /v1/packages/{id}/publish: the
// package.published entry, the artifact (by digest) and its attestation.
type PublishResult struct {
	Index             uint64   `json:"index"`
	Reference         string   `json:"reference"` // REGISTRY/REPO@sha256:...
	Tag               string   `json:"tag"`
	ManifestDigest    string   `json:"manifest_digest"`
	AttestationDigest string   `json:"attestation_digest"`
	Promotions        []uint64 `json:"promotion_indexes"`
}

// IntakeNotifyPath is where a bucket server posts its event notifications,
// followed by /{secret} (serve --intake-notify-secret).
const IntakeNotifyPath = "/v1/intake/notify"

// SearchHit is one entry naming the searched digest, with its inclusion
// proof in the tree of the answer's checkpoint.
type SearchHit struct {
	LogEntry
	Proof []Hash `json:"inclusion_proof"`
}

// SearchResult is the body of GET /v1/log/search: the entries that name a
// digest, in log order, each proven against Checkpoint (a signed note of
// tree TreeSize). Next, when set, is the after= of the following page.
type SearchResult struct {
	Digest     string      `json:"digest"`
	TreeSize   uint64      `json:"tree_size"`
	Checkpoint string      `json:"checkpoint"`
	Entries    []SearchHit `json:"entries"`
	Next       *uint64     `json:"next,omitempty"`
}
