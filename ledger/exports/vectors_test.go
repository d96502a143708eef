package exports

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdataDir holds copies of the shared test vectors and test-key-1.
const testdataDir = "../../testdata/exports"

// vector is one entry of testdata/exports/exports.json.
type vector struct {
	Name           string          `json:"name"`
	Payload        json.RawMessage `json:"payload"`
	JCS            string          `json:"jcs"`
	PayloadType    string          `json:"payloadType"`
	IdempotencyKey string          `json:"idempotencyKey"`
	KeyID          string          `json:"keyId"`
	Signature      string          `json:"signature"`
	Submitted      json.RawMessage `json:"submitted"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir, "exports.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("got %d vectors, want 2", len(vs))
	}
	return vs
}

// trustedKeys returns test-key-1 as the only trusted key.
func trustedKeys(t testing.TB) map[string]ed25519.PublicKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir, "test-key-1.pub.hex"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("bad test-key-1.pub.hex: %v", err)
	}
	return map[string]ed25519.PublicKey{"test-key-1": pub}
}

// signingKey returns test-key-1's private key, for signing modified payloads.
func signingKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir, "test-key-1.seed.hex"))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("bad test-key-1.seed.hex: %v", err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// submittedMap decodes a vector's submitted body into a map to modify.
func submittedMap(t testing.TB, v vector) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(v.Submitted, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
