package exports

import (
	"crypto/ed25519"
	"encoding/hex"
	"math/rand/v2"
	"testing"

	"github.com/assay-ledger/assay/verifier"
	voied25519 "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// TestVerifyEd25519MatchesStdlib holds ed25519Verifier (curve25519-voi) to
// crypto/ed25519's verdict on valid signatures, on every single-bit change
// of key, message and signature, and on the edge cases where Ed25519
// implementations are known to disagree: small-order keys and R values,
// non-canonical S (S+L), and non-canonical point encodings.
func TestVerifyEd25519MatchesStdlib(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{7})
	seed := make([]byte, ed25519.SeedSize)
	type triple struct{ pub, msg, sig []byte }
	var cases []triple
	for range 8 {
		rng.Read(seed)
		priv := ed25519.NewKeyFromSeed(seed)
		msg := make([]byte, 100+len(cases)%600)
		rng.Read(msg)
		pub := priv.Public().(ed25519.PublicKey)
		sig := ed25519.Sign(priv, msg)
		cases = append(cases, triple{pub, msg, sig})
		for _, field := range [][]byte{pub, sig, msg} {
			for bit := range len(field) * 8 {
				if len(field) > 64 && bit%7 != 0 {
					continue // messages: a sample of the bits is enough
				}
				c := triple{clone(pub), clone(msg), clone(sig)}
				switch {
				case &field[0] == &pub[0]:
					c.pub[bit/8] ^= 1 << (bit % 8)
				case &field[0] == &sig[0]:
					c.sig[bit/8] ^= 1 << (bit % 8)
				default:
					c.msg[bit/8] ^= 1 << (bit % 8)
				}
				cases = append(cases, c)
			}
		}
		cases = append(cases, triple{pub, msg, addL(sig)})
	}
	// Small-order and non-canonical encodings, from "Taming the many
	// EdDSAs" (Chalkias, Garillot, Nikolaenko, 2020): the identity and other
	// small-order points as key and R, S = 0, and y >= p encodings.
	smallOrder := []string{
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000080",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	}
	zeroS := make([]byte, 32)
	for _, a := range smallOrder {
		for _, r := range smallOrder {
			pub, _ := hex.DecodeString(a)
			rb, _ := hex.DecodeString(r)
			for _, msg := range [][]byte{nil, []byte("assay"), cases[0].msg} {
				cases = append(cases, triple{pub, msg, append(clone(rb), zeroS...)})
				cases = append(cases, triple{pub, msg, append(clone(rb), cases[0].sig[32:]...)})
			}
		}
		pub, _ := hex.DecodeString(a)
		cases = append(cases, triple{pub, cases[0].msg, cases[0].sig})
	}
	var v ed25519Verifier
	accepted := 0
	for i, c := range cases {
		want := ed25519.Verify(c.pub, c.msg, c.sig)
		if got, expanded := voiVerdicts(&v, c.pub, c.msg, c.sig); got != want || expanded != want {
			t.Fatalf("case %d: pub %x msg %x sig %x: voi %v, voi expanded %v, crypto/ed25519 %v", i, c.pub, c.msg, c.sig, got, expanded, want)
		}
		if want {
			accepted++
		}
	}
	if accepted < 8 || accepted == len(cases) {
		t.Fatalf("%d of %d cases verified; the corpus is not testing both verdicts", accepted, len(cases))
	}
}

// voiVerdicts returns v's verdict and that of curve25519-voi with a freshly
// expanded key, so that both paths v.verify can take are compared whether
// or not the key cache is full.
func voiVerdicts(v *ed25519Verifier, pub, msg, sig []byte) (bool, bool) {
	expanded := false
	if k, err := voied25519.NewExpandedPublicKey(pub); err == nil {
		expanded = voied25519.VerifyExpandedWithOptions(k, msg, sig, stdlibSemantics)
	}
	return v.verify(pub, msg, sig), expanded
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// addL returns sig with L (the group order) added to its S half: the same
// signature in a non-canonical encoding, which RFC 8032 rejects.
func addL(sig []byte) []byte {
	l := [32]byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	out := clone(sig)
	var carry uint16
	for i := range 32 {
		v := uint16(out[32+i]) + uint16(l[i]) + carry
		out[32+i], carry = byte(v), v>>8
	}
	return out
}

// FuzzVerifyEd25519 compares ed25519Verifier with crypto/ed25519 on
// arbitrary keys, messages and signatures.
func FuzzVerifyEd25519(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	msg := []byte("assay")
	f.Add([]byte(priv.Public().(ed25519.PublicKey)), msg, ed25519.Sign(priv, msg))
	f.Add(make([]byte, 32), msg, make([]byte, 64))
	var v ed25519Verifier
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			return // crypto/ed25519 panics on other key sizes; callers check first
		}
		want := ed25519.Verify(pub, msg, sig)
		if got, expanded := voiVerdicts(&v, pub, msg, sig); got != want || expanded != want {
			t.Fatalf("pub %x msg %x sig %x: voi %v, voi expanded %v, crypto/ed25519 %v", pub, msg, sig, got, expanded, want)
		}
	})
}

// BenchmarkVerifyEd25519 measures one verification of a signed export's
// PAE with the expanded-key cache, beside curve25519-voi without the cache
// and crypto/ed25519 as the baseline.
func BenchmarkVerifyEd25519(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	msg := verifier.PAE(PayloadType, make([]byte, 520))
	sig := ed25519.Sign(priv, msg)
	b.Run("assay", func(b *testing.B) {
		var v ed25519Verifier
		for b.Loop() {
			if !v.verify(pub, msg, sig) {
				b.Fatal("did not verify")
			}
		}
	})
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			if !voied25519.VerifyWithOptions(voied25519.PublicKey(pub), msg, sig, stdlibSemantics) {
				b.Fatal("did not verify")
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			if !ed25519.Verify(pub, msg, sig) {
				b.Fatal("did not verify")
			}
		}
	})
}

// TestKeyCache checks that ed25519Verifier expands a key once and then
// serves it from its cache, that a key off the curve is not cached, and that
// a full cache still answers without growing.
func TestKeyCache(t *testing.T) {
	c := ed25519Verifier{m: map[[ed25519.PublicKeySize]byte]*voied25519.ExpandedPublicKey{}}
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	first := c.get(pub)
	if first == nil || c.get(pub) != first {
		t.Fatalf("a valid key was not expanded once and cached")
	}
	offCurve, _ := hex.DecodeString("0200000000000000000000000000000000000000000000000000000000000000")
	if c.get(offCurve) != nil || len(c.m) != 1 {
		t.Fatalf("a key off the curve was expanded or cached; cache holds %d keys", len(c.m))
	}
	for i := 0; len(c.m) < maxExpandedKeys; i++ {
		seed := make([]byte, ed25519.SeedSize)
		seed[0], seed[1] = byte(i), byte(i>>8)
		c.m[[ed25519.PublicKeySize]byte(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey))] = first
	}
	other := ed25519.NewKeyFromSeed(bytes32(0xff)).Public().(ed25519.PublicKey)
	if c.get(other) != nil || len(c.m) != maxExpandedKeys {
		t.Fatalf("a full cache answered from a new expansion or grew to %d keys", len(c.m))
	}
}

func bytes32(b byte) []byte {
	out := make([]byte, 32)
	for i := range out {
		out[i] = b
	}
	return out
}
