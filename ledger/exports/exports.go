// Package exports models, parses and validates job-export payloads, the
// provenance records an orchestrator submits for its job runs (seed 004, the
// "Job exports" section of DESIGN.md).
//
// Parsing is a pure layer: no I/O, no HTTP. The HTTP layer caps and reads
// the body, [Decode] (or [Parse] and [CanonicalPayload]) turns it into a
// validated [Submission] and the bytes its DSSE signatures are made over,
// and [VerifySignatures] checks them against the tenant's [Trust].
//
// # Storage
//
// [Service] appends accepted exports to the ledger as export.ingested or
// export.status_changed entries whose body is a [Timeline], and reads them
// back with inclusion proofs. The duplicate and transition rules
// ([CanTransition]) are enforced by the ledger Appliers returned by
// [Appliers], inside the sequencer's transaction, so concurrent identical
// submissions cannot both be accepted; the projections they keep (by
// idempotency key, by (artifactHash, runId), and the listing by runId then
// startedAt) are a pure function of the log, so replay rebuilds them.
//
// # Strict parsing
//
// A body is refused unless it is one JSON object of at most [MaxBodyBytes]
// bytes in valid UTF-8, with no duplicate keys at any depth, no unknown
// fields, no nulls, every field a string (signatures an array of objects),
// nothing after the object, and canonicalizable under RFC 8785.
//
// # Signatures
//
// Signatures are DSSE (payloadType [PayloadType]) with Ed25519 over the
// RFC 8785 canonical JSON of the submitted object without its "signatures"
// member. They are optional, but when present every one of them must verify
// by a trusted key (fail closed).
//
// # Errors
//
// Each failure kind has its own sentinel error, wrapped with a message that
// says what was wrong and what was expected; [Module] lists each with its
// transport-free kind and problem type slug, and [Classify] looks one up.
package exports

// PayloadType is the DSSE payloadType export signatures are made over. It
// binds a signature to this payload kind, so a signature over the same bytes
// for another purpose is not accepted here.
const PayloadType = "application/vnd.assay.export+json"

// MaxBodyBytes is the largest body accepted (1 MiB, per the contract): logs
// and manifests are referenced by cas:// paths, never inlined. The HTTP layer
// should read at most MaxBodyBytes+1 bytes so that Parse can tell an
// oversized body from a truncated one.
const MaxBodyBytes = 1 << 20

// Job statuses. A run moves forward only: pending, then running, then one
// of the terminal statuses (see CanTransition).
const (
	// StatusPending: the run is queued and has not started.
	StatusPending = "pending"
	// StatusRunning: the run has started and not ended.
	StatusRunning = "running"
	// StatusSucceeded: the run ended successfully (terminal).
	StatusSucceeded = "succeeded"
	// StatusFailed: the run ended in failure (terminal).
	StatusFailed = "failed"
	// StatusCanceled: the run was stopped before it ended (terminal).
	StatusCanceled = "canceled"
)

// Environments a run may report; the field is optional, but when present
// it must be one of these so that exports can be filtered reliably.
const (
	// EnvironmentProd is production.
	EnvironmentProd = "prod"
	// EnvironmentStage is staging.
	EnvironmentStage = "stage"
	// EnvironmentDev is development.
	EnvironmentDev = "dev"
)

// Submission is one parsed and validated job export, field for field as the
// contract defines it. Optional fields that were absent are empty strings;
// Parse refuses explicitly empty ones, so "" always means absent. Times stay
// the strings the producer sent (they are signed as such); ParseTimestamp
// turns them into time.Time values.
type Submission struct {
	// RunID is the job/run correlation id, a lowercase UUID. Required.
	RunID string `json:"runId"`
	// JobType is the kind of job (mirror-build, policy-sim, scan, …); opaque.
	JobType string `json:"jobType,omitempty"`
	// ArtifactHash is the CAS digest of the primary artifact. Required.
	ArtifactHash string `json:"artifactHash"`
	// PolicyHash is the digest of the policy bundle the run used.
	PolicyHash string `json:"policyHash,omitempty"`
	// StartedAt is when the run started, UTC ISO-8601. Required.
	StartedAt string `json:"startedAt"`
	// CompletedAt is when the run ended, UTC ISO-8601, not before StartedAt.
	CompletedAt string `json:"completedAt,omitempty"`
	// Status is one of the Status constants. Required.
	Status string `json:"status"`
	// ManifestPath is the cas:// URI of the run's manifest.
	ManifestPath string `json:"manifestPath,omitempty"`
	// LogsPath is the cas:// URI of the run's logs.
	LogsPath string `json:"logsPath,omitempty"`
	// TenantID is the tenant the run belongs to; it must match the
	// caller's tenant and is part of the idempotency key. Required.
	TenantID string `json:"tenantId"`
	// Environment is one of the Environment constants.
	Environment string `json:"environment,omitempty"`
	// IdempotencyKey is "sha256:" + hex(sha256(runId + artifactHash +
	// tenantId)), recomputed and enforced (see IdempotencyKey). Required.
	IdempotencyKey string `json:"idempotencyKey"`
	// BundleID cross-links a mirror build's bundle; opaque.
	BundleID string `json:"bundleId,omitempty"`
	// ScanID cross-links a scan job's scan; opaque.
	ScanID string `json:"scanId,omitempty"`
	// Signatures are the DSSE signatures over the canonical payload; nil
	// when the submission is unsigned, never empty otherwise.
	Signatures []Signature `json:"signatures,omitempty"`
}

// Signature is one entry of a submission's "signatures" array: a DSSE
// Ed25519 signature in standard base64 by the key named KeyID.
type Signature struct {
	// Type is always "dsse", the only signature scheme accepted.
	Type string `json:"type"`
	// KeyID names the trusted key that made the signature.
	KeyID string `json:"keyId"`
	// Signature is the raw Ed25519 signature over the PAE, standard base64.
	Signature string `json:"signature"`
}

// SignatureTypeDSSE is the only accepted Signature.Type: the contract
// requires DSSE with Ed25519, and accepting other names would invite
// producers to send signatures nothing here can check.
const SignatureTypeDSSE = "dsse"

// Signed reports whether the submission carries signatures. Unsigned
// submissions are allowed by the contract; a deployment that requires
// signatures refuses those for which Signed is false.
func (s *Submission) Signed() bool {
	return len(s.Signatures) > 0
}
