package verifier

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
)

// MaxDSSESignatures bounds the signatures accepted on one payload. Real
// payloads carry one or two; the bound keeps the verification work a client
// can demand per request small and fixed.
const MaxDSSESignatures = 16

// Sentinel errors returned by [VerifyDSSE], one per failure kind, so that
// callers can tell them apart with errors.Is and report each precisely.
var (
	// ErrDSSENoSignatures reports that verification was asked for but no
	// signature was supplied; an empty set must never count as verified.
	ErrDSSENoSignatures = errors.New("dsse: no signatures")
	// ErrDSSETooManySignatures reports more than MaxDSSESignatures signatures.
	ErrDSSETooManySignatures = errors.New("dsse: too many signatures")
	// ErrDSSEDuplicateKeyID reports two signatures naming the same key id,
	// which is never needed and would let one key be counted twice.
	ErrDSSEDuplicateKeyID = errors.New("dsse: duplicate key id")
	// ErrDSSEUnknownKey reports a signature whose key id is empty or not
	// among the trusted keys.
	ErrDSSEUnknownKey = errors.New("dsse: untrusted key id")
	// ErrDSSEMalformedSignature reports a signature that is empty, is not
	// canonical standard base64, or does not decode to an Ed25519 signature
	// length.
	ErrDSSEMalformedSignature = errors.New("dsse: malformed signature")
	// ErrDSSEBadSignature reports a well-formed signature by a trusted key
	// that does not verify over the PAE of the payload.
	ErrDSSEBadSignature = errors.New("dsse: signature does not verify")
	// ErrDSSEInvalidPublicKey reports a trusted key that is not an Ed25519
	// public key of the right size: a configuration error, not a client one.
	ErrDSSEInvalidPublicKey = errors.New("dsse: invalid trusted public key")
)

// DSSESignature is one signature of a DSSE envelope: the id of the key that
// made it and the raw Ed25519 signature in standard base64 (RFC 4648 §4,
// padded), as DSSE envelopes carry it.
type DSSESignature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// DSSEEnvelope is a DSSE envelope as JSON carries it: the payload in
// standard base64 and its signatures. Decoding one checks nothing; verify
// its signatures with VerifyDSSE over the decoded payload.
type DSSEEnvelope struct {
	PayloadType string          `json:"payloadType"`
	Payload     string          `json:"payload"`
	Signatures  []DSSESignature `json:"signatures"`
}

// PAE returns the DSSE v1 Pre-Authentication Encoding of a payload:
// "DSSEv1" SP len(type) SP type SP len(payload) SP payload. Signatures are
// made over these bytes, never over the payload alone, so that a payload
// signed for one type cannot be replayed as another. The lengths are in
// bytes, written in ASCII decimal.
//
// It is spelled out here rather than taken from go-securesystemslib's dsse
// package, whose import would bring golang.org/x/crypto/ssh, RSA, ECDSA
// and X.509 into what an auditor has to read; TestPAE holds the two to the
// same bytes.
func PAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// VerifyDSSE checks every signature in sigs over PAE(payloadType, payload)
// with the Ed25519 key that trusted maps its key id to. It fails closed: it
// returns nil only if there is at least one signature and every signature is
// well formed, names a distinct trusted key, and verifies. A single bad,
// unknown, duplicate or undecodable signature fails the whole set.
//
// The envelope verifier of go-securesystemslib's dsse package is not used
// here on purpose: it skips signatures that fail and succeeds once a
// threshold is met, accepts URL-safe base64 as well, matches providers
// without key ids, and prints to stdout; each of those would weaken the
// all-must-verify rule this ledger needs.
//
// VerifyDSSE is VerifyDSSEWith(ed25519.Verify, ...).
func VerifyDSSE(payloadType string, payload []byte, sigs []DSSESignature, trusted map[string]ed25519.PublicKey) error {
	return VerifyDSSEWith(ed25519.Verify, payloadType, payload, sigs, trusted)
}

