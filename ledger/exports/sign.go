package exports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/assay-ledger/assay/verifier"
)

// Signer makes raw Ed25519 signatures under a key name. A signed-note
// signer (golang.org/x/mod/sumdb/note.NewSigner of a key from `assay keys
// generate`) is one: its Sign is ed25519.Sign over the message and its
// Name is the key name, which becomes the DSSE keyId.
type Signer interface {
	Name() string
	Sign(msg []byte) ([]byte, error)
}

// Sign adds a DSSE signature by signer to an export body: it computes the
// canonical payload (the body without "signatures", RFC 8785), signs
// PAE(PayloadType, payload) and appends {"type":"dsse","keyId":name,
// "signature":base64} to the body's "signatures". It returns the new body
// with its members sorted; the canonical payload is unchanged by that.
func Sign(body []byte, signer Signer) ([]byte, error) {
	members, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	var sigs []Signature
	if raw, ok := members["signatures"]; ok {
		if sigs, err = decodeSignatures(raw); err != nil {
			return nil, err
		}
	}
	canonical, err := canonicalMembers(members) // drops "signatures" from members
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(verifier.PAE(PayloadType, canonical))
	if err != nil {
		return nil, fmt.Errorf("sign export: %w", err)
	}
	sigs = append(sigs, Signature{Type: SignatureTypeDSSE, KeyID: signer.Name(), Signature: base64.StdEncoding.EncodeToString(sig)})
	raw, err := json.Marshal(sigs)
	if err != nil {
		return nil, err
	}
	members["signatures"] = raw
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(members); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}
