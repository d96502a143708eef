package cas

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// digestPrefix is the only algorithm prefix Assay accepts.
const digestPrefix = "sha256:"

// Digest is the sha256 address of a blob. The zero value means "no digest"
// (for example, no expected digest in [Store.Put]); it is comparable and
// usable as a map key.
type Digest struct {
	sum [sha256.Size]byte
	set bool
}

// FromSHA256 returns the digest whose sha256 sum is sum.
func FromSHA256(sum [sha256.Size]byte) Digest { return Digest{sum: sum, set: true} }

// DigestOf returns the digest of b. It is meant for small in-memory values;
// stream large ones through [Store.Put] or [CopyHashed].
func DigestOf(b []byte) Digest { return FromSHA256(sha256.Sum256(b)) }

// ParseDigest parses the canonical form "sha256:" followed by exactly 64
// lowercase hex digits. Anything else (upper case, other algorithms,
// whitespace, wrong length) is refused with an error wrapping
// [ErrInvalidDigest], so each blob has exactly one spelling.
func ParseDigest(s string) (Digest, error) {
	if len(s) != len(digestPrefix)+2*sha256.Size || !strings.HasPrefix(s, digestPrefix) {
		return Digest{}, invalidDigest(s)
	}
	h := s[len(digestPrefix):]
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return Digest{}, invalidDigest(s)
		}
	}
	var d Digest
	if _, err := hex.Decode(d.sum[:], []byte(h)); err != nil {
		return Digest{}, invalidDigest(s)
	}
	d.set = true
	return d, nil
}

// invalidDigest builds the error for a refused digest string, quoting at
// most 80 bytes of it so that hostile input cannot flood logs.
func invalidDigest(s string) error {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Errorf("%w: %q: want %q followed by 64 lowercase hex digits", ErrInvalidDigest, s, digestPrefix)
}

// IsZero reports whether d is the zero value (no digest).
func (d Digest) IsZero() bool { return !d.set }

// Sum returns the raw sha256 sum.
func (d Digest) Sum() [sha256.Size]byte { return d.sum }

// Hex returns the 64 lowercase hex digits, or "" for the zero value.
func (d Digest) Hex() string {
	if !d.set {
		return ""
	}
	return hex.EncodeToString(d.sum[:])
}

// String returns the canonical form "sha256:<hex>", or "" for the zero value.
func (d Digest) String() string {
	if !d.set {
		return ""
	}
	return digestPrefix + d.Hex()
}

// MarshalText encodes d in its canonical form; the zero value encodes as "".
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the canonical form; "" decodes to the zero value.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Digest{}
		return nil
	}
	p, err := ParseDigest(string(b))
	if err != nil {
		return err
	}
	*d = p
	return nil
}
