package exports

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

func TestCanonicalPayloadVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			bodies := map[string][]byte{
				"submitted as indented": v.Submitted,
				"re-marshalled":         marshal(t, submittedMap(t, v)),
				"unsigned payload":      v.Payload,
			}
			for name, body := range bodies {
				got, err := CanonicalPayload(body)
				if err != nil {
					t.Fatalf("%s: CanonicalPayload: %v", name, err)
				}
				if string(got) != v.JCS {
					t.Fatalf("%s: CanonicalPayload\n got %s\nwant %s", name, got, v.JCS)
				}
			}
		})
	}
}

func TestCanonicalPayloadRefuses(t *testing.T) {
	tests := []struct {
		name, body string
		want       error
	}{
		{"not an object", `["signatures"]`, ErrMalformedJSON},
		{"duplicate signatures", `{"signatures":[],"signatures":[]}`, ErrDuplicateKey},
		{"lone surrogate", `{"a":"\udc00"}`, ErrMalformedJSON},
		{"trailing data", `{"a":"b"} {}`, ErrTrailingData},
		{"too large", `{"a":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := CanonicalPayload([]byte(tt.body)); !errors.Is(err, tt.want) {
				t.Fatalf("CanonicalPayload = %q, %v; want %v", got, err, tt.want)
			}
		})
	}
}

// parseVector parses a vector's body and canonical payload, failing the
// test on any error.
func parseVector(t *testing.T, v vector) (*Submission, []byte) {
	t.Helper()
	sub, err := Parse(v.Submitted)
	if err != nil {
		t.Fatal(err)
	}
	canonical, err := CanonicalPayload(v.Submitted)
	if err != nil {
		t.Fatal(err)
	}
	return sub, canonical
}

func TestVerifySignaturesVectors(t *testing.T) {
	trusted := trustedKeys(t)
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sub, canonical := parseVector(t, v)
			if !sub.Signed() {
				t.Fatal("vector parsed as unsigned")
			}
			if err := VerifySignatures(sub, canonical, trusted); err != nil {
				t.Fatalf("VerifySignatures: %v", err)
			}
		})
	}
}

// TestVerifySignaturesBitFlips changes each vector's canonical payload in
// one bit at every bit position of every byte and expects every change to
// fail verification.
func TestVerifySignaturesBitFlips(t *testing.T) {
	trusted := trustedKeys(t)
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sub, canonical := parseVector(t, v)
			flips := 0
			for i := range canonical {
				for bit := range 8 {
					mod := bytes.Clone(canonical)
					mod[i] ^= 1 << bit
					if err := VerifySignatures(sub, mod, trusted); !errors.Is(err, verifier.ErrDSSEBadSignature) {
						t.Fatalf("byte %d bit %d flipped: err = %v, want ErrDSSEBadSignature", i, bit, err)
					}
					flips++
				}
			}
			if want := 8 * len(v.JCS); flips != want {
				t.Fatalf("checked %d flips, want %d", flips, want)
			}
			t.Logf("%s: %d bytes, %d single-bit changes all refused", v.Name, len(canonical), flips)
		})
	}
}

// TestVerifySignaturesTamperedBody changes one field of a signed body and
// expects the signature to fail: the canonical payload follows the body.
func TestVerifySignaturesTamperedBody(t *testing.T) {
	trusted := trustedKeys(t)
	v := loadVectors(t)[0]
	for name, replace := range map[string][2]string{
		"status":      {`"status": "succeeded"`, `"status": "failed"`},
		"environment": {`"environment": "prod"`, `"environment": "dev"`},
		"logsPath":    {`run-1/logs.ndjson`, `run-2/logs.ndjson`},
	} {
		t.Run(name, func(t *testing.T) {
			body := strings.Replace(string(v.Submitted), replace[0], replace[1], 1)
			if body == string(v.Submitted) {
				t.Fatalf("%q not found in the vector", replace[0])
			}
			sub, err := Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			canonical, err := CanonicalPayload([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifySignatures(sub, canonical, trusted); !errors.Is(err, verifier.ErrDSSEBadSignature) {
				t.Fatalf("VerifySignatures = %v, want ErrDSSEBadSignature", err)
			}
		})
	}
}

func TestVerifySignaturesFailures(t *testing.T) {
	trusted := trustedKeys(t)
	v := loadVectors(t)[0]
	_, canonical := parseVector(t, v)
	good := Signature{Type: "dsse", KeyID: v.KeyID, Signature: v.Signature}
	otherKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	byOther := Signature{Type: "dsse", KeyID: "other", Signature: base64.StdEncoding.EncodeToString(
		ed25519.Sign(otherKey, verifier.PAE(PayloadType, canonical)))}
	resigned := Signature{Type: "dsse", KeyID: v.KeyID, Signature: base64.StdEncoding.EncodeToString(
		ed25519.Sign(signingKey(t), verifier.PAE(PayloadType, canonical)))}
	wrongType := Signature{Type: "dsse", KeyID: v.KeyID, Signature: base64.StdEncoding.EncodeToString(
		ed25519.Sign(signingKey(t), verifier.PAE("application/json", canonical)))}

	tests := []struct {
		name    string
		sigs    []Signature
		trusted map[string]ed25519.PublicKey
		want    error
	}{
		{"unsigned passes", nil, trusted, nil},
		{"resigned with test-key-1", []Signature{resigned}, trusted, nil},
		{"signed for another payload type", []Signature{wrongType}, trusted, verifier.ErrDSSEBadSignature},
		{"no trusted keys", []Signature{good}, nil, verifier.ErrDSSEUnknownKey},
		{"good and untrusted", []Signature{good, byOther}, trusted, verifier.ErrDSSEUnknownKey},
		{"untrusted key id", []Signature{{Type: "dsse", KeyID: "test-key-2", Signature: v.Signature}}, trusted, verifier.ErrDSSEUnknownKey},
		{"same key twice", []Signature{good, good}, trusted, verifier.ErrDSSEDuplicateKeyID},
		{"undecodable", []Signature{{Type: "dsse", KeyID: v.KeyID, Signature: "not base64"}}, trusted, verifier.ErrDSSEMalformedSignature},
		{"empty signature", []Signature{{Type: "dsse", KeyID: v.KeyID}}, trusted, verifier.ErrDSSEMalformedSignature},
		{"not dsse", []Signature{{Type: "jws", KeyID: v.KeyID, Signature: v.Signature}}, trusted, ErrSignatureType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := &Submission{RunID: "3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", Signatures: tt.sigs}
			err := VerifySignatures(sub, canonical, tt.trusted)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("VerifySignatures: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifySignatures = %v, want %v", err, tt.want)
			}
			if slug, kind := Classify(err); slug == "" || kind != ledger.KindUnprocessable {
				t.Errorf("Classify = %q, %v; want a slug and unprocessable", slug, kind)
			}
		})
	}
}
