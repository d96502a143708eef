package promotion

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	attestation "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/assay-ledger/assay/verifier"
)

// ProofPayloadType is the DSSE payload type of a verification proof: an
// in-toto Statement.
const ProofPayloadType = "application/vnd.in-toto+json"

// MaxProof bounds the bytes of a verification-proof.json the gate reads.
const MaxProof = 1 << 20

// proofError is a proof that does not hold, with the reason code every
// object of the promotion fails with.
type proofError struct {
	reason string
	err    error
}

func (e *proofError) Error() string { return e.reason + ": " + e.err.Error() }
func (e *proofError) Unwrap() error { return e.err }

// ProofSubjects verifies a verification proof as the gate does and returns
// the sha256 digests its subjects list: for auditors re-deriving a
// decision (package policyaudit).
func ProofSubjects(raw []byte, trusted map[string]ed25519.PublicKey) (map[string]bool, error) {
	return subjects(raw, trusted)
}

// subjects verifies a verification proof (a DSSE envelope over an in-toto
// Statement v1, every signature by a key of trusted) and returns the set of
// sha256 digests ("sha256:<hex>") its subjects list. A proof that does not
// hold is a *proofError.
func subjects(raw []byte, trusted map[string]ed25519.PublicKey) (map[string]bool, error) {
	var env verifier.DSSEEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, &proofError{ReasonProofInvalid, fmt.Errorf("not a DSSE envelope: %w", err)}
	}
	if env.PayloadType != ProofPayloadType {
		return nil, &proofError{ReasonProofInvalid, fmt.Errorf("payloadType %q, want %s", short(env.PayloadType), ProofPayloadType)}
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, &proofError{ReasonProofInvalid, fmt.Errorf("payload is not base64: %w", err)}
	}
	if err := verifier.VerifyDSSE(ProofPayloadType, payload, env.Signatures, trusted); err != nil {
		if errors.Is(err, verifier.ErrDSSEInvalidPublicKey) {
			return nil, err // a configuration error, not the proof's
		}
		return nil, &proofError{ReasonProofSignature, err}
	}
	var st attestation.Statement
	if err := protojson.Unmarshal(payload, &st); err != nil {
		return nil, &proofError{ReasonProofInvalid, fmt.Errorf("payload is not an in-toto Statement: %w", err)}
	}
	if err := st.Validate(); err != nil {
		return nil, &proofError{ReasonProofInvalid, fmt.Errorf("in-toto Statement: %w", err)}
	}
	if st.GetType() != attestation.StatementTypeUri {
		return nil, &proofError{ReasonProofInvalid, fmt.Errorf("statement type %q, want %s", short(st.GetType()), attestation.StatementTypeUri)}
	}
	out := map[string]bool{}
	for _, s := range st.GetSubject() {
		if h := s.GetDigest()["sha256"]; h != "" {
			out["sha256:"+h] = true
		}
	}
	return out, nil
}
