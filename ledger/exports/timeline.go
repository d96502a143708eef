package exports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/assay-ledger/assay/verifier"
)

// Ledger entry types of export ingestion.
const (
	// TypeIngested records the first accepted submission of an
	// idempotency key.
	TypeIngested = "export.ingested"
	// TypeStatusChanged records a later submission of the same key that
	// moves its status forward.
	TypeStatusChanged = "export.status_changed"
	// TimelineKind names the timeline entry kind of both types, after the
	// contract's "ledger_export" timeline entry.
	TimelineKind = "ledger_export"
	// EventCreated is the event published for every accepted export.
	EventCreated = "orchestrator.export.created"
)

// Timeline is the body of an export.ingested or export.status_changed
// entry: every field of the submission under its contract name (so the
// canonical payload, and with it every signature, can be re-derived from
// the entry alone), plus the digests, the signatures and the policy entry
// the submission was accepted under.
type Timeline struct {
	Submission
	// Timeline is always TimelineKind.
	Timeline string `json:"timeline"`
	// PayloadDigest is "sha256:" + hex(sha256(canonical payload)).
	PayloadDigest string `json:"payloadDigest"`
	// EnvelopeDigest is "sha256:" + hex(sha256(JCS of the DSSE envelope
	// {"payload","payloadType","signatures":[{"keyid","sig"}]})), for
	// signed submissions only.
	EnvelopeDigest string `json:"envelopeDigest,omitempty"`
	// PolicyIndex is the policy.applied entry in force when accepted.
	PolicyIndex *uint64 `json:"policyIndex,omitempty"`
	// PreviousStatus and PreviousIndex name the state a status change
	// moved from (export.status_changed only).
	PreviousStatus string  `json:"previousStatus,omitempty"`
	PreviousIndex  *uint64 `json:"previousIndex,omitempty"`
}

// NewTimeline returns the timeline body of a validated submission whose
// canonical payload is canonical.
func NewTimeline(sub *Submission, canonical []byte) (*Timeline, error) {
	t := &Timeline{Submission: *sub, Timeline: TimelineKind, PayloadDigest: digest(canonical)}
	if sub.Signed() {
		env, err := Envelope(canonical, sub.Signatures)
		if err != nil {
			return nil, err
		}
		t.EnvelopeDigest = digest(env)
	}
	return t, nil
}

// Envelope returns the RFC 8785 canonical JSON of the DSSE envelope of a
// signed submission: {"payload": base64(canonical), "payloadType":
// PayloadType, "signatures": [{"keyid": keyId, "sig": signature}, ...]} with
// the signatures in submitted order. Its digest is the entry's
// envelopeDigest.
func Envelope(canonical []byte, sigs []Signature) ([]byte, error) {
	type sig struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}
	env := struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []sig  `json:"signatures"`
	}{Payload: base64.StdEncoding.EncodeToString(canonical), PayloadType: PayloadType, Signatures: make([]sig, len(sigs))}
	for i, s := range sigs {
		env.Signatures[i] = sig{KeyID: s.KeyID, Sig: s.Signature}
	}
	raw, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	return verifier.CanonicalizeJSON(raw)
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Marshal encodes the timeline as an entry body, leaving '<', '>' and '&'
// as they are.
func (t *Timeline) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(t); err != nil {
		return nil, fmt.Errorf("encode export entry: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// CanonicalPayload re-derives, from an entry's timeline, the canonical
// payload the submission's signatures were made over.
func (t *Timeline) CanonicalPayload() ([]byte, error) {
	sub := t.Submission
	sub.Signatures = nil
	raw, err := json.Marshal(&sub)
	if err != nil {
		return nil, err
	}
	return verifier.CanonicalizeJSON(raw)
}