// VerifyDSSEWith is VerifyDSSE with the Ed25519 verification done by
// verify, which must give crypto/ed25519.Verify's verdict on every input.
// It lets a server verify with a faster implementation (ledger/exports
// caches expanded keys) while the rules about which signature sets are
// acceptable stay here, in the code auditors run. verify is called only
// for signatures that are well formed and name a distinct trusted key of
// ed25519.PublicKeySize bytes, after every signature of the set has passed
// those checks.
func VerifyDSSEWith(verify func(pub ed25519.PublicKey, msg, sig []byte) bool, payloadType string, payload []byte, sigs []DSSESignature, trusted map[string]ed25519.PublicKey) error {
	raw, err := checkDSSESignatures(sigs, trusted)
	if err != nil {
		return err
	}
	pae := PAE(payloadType, payload)
	for i, s := range sigs {
		if !verify(trusted[s.KeyID], pae, raw[i]) {
			return fmt.Errorf("%w: signature %d by key %s over payload type %s", ErrDSSEBadSignature, i, dsseQuote(s.KeyID), dsseQuote(payloadType))
		}
	}
	return nil
}

// checkDSSESignatures validates everything about sigs except the
// cryptography and returns the decoded signatures, so that no Ed25519 work
// is done for a set that is refused anyway.
func checkDSSESignatures(sigs []DSSESignature, trusted map[string]ed25519.PublicKey) ([][]byte, error) {
	switch {
	case len(sigs) == 0:
		return nil, fmt.Errorf("%w: want at least one signature", ErrDSSENoSignatures)
	case len(sigs) > MaxDSSESignatures:
		return nil, fmt.Errorf("%w: got %d, want at most %d", ErrDSSETooManySignatures, len(sigs), MaxDSSESignatures)
	}
	seen := make(map[string]bool, len(sigs))
	raw := make([][]byte, len(sigs))
	for i, s := range sigs {
		if seen[s.KeyID] {
			return nil, fmt.Errorf("%w: key %s signs more than once", ErrDSSEDuplicateKeyID, dsseQuote(s.KeyID))
		}
		seen[s.KeyID] = true
		pub, ok := trusted[s.KeyID]
		if !ok || s.KeyID == "" {
			return nil, fmt.Errorf("%w: signature %d names key %s, which is not trusted", ErrDSSEUnknownKey, i, dsseQuote(s.KeyID))
		}
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: key %s has %d bytes, want %d", ErrDSSEInvalidPublicKey, dsseQuote(s.KeyID), len(pub), ed25519.PublicKeySize)
		}
		sig, err := decodeDSSESignature(s.Sig)
		if err != nil {
			return nil, fmt.Errorf("signature %d by key %s: %w", i, dsseQuote(s.KeyID), err)
		}
		raw[i] = sig
	}
	return raw, nil
}

// decodeDSSESignature decodes a signature from canonical, padded standard
// base64 and checks its length. Re-encoding and comparing refuses the
// variants the decoder tolerates (embedded newlines, URL-safe alphabet,
// non-zero padding bits), so each signature has exactly one spelling.
func decodeDSSESignature(s string) ([]byte, error) {
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrDSSEMalformedSignature)
	}
	sig, err := base64.StdEncoding.DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(sig) != s {
		return nil, fmt.Errorf("%w: not canonical standard base64", ErrDSSEMalformedSignature)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrDSSEMalformedSignature, len(sig), ed25519.SignatureSize)
	}
	return sig, nil
}

// dsseQuote quotes a client-supplied string for an error message, cut to a
// few dozen bytes so that a hostile key id cannot flood logs.
func dsseQuote(s string) string {
	const limit = 64
	if len(s) > limit {
		return fmt.Sprintf("%q (%d bytes)", s[:limit], len(s))
	}
	return fmt.Sprintf("%q", s)
}
