package verifier

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"
)

// algCosignatureV1 is the signature type byte of C2SP tlog-cosignature
// (cosignature/v1) verifier keys.
const algCosignatureV1 = 4

// ErrWitness reports a witnessed checkpoint that lacks its quorum of valid
// cosignatures, or carries a forged one.
var ErrWitness = errors.New("witness cosignatures")

// cosigVerifier is a note.Verifier of cosignature/v1 signatures: Ed25519
// over "cosignature/v1\ntime T\n" and the checkpoint, the signature being
// the 8-byte big-endian T followed by the Ed25519 signature.
type cosigVerifier struct {
	name string
	hash uint32
	key  ed25519.PublicKey
}

func (v *cosigVerifier) Name() string    { return v.name }
func (v *cosigVerifier) KeyHash() uint32 { return v.hash }
func (v *cosigVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	if _, err := ParseCheckpoint(string(msg)); err != nil {
		return false // a witness cosigns checkpoints only
	}
	t := binary.BigEndian.Uint64(sig)
	m := "cosignature/v1\ntime " + strconv.FormatUint(t, 10) + "\n" + string(msg)
	return ed25519.Verify(v.key, []byte(m), sig[8:])
}

// NewCosignatureVerifier parses a witness's verifier key,
// name+hash+base64(0x04 || Ed25519 public key), as litewitness prints it,
// into a note.Verifier of its cosignatures.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash, b64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 || name == "" || strings.ContainsFunc(name, unicode.IsSpace) {
		return nil, fmt.Errorf("witness key %q: want name+hash+key", vkey)
	}
	h, err := strconv.ParseUint(hash, 16, 32)
	if err != nil || len(hash) != 8 {
		return nil, fmt.Errorf("witness key %q: hash is not 8 hex digits", vkey)
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("witness key %q: not a cosignature/v1 Ed25519 key (type 0x04)", vkey)
	}
	sum := sha256.Sum256(append([]byte(name+"\n"), key...))
	if uint32(h) != binary.BigEndian.Uint32(sum[:]) {
		return nil, fmt.Errorf("witness key %q: the hash does not match the key", vkey)
	}
	return &cosigVerifier{name: name, hash: uint32(h), key: ed25519.PublicKey(key[1:])}, nil
}

// Witnesses is what a reader requires of a checkpoint's cosignatures:
// valid cosignatures by at least Quorum of the witness keys.
type Witnesses struct {
	Keys   []string // witness verifier keys (NewCosignatureVerifier)
	Quorum int      // how many must cosign; all of Keys when zero
}

// OpenWitnessed is OpenCheckpoint that also demands w's quorum of
// cosignatures. A cosignature line that names a configured witness but
// does not verify is an error, not a missing one.
func OpenWitnessed(signed []byte, vkey, origin string, w Witnesses) (Checkpoint, error) {
	c, err := OpenCheckpoint(signed, vkey, origin)
	if err != nil || len(w.Keys) == 0 {
		return c, err
	}
	quorum := w.Quorum
	if quorum <= 0 {
		quorum = len(w.Keys)
	}
	if quorum > len(w.Keys) {
		return Checkpoint{}, fmt.Errorf("%w: quorum %d of %d witnesses", ErrWitness, quorum, len(w.Keys))
	}
	logV, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	vs := []note.Verifier{logV}
	names := map[string]bool{}
	for _, k := range w.Keys {
		v, err := NewCosignatureVerifier(k)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("%w: %w", ErrWitness, err)
		}
		vs = append(vs, v)
		names[v.Name()] = true
	}
	n, err := note.Open(signed, note.VerifierList(vs...))
	if err != nil {
		var bad *note.InvalidSignatureError
		if errors.As(err, &bad) {
			return Checkpoint{}, fmt.Errorf("%w: the signature by %s does not verify", ErrWitness, bad.Name)
		}
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrWitness, err)
	}
	var got []string
	for _, s := range n.Sigs {
		if names[s.Name] {
			got = append(got, s.Name)
			delete(names, s.Name) // one cosignature per witness counts
		}
	}
	if len(got) < quorum {
		return Checkpoint{}, fmt.Errorf("%w: %d valid cosignatures (%s) of the %d required, at size %d", ErrWitness,
			len(got), strings.Join(got, ", "), quorum, c.Size)
	}
	return c, nil
}
