package verifier

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// dsseVector is one entry of testdata/exports/exports.json.
type dsseVector struct {
	Name        string          `json:"name"`
	Payload     json.RawMessage `json:"payload"`
	JCS         string          `json:"jcs"`
	PayloadType string          `json:"payloadType"`
	PAEHex      string          `json:"pae_hex"`
	KeyID       string          `json:"keyId"`
	Signature   string          `json:"signature"`
}

const dsseTestdata = "../testdata/exports"

func loadDSSEVectors(t *testing.T) []dsseVector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dsseTestdata, "exports.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []dsseVector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	return vs
}

func loadDSSEHex(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dsseTestdata, name))
	if err != nil {
		t.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dsseTestKeys returns test-key-1 from testdata and checks that its seed
// and public key files agree.
func dsseTestKeys(t *testing.T) (ed25519.PrivateKey, map[string]ed25519.PublicKey) {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(loadDSSEHex(t, "test-key-1.seed.hex"))
	pub := ed25519.PublicKey(loadDSSEHex(t, "test-key-1.pub.hex"))
	if !pub.Equal(priv.Public()) {
		t.Fatal("test-key-1 seed and public key disagree")
	}
	return priv, map[string]ed25519.PublicKey{"test-key-1": pub}
}

func dsseSign(priv ed25519.PrivateKey, payloadType string, payload []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, PAE(payloadType, payload)))
}

func TestPAE(t *testing.T) {
	tests := []struct {
		name, payloadType, payload, want string
	}{
		{"dsse spec example", "http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"empty", "", "", "DSSEv1 0  0 "},
		{"multibyte payload counts bytes", "t", "é", "DSSEv1 1 t 2 é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(PAE(tt.payloadType, []byte(tt.payload))); got != tt.want {
				t.Errorf("PAE = %q, want %q", got, tt.want)
			}
			if got, ref := PAE(tt.payloadType, []byte(tt.payload)), dsse.PAE(tt.payloadType, []byte(tt.payload)); !bytes.Equal(got, ref) {
				t.Errorf("PAE = %q, go-securesystemslib dsse.PAE = %q", got, ref)
			}
		})
	}
	for _, v := range loadDSSEVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := hex.EncodeToString(PAE(v.PayloadType, []byte(v.JCS))); got != v.PAEHex {
				t.Errorf("PAE = %s, want %s", got, v.PAEHex)
			}
			if got, ref := PAE(v.PayloadType, []byte(v.JCS)), dsse.PAE(v.PayloadType, []byte(v.JCS)); !bytes.Equal(got, ref) {
				t.Errorf("PAE = %x, go-securesystemslib dsse.PAE = %x", got, ref)
			}
		})
	}
}

func TestVerifyDSSEVectors(t *testing.T) {
	_, trusted := dsseTestKeys(t)
	for _, v := range loadDSSEVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sigs := []DSSESignature{{KeyID: v.KeyID, Sig: v.Signature}}
			if err := VerifyDSSE(v.PayloadType, []byte(v.JCS), sigs, trusted); err != nil {
				t.Fatalf("VerifyDSSE: %v", err)
			}
		})
	}
}

// TestVerifyDSSEBitFlips flips every bit of every byte of each vector's
// canonical payload, of its signature and of its payload type, and expects
// each change to be refused.
func TestVerifyDSSEBitFlips(t *testing.T) {
	_, trusted := dsseTestKeys(t)
	for _, v := range loadDSSEVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sigs := []DSSESignature{{KeyID: v.KeyID, Sig: v.Signature}}
			payloadFlips := dsseFlipEach([]byte(v.JCS), func(mod []byte) error {
				return VerifyDSSE(v.PayloadType, mod, sigs, trusted)
			}, t)
			typeFlips := dsseFlipEach([]byte(v.PayloadType), func(mod []byte) error {
				return VerifyDSSE(string(mod), []byte(v.JCS), sigs, trusted)
			}, t)
			raw, _ := base64.StdEncoding.DecodeString(v.Signature)
			sigFlips := dsseFlipEach(raw, func(mod []byte) error {
				s := []DSSESignature{{KeyID: v.KeyID, Sig: base64.StdEncoding.EncodeToString(mod)}}
				return VerifyDSSE(v.PayloadType, []byte(v.JCS), s, trusted)
			}, t)
			t.Logf("%s: refused %d payload, %d payload type and %d signature bit flips", v.Name, payloadFlips, typeFlips, sigFlips)
		})
	}
}

// dsseFlipEach calls verify with b changed in one bit, for every bit, and
// fails the test unless each call returns ErrDSSEBadSignature. It returns
// the number of flips checked.
func dsseFlipEach(b []byte, verify func([]byte) error, t *testing.T) int {
	t.Helper()
	n := 0
	for i := range b {
		for bit := range 8 {
			mod := bytes.Clone(b)
			mod[i] ^= 1 << bit
			if err := verify(mod); !errors.Is(err, ErrDSSEBadSignature) {
				t.Errorf("byte %d bit %d flipped: err = %v, want ErrDSSEBadSignature", i, bit, err)
			}
			n++
		}
	}
	return n
}

