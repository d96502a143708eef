package exports

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Trust is the signature policy of export ingestion: per tenant, the
// Ed25519 keys trusted to sign its exports and whether signatures are
// required. Keys are given in the signed-note verifier form
// "name+hash+base64(0x01 || public key)" that `assay keys generate` writes
// to NAME.vkey; the DSSE keyId of a signature is the key's name. A Trust is
// built once at startup and then only read, so it is safe for concurrent
// reads.
type Trust struct {
	tenants map[string]*tenantTrust
}

type tenantTrust struct {
	keys     map[string]ed25519.PublicKey
	vkeys    map[string]string // key name -> verifier key text, for the policy
	required bool
}

// NewTrust returns a policy that trusts no key and requires no signature.
func NewTrust() *Trust { return &Trust{tenants: map[string]*tenantTrust{}} }

func (t *Trust) tenant(name string) *tenantTrust {
	tt := t.tenants[name]
	if tt == nil {
		tt = &tenantTrust{keys: map[string]ed25519.PublicKey{}, vkeys: map[string]string{}}
		t.tenants[name] = tt
	}
	return tt
}

// AddKey trusts the verifier key vkey for tenant's exports. Two keys with
// one name for one tenant are refused: the name is the DSSE keyId.
func (t *Trust) AddKey(tenant, vkey string) error {
	if tenant == "" {
		return fmt.Errorf("trusted export key %q: empty tenant", vkey)
	}
	name, pub, err := ParseVerifierKey(vkey)
	if err != nil {
		return err
	}
	tt := t.tenant(tenant)
	if _, dup := tt.keys[name]; dup {
		return fmt.Errorf("tenant %q trusts two export keys named %q; key names are DSSE key ids and must be unique", tenant, name)
	}
	tt.keys[name], tt.vkeys[name] = pub, vkey
	return nil
}

// RequireSignatures makes tenant's unsigned exports fail.
func (t *Trust) RequireSignatures(tenant string) { t.tenant(tenant).required = true }

// Keys returns the keys trusted for tenant, by key id; nil when none. The
// map must not be modified.
func (t *Trust) Keys(tenant string) map[string]ed25519.PublicKey {
	if tt := t.tenants[tenant]; tt != nil {
		return tt.keys
	}
	return nil
}

// Required reports whether tenant's exports must be signed.
func (t *Trust) Required(tenant string) bool {
	tt := t.tenants[tenant]
	return tt != nil && tt.required
}

// TenantPolicy is one tenant's part of TrustPolicy.
type TenantPolicy struct {
	Keys              []string `json:"keys"` // verifier keys, sorted
	RequireSignatures bool     `json:"require_signatures"`
}

// TrustPolicy is the public form of a Trust, as recorded in the log's
// policy.applied entry: public keys only, in a deterministic order.
type TrustPolicy struct {
	PayloadType string                  `json:"payload_type"`
	Tenants     map[string]TenantPolicy `json:"tenants"`
}

// Policy returns the public form of t for the policy.applied entry.
func (t *Trust) Policy() TrustPolicy {
	p := TrustPolicy{PayloadType: PayloadType, Tenants: map[string]TenantPolicy{}}
	for name, tt := range t.tenants {
		keys := slices.Sorted(maps.Values(tt.vkeys))
		if keys == nil {
			keys = []string{}
		}
		p.Tenants[name] = TenantPolicy{Keys: keys, RequireSignatures: tt.required}
	}
	return p
}

// ParseVerifierKey parses a signed-note Ed25519 verifier key
// "name+hash+base64(0x01 || 32-byte public key)" and returns its name (the
// DSSE keyId) and public key. The key hash is checked.
func ParseVerifierKey(vkey string) (string, ed25519.PublicKey, error) {
	vkey = strings.TrimSpace(vkey)
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", nil, fmt.Errorf("verifier key %q: %w", vkey, err)
	}
	parts := strings.SplitN(vkey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 1 {
		return "", nil, fmt.Errorf("verifier key %q: want an Ed25519 key (algorithm 1, 32 bytes)", vkey)
	}
	return parts[0], ed25519.PublicKey(raw[1:]), nil
}
