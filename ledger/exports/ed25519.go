package exports

import (
	"crypto/ed25519"
	"sync"

	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// stdlibSemantics makes curve25519-voi accept exactly the signatures
// crypto/ed25519 accepts (RFC 8032 with cofactorless verification and
// canonical encodings), so an auditor re-checking an entry's signatures
// with the standard library reaches the same verdict. It is never modified.
var stdlibSemantics = &voied25519.Options{Verify: voied25519.VerifyOptionsStdLib}

// maxExpandedKeys bounds the keys kept expanded (about 1.5 KiB each). The
// keys come from the trusted set, which is a handful per tenant; beyond the
// bound, keys are verified without the cache.
const maxExpandedKeys = 1024

// ed25519Verifier is the Service's Ed25519 verification, the verify function
// it passes to verifier.VerifyDSSEWith. It caches the expanded form of each
// public key that verifies signatures: expanding a key costs a fraction of
// one verification (about 10 µs) and saves about a fifth of every later one
// (see verify). Its zero value is an empty cache, ready for concurrent use.
type ed25519Verifier struct {
	mu sync.RWMutex
	m  map[[ed25519.PublicKeySize]byte]*voied25519.ExpandedPublicKey
}

// verify is ed25519.Verify computed by curve25519-voi with the key's
// expanded form (decompressed, with its multiplication table). The
// signature check dominates the CPU cost of a signed job export, and this
// halves it: 31 µs of CPU per signature where crypto/ed25519 takes 66 µs,
// and 38 µs without the key cache (medians of 6 alternating runs of
// BenchmarkVerifyEd25519 on 2026-12-03, on 2 shared AMD EPYC cores; CPU
// time per operation, since the other load inflated the wall time).
// TestVerifyEd25519MatchesStdlib holds the two to the same answers.
func (c *ed25519Verifier) verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if k := c.get(pub); k != nil {
		return voied25519.VerifyExpandedWithOptions(k, msg, sig, stdlibSemantics)
	}
	return voied25519.VerifyWithOptions(voied25519.PublicKey(pub), msg, sig, stdlibSemantics)
}

// get returns the expanded form of pub, or nil if pub does not decode to a
// curve point (it verifies nothing then) or the cache is full.
func (c *ed25519Verifier) get(pub ed25519.PublicKey) *voied25519.ExpandedPublicKey {
	if len(pub) != ed25519.PublicKeySize {
		return nil
	}
	key := [ed25519.PublicKeySize]byte(pub)
	c.mu.RLock()
	k, ok := c.m[key]
	full := len(c.m) >= maxExpandedKeys
	c.mu.RUnlock()
	if ok || full {
		return k
	}
	k, err := voied25519.NewExpandedPublicKey(voied25519.PublicKey(pub))
	if err != nil {
		return nil
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[[ed25519.PublicKeySize]byte]*voied25519.ExpandedPublicKey{}
	}
	if len(c.m) < maxExpandedKeys {
		c.m[key] = k
	}
	c.mu.Unlock()
	return k
}