func TestVerifyDSSEFailures(t *testing.T) {
	priv, trusted := dsseTestKeys(t)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	const pt = "application/vnd.assay.export+json"
	payload := []byte(`{"a":1}`)
	good := DSSESignature{KeyID: "test-key-1", Sig: dsseSign(priv, pt, payload)}
	byOther := DSSESignature{KeyID: "other", Sig: dsseSign(other, pt, payload)}
	bothTrusted := map[string]ed25519.PublicKey{
		"test-key-1": trusted["test-key-1"],
		"other":      other.Public().(ed25519.PublicKey),
	}
	raw, _ := base64.StdEncoding.DecodeString(good.Sig)
	var tooMany []DSSESignature
	for i := range MaxDSSESignatures + 1 {
		tooMany = append(tooMany, DSSESignature{KeyID: fmt.Sprint("k", i), Sig: good.Sig})
	}

	tests := []struct {
		name    string
		sigs    []DSSESignature
		trusted map[string]ed25519.PublicKey
		want    error
	}{
		{"one good", []DSSESignature{good}, trusted, nil},
		{"two good", []DSSESignature{good, byOther}, bothTrusted, nil},
		{"nil signatures", nil, trusted, ErrDSSENoSignatures},
		{"empty signatures", []DSSESignature{}, trusted, ErrDSSENoSignatures},
		{"too many", tooMany, trusted, ErrDSSETooManySignatures},
		{"same key twice", []DSSESignature{good, good}, trusted, ErrDSSEDuplicateKeyID},
		{"unknown key id", []DSSESignature{{KeyID: "nobody", Sig: good.Sig}}, trusted, ErrDSSEUnknownKey},
		{"empty key id", []DSSESignature{{Sig: good.Sig}}, map[string]ed25519.PublicKey{"": trusted["test-key-1"]}, ErrDSSEUnknownKey},
		{"no trusted keys", []DSSESignature{good}, nil, ErrDSSEUnknownKey},
		{"good then untrusted", []DSSESignature{good, byOther}, trusted, ErrDSSEUnknownKey},
		{"good then bad", []DSSESignature{good, {KeyID: "other", Sig: good.Sig}}, bothTrusted, ErrDSSEBadSignature},
		{"signed by another key", []DSSESignature{{KeyID: "test-key-1", Sig: byOther.Sig}}, trusted, ErrDSSEBadSignature},
		{"empty signature", []DSSESignature{{KeyID: "test-key-1"}}, trusted, ErrDSSEMalformedSignature},
		{"not base64", []DSSESignature{{KeyID: "test-key-1", Sig: "!!!!"}}, trusted, ErrDSSEMalformedSignature},
		{"url-safe base64", []DSSESignature{{KeyID: "test-key-1", Sig: base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 64))}}, trusted, ErrDSSEMalformedSignature},
		{"unpadded base64", []DSSESignature{{KeyID: "test-key-1", Sig: base64.RawStdEncoding.EncodeToString(raw)}}, trusted, ErrDSSEMalformedSignature},
		{"embedded newline", []DSSESignature{{KeyID: "test-key-1", Sig: good.Sig[:10] + "\n" + good.Sig[10:]}}, trusted, ErrDSSEMalformedSignature},
		{"short signature", []DSSESignature{{KeyID: "test-key-1", Sig: base64.StdEncoding.EncodeToString(raw[:63])}}, trusted, ErrDSSEMalformedSignature},
		{"long signature", []DSSESignature{{KeyID: "test-key-1", Sig: base64.StdEncoding.EncodeToString(append(raw, 0))}}, trusted, ErrDSSEMalformedSignature},
		{"short trusted key", []DSSESignature{good}, map[string]ed25519.PublicKey{"test-key-1": trusted["test-key-1"][:31]}, ErrDSSEInvalidPublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifyDSSE(pt, payload, tt.sigs, tt.trusted)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("VerifyDSSE: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("VerifyDSSE err = %v, want %v", err, tt.want)
			}
		})
	}
}

// dsseTestVerifier adapts an Ed25519 key to go-securesystemslib's
// dsse.Verifier and dsse.Signer interfaces.
type dsseTestVerifier struct {
	id   string
	priv ed25519.PrivateKey
}

func (v dsseTestVerifier) Sign(_ context.Context, data []byte) ([]byte, error) {
	return ed25519.Sign(v.priv, data), nil
}

func (v dsseTestVerifier) Verify(_ context.Context, data, sig []byte) error {
	if !ed25519.Verify(v.priv.Public().(ed25519.PublicKey), data, sig) {
		return errors.New("bad signature")
	}
	return nil
}

func (v dsseTestVerifier) KeyID() (string, error) { return v.id, nil }

func (v dsseTestVerifier) Public() crypto.PublicKey { return v.priv.Public() }

// TestVerifyDSSEInterop checks both directions against go-securesystemslib:
// its envelope verifier accepts the vectors, and VerifyDSSE accepts an
// envelope its envelope signer produced.
func TestVerifyDSSEInterop(t *testing.T) {
	priv, trusted := dsseTestKeys(t)
	sv := dsseTestVerifier{id: "test-key-1", priv: priv}
	ev, err := dsse.NewEnvelopeVerifier(sv)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range loadDSSEVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			env := &dsse.Envelope{
				PayloadType: v.PayloadType,
				Payload:     base64.StdEncoding.EncodeToString([]byte(v.JCS)),
				Signatures:  []dsse.Signature{{KeyID: v.KeyID, Sig: v.Signature}},
			}
			if _, err := ev.Verify(t.Context(), env); err != nil {
				t.Fatalf("dsse.EnvelopeVerifier rejects the vector: %v", err)
			}
		})
	}
	es, err := dsse.NewEnvelopeSigner(sv)
	if err != nil {
		t.Fatal(err)
	}
	env, err := es.SignPayload(t.Context(), "application/example", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	sigs := []DSSESignature{{KeyID: env.Signatures[0].KeyID, Sig: env.Signatures[0].Sig}}
	if err := VerifyDSSE(env.PayloadType, []byte("hello"), sigs, trusted); err != nil {
		t.Fatalf("VerifyDSSE rejects a dsse.EnvelopeSigner envelope: %v", err)
	}
}
