package verifier

import (
	"crypto/ed25519"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestVerifyEd25519MatchesStdlib holds verifyEd25519 (curve25519-voi) to
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
	accepted := 0
	for i, c := range cases {
		want := ed25519.Verify(c.pub, c.msg, c.sig)
		if got := verifyEd25519(c.pub, c.msg, c.sig); got != want {
			t.Fatalf("case %d: pub %x msg %x sig %x: voi %v, crypto/ed25519 %v", i, c.pub, c.msg, c.sig, got, want)
		}
		if want {
			accepted++
		}
	}
	if accepted < 8 || accepted == len(cases) {
		t.Fatalf("%d of %d cases verified; the corpus is not testing both verdicts", accepted, len(cases))
	}
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

// FuzzVerifyEd25519 compares verifyEd25519 with crypto/ed25519 on arbitrary
// keys, messages and signatures.
func FuzzVerifyEd25519(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	msg := []byte("assay")
	f.Add([]byte(priv.Public().(ed25519.PublicKey)), msg, ed25519.Sign(priv, msg))
	f.Add(make([]byte, 32), msg, make([]byte, 64))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			return // crypto/ed25519 panics on other key sizes; callers check first
		}
		if got, want := verifyEd25519(pub, msg, sig), ed25519.Verify(pub, msg, sig); got != want {
			t.Fatalf("pub %x msg %x sig %x: voi %v, crypto/ed25519 %v", pub, msg, sig, got, want)
		}
	})
}
