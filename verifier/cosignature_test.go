package verifier_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/verifier"
)

// witnessKey is a cosignature/v1 signer made with torchwood (the code
// litewitness signs with), independent of ours.
func witnessKey(t *testing.T, name string) (*torchwood.CosignatureSigner, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Verifier().String()
}

// TestOpenWitnessed checks quorums of cosignatures made by torchwood's
// signer: enough pass, too few, a forged one, an altered checkpoint and
// malformed keys fail with ErrWitness or ErrCheckpoint.
func TestOpenWitnessed(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "assay.test/log")
	if err != nil {
		t.Fatal(err)
	}
	logSigner, _ := note.NewSigner(skey)
	w1, k1 := witnessKey(t, "witness.test/one")
	w2, k2 := witnessKey(t, "witness.test/two")
	w3, k3 := witnessKey(t, "witness.test/three")
	text := verifier.Checkpoint{Origin: "assay.test/log", Size: 7, Root: make([]byte, 32)}.Text()
	sign := func(signers ...note.Signer) []byte {
		msg, err := note.Sign(&note.Note{Text: text}, append([]note.Signer{logSigner}, signers...)...)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	forge := func(msg []byte, name string) []byte {
		// Flip a bit of the Ed25519 part of name's cosignature.
		lines := strings.Split(string(msg), "\n")
		for i, l := range lines {
			if f := strings.Fields(l); len(f) == 3 && f[1] == name {
				sig, _ := base64.StdEncoding.DecodeString(f[2])
				sig[len(sig)-1] ^= 1
				lines[i] = f[0] + " " + f[1] + " " + base64.StdEncoding.EncodeToString(sig)
			}
		}
		return []byte(strings.Join(lines, "\n"))
	}
	all := verifier.Witnesses{Keys: []string{k1, k2, k3}, Quorum: 2}
	for _, tc := range []struct {
		name   string
		msg    []byte
		w      verifier.Witnesses
		errIs  error
		errHas string
	}{
		{"two of three", sign(w1, w3), all, nil, ""},
		{"three of three", sign(w1, w2, w3), all, nil, ""},
		{"all by default", sign(w1, w2, w3), verifier.Witnesses{Keys: []string{k1, k2, k3}}, nil, ""},
		{"none needed", sign(), verifier.Witnesses{}, nil, ""},
		{"one of two needed", sign(w2), all, verifier.ErrWitness, "1 valid cosignatures (witness.test/two) of the 2 required"},
		{"only the log", sign(), all, verifier.ErrWitness, "0 valid cosignatures"},
		{"forged", forge(sign(w1, w2), "witness.test/two"), all, verifier.ErrWitness, "the signature by witness.test/two does not verify"},
		{"unknown witness", sign(w1, w2), verifier.Witnesses{Keys: []string{k1, k3}, Quorum: 2}, verifier.ErrWitness, "1 valid"},
		{"altered", []byte(strings.Replace(string(sign(w1, w2)), "\n7\n", "\n8\n", 1)), all, verifier.ErrCheckpoint, ""},
		{"quorum above keys", sign(w1), verifier.Witnesses{Keys: []string{k1}, Quorum: 2}, verifier.ErrWitness, "quorum 2 of 1"},
		{"log key as witness", sign(w1), verifier.Witnesses{Keys: []string{vkey}}, verifier.ErrWitness, "not a cosignature/v1"},
		{"bad key hash", sign(w1), verifier.Witnesses{Keys: []string{"witness.test/one+00000000+" + strings.SplitN(k1, "+", 3)[2]}}, verifier.ErrWitness, "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := verifier.OpenWitnessed(tc.msg, vkey, "assay.test/log", tc.w)
			if tc.errIs == nil {
				if err != nil || c.Size != 7 {
					t.Fatalf("OpenWitnessed: %v (size %d)", err, c.Size)
				}
				return
			}
			if !errors.Is(err, tc.errIs) || !strings.Contains(fmt.Sprint(err), tc.errHas) {
				t.Fatalf("OpenWitnessed: %v, want %v containing %q", err, tc.errIs, tc.errHas)
			}
		})
	}
}

// TestCosignatureVerifierMatchesTorchwood: our parser gives the name and
// key hash torchwood's verifier has, and verifies what it signed.
func TestCosignatureVerifierMatchesTorchwood(t *testing.T) {
	s, vkey := witnessKey(t, "witness.test/one")
	v, err := verifier.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name() != s.Name() || v.KeyHash() != s.KeyHash() {
		t.Fatalf("parsed %s %08x, torchwood %s %08x", v.Name(), v.KeyHash(), s.Name(), s.KeyHash())
	}
	text := verifier.Checkpoint{Origin: "o", Size: 1, Root: make([]byte, 32)}.Text()
	sig, err := s.Sign([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if !v.Verify([]byte(text), sig) || v.Verify([]byte(text+"x\n"), sig) || v.Verify([]byte("not a checkpoint"), sig) {
		t.Fatal("verification disagrees with torchwood's signature")
	}
}

// FuzzCosignatureVerifier: a key NewCosignatureVerifier accepts has a
// non-empty name without spaces and the key hash of its name and key, and
// its verifier refuses a signature of the wrong length.
func FuzzCosignatureVerifier(f *testing.F) {
	_, vkey := witnessKeyForFuzz()
	f.Add(vkey)
	f.Add("name+00000000+BA==")
	f.Fuzz(func(t *testing.T, k string) {
		v, err := verifier.NewCosignatureVerifier(k)
		if err != nil {
			return
		}
		name, _, _ := strings.Cut(k, "+")
		if v.Name() != name || name == "" || strings.ContainsAny(name, " \t\n") {
			t.Fatalf("%q: name %q", k, v.Name())
		}
		if fmt.Sprintf("%08x", v.KeyHash()) != strings.SplitN(k, "+", 3)[1] {
			t.Fatalf("%q: key hash %08x", k, v.KeyHash())
		}
		if v.Verify([]byte("o\n1\n"+strings.Repeat("A", 43)+"=\n"), make([]byte, 71)) {
			t.Fatalf("%q verified a signature of 71 bytes", k)
		}
	})
}

// witnessKeyForFuzz is a cosignature key for the fuzz corpus.
func witnessKeyForFuzz() (*torchwood.CosignatureSigner, string) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, _ := torchwood.NewCosignatureSigner("witness.test/fuzz", priv)
	return s, s.Verifier().String()
}
