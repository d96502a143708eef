package exports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/assay-ledger/assay/verifier"
)

// TestEnvelopeIsCanonical checks the directly written envelope against the
// RFC 8785 canonicalization of the same envelope built with encoding/json,
// for key ids and signatures with and without characters that need
// escaping (those take the general path, and must come out the same).
func TestEnvelopeIsCanonical(t *testing.T) {
	canonical := []byte(`{"artifactHash":"sha256:00","runId":"x<y&z>"}`)
	sig := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 64))
	for _, sigs := range [][]Signature{
		{{Type: "dsse", KeyID: "producer-1", Signature: sig}},
		{{Type: "dsse", KeyID: "a", Signature: sig}, {Type: "dsse", KeyID: "b/c+d=é<>&", Signature: sig}},
		{{Type: "dsse", KeyID: "quote\"back\\slash", Signature: sig}},
		{{Type: "dsse", KeyID: "tab\tnl\nu\u2028", Signature: sig}},
	} {
		got, err := Envelope(canonical, sigs)
		if err != nil {
			t.Fatal(err)
		}
		if want := envelopeReference(t, canonical, sigs); !bytes.Equal(got, want) {
			t.Errorf("Envelope:\n%s\nwant\n%s", got, want)
		}
	}
}

// FuzzEnvelope holds Envelope, whose plain path writes the envelope
// directly, to the RFC 8785 canonicalization of the envelope built with
// encoding/json, for any payload, key id and signature.
func FuzzEnvelope(f *testing.F) {
	sig := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 64))
	for _, keyID := range []string{"producer-1", "b/c+d=é<>&", "quote\"back\\slash", "tab\tnl\nu\u2028", "bad \xff utf8", ""} {
		f.Add([]byte(`{"artifactHash":"sha256:00","runId":"x<y&z>"}`), keyID, sig)
	}
	f.Fuzz(func(t *testing.T, canonical []byte, keyID, sig string) {
		sigs := []Signature{{Type: SignatureTypeDSSE, KeyID: keyID, Signature: sig}, {Type: SignatureTypeDSSE, KeyID: sig, Signature: keyID}}
		got, err := Envelope(canonical, sigs)
		if err != nil {
			t.Fatal(err)
		}
		if want := envelopeReference(t, canonical, sigs); !bytes.Equal(got, want) {
			t.Fatalf("Envelope:\n%s\nwant\n%s", got, want)
		}
	})
}

// envelopeReference builds the envelope with encoding/json and
// canonicalizes it with verifier.CanonicalizeJSON.
func envelopeReference(t *testing.T, canonical []byte, sigs []Signature) []byte {
	t.Helper()
	type s struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}
	env := map[string]any{"payload": base64.StdEncoding.EncodeToString(canonical), "payloadType": PayloadType}
	var list []s
	for _, x := range sigs {
		list = append(list, s{x.KeyID, x.Signature})
	}
	env["signatures"] = list
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	want, err := verifier.CanonicalizeJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	return want
}
