package exports

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/assay-ledger/assay/verifier"
)

// CanonicalPayload returns the bytes export signatures are made over: the
// RFC 8785 canonical JSON of the submitted object without its "signatures"
// member. It works on the raw body, not on a Submission, so that the bytes
// depend only on what the producer sent (whitespace, member order and
// string escapes do not matter) and never on how this package models it.
// The body gets the same syntactic checks as in Parse.
func CanonicalPayload(body []byte) ([]byte, error) {
	members, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	return canonicalMembers(members)
}

// canonicalMembers returns the RFC 8785 form of the object made of members
// without "signatures". It deletes "signatures" from members.
func canonicalMembers(members map[string]json.RawMessage) ([]byte, error) {
	delete(members, "signatures")
	var obj bytes.Buffer
	obj.WriteByte('{')
	for i, name := range slices.Sorted(maps.Keys(members)) {
		if i > 0 {
			obj.WriteByte(',')
		}
		key, _ := json.Marshal(name) // marshalling a string cannot fail
		obj.Write(key)
		obj.WriteByte(':')
		obj.Write(members[name])
	}
	obj.WriteByte('}')
	canonical, err := verifier.CanonicalizeJSON(obj.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedJSON, err)
	}
	return canonical, nil
}

// VerifySignatures checks sub's signatures over canonical, which must be
// CanonicalPayload of the body sub was parsed from, as DSSE Ed25519 with
// payloadType PayloadType. It fails closed: with any signature present,
// every one must name a key in trustedKeys and verify (see
// verifier.VerifyDSSE, whose sentinel errors it returns). An unsigned
// submission returns nil, since the contract makes signatures optional;
// callers that require them check sub.Signed first. trustedKeys is the set
// trusted for sub's tenant; an empty or nil set trusts nothing.
func VerifySignatures(sub *Submission, canonical []byte, trustedKeys map[string]ed25519.PublicKey) error {
	return verifySignatures(sub, canonical, trustedKeys, ed25519.Verify)
}

// verifySignatures is VerifySignatures with the Ed25519 verification done
// by verify (see verifier.VerifyDSSEWith); the Service passes its
// ed25519Verifier.
func verifySignatures(sub *Submission, canonical []byte, trustedKeys map[string]ed25519.PublicKey, verify func(pub ed25519.PublicKey, msg, sig []byte) bool) error {
	if !sub.Signed() {
		return nil
	}
	sigs := make([]verifier.DSSESignature, len(sub.Signatures))
	for i, s := range sub.Signatures {
		if s.Type != SignatureTypeDSSE {
			return fmt.Errorf("%w: signatures[%d].type is %s, want %q", ErrSignatureType, i, quote(s.Type), SignatureTypeDSSE)
		}
		sigs[i] = verifier.DSSESignature{KeyID: s.KeyID, Sig: s.Signature}
	}
	if err := verifier.VerifyDSSEWith(verify, PayloadType, canonical, sigs, trustedKeys); err != nil {
		return fmt.Errorf("export %s: %w", quote(sub.RunID), err)
	}
	return nil
}
