package catalog

import (
	"fmt"
	"regexp"
	"unicode"
)

// Landing is the catalog metadata an object may carry when it lands in
// zone raw, by key or as a package file: where it comes from (Source, such
// as a repository or a pipeline), the Commit it was built from, the digest
// its producer expected (enforced at upload: bytes that hash otherwise are
// refused and nothing is stored or logged), the verification Tier it is
// meant to pass at promotion, and Custody, references to the
// chain-of-custody records that vouch for it (URIs, ticket ids, ledger
// indexes of other logs). It is recorded in the object.put or file.added
// entry and kept in the object's projection; the promotion gate never
// trusts it for the bytes (it re-hashes them) but shows it in an object's
// status.
type Landing struct {
	Source         string   `json:"source,omitempty"`
	Commit         string   `json:"commit,omitempty"`
	ExpectedDigest string   `json:"expected_digest,omitempty"`
	Tier           string   `json:"tier,omitempty"`
	Custody        []string `json:"custody,omitempty"`
}

// Bounds of landing metadata.
const (
	maxCustody    = 16  // chain-of-custody references per object
	maxCustodyRef = 512 // bytes per reference
)

var (
	// commitPattern is a git commit id: abbreviated SHA-1 to full SHA-256.
	commitPattern = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
	// tierPattern is the form of a tier name (basic, signed, masked, ...).
	tierPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
)

// IsZero reports whether l carries nothing.
func (l *Landing) IsZero() bool {
	return l == nil || l.Source == "" && l.Commit == "" && l.ExpectedDigest == "" && l.Tier == "" && len(l.Custody) == 0
}

// CheckLanding validates l's fields (ErrInvalidField). The expected
// digest is only checked for form here; the store enforces it on the bytes
// and the Appliers against the entry's digest.
func CheckLanding(l *Landing) error {
	if l == nil {
		return nil
	}
	if err := checkField("source", l.Source, false); err != nil {
		return err
	}
	switch {
	case l.Commit != "" && !commitPattern.MatchString(l.Commit):
		return fmt.Errorf("%w: commit %q: want 7 to 64 lower-case hex digits", ErrInvalidField, shorten(l.Commit))
	case l.Tier != "" && !tierPattern.MatchString(l.Tier):
		return fmt.Errorf("%w: tier %q: want a name such as basic or signed", ErrInvalidField, shorten(l.Tier))
	case l.ExpectedDigest != "" && !digestPattern.MatchString(l.ExpectedDigest):
		return fmt.Errorf("%w: expected digest %q: want sha256:<64 hex digits>", ErrInvalidField, shorten(l.ExpectedDigest))
	case len(l.Custody) > maxCustody:
		return fmt.Errorf("%w: %d custody references, limit %d", ErrInvalidField, len(l.Custody), maxCustody)
	}
	for _, c := range l.Custody {
		if c == "" || len(c) > maxCustodyRef {
			return fmt.Errorf("%w: custody reference of %d bytes: want 1 to %d", ErrInvalidField, len(c), maxCustodyRef)
		}
		for _, r := range c {
			if unicode.IsControl(r) || r == unicode.ReplacementChar {
				return fmt.Errorf("%w: custody reference %q has a control or invalid character", ErrInvalidField, shorten(c))
			}
		}
	}
	return nil
}

// landingOf returns l when it carries something, nil otherwise, so that an
// entry without landing metadata stays byte for byte what it was before
// landing metadata existed.
func landingOf(l Landing) *Landing {
	if l.IsZero() {
		return nil
	}
	return &l
}

// checkLandingOf is the Appliers' check of an entry's landing metadata
// against the reference it lands: well formed, and an expected digest
// equal to the digest stored.
func checkLandingOf(l *Landing, ref ObjectRef) error {
	if err := CheckLanding(l); err != nil {
		return fmt.Errorf("%w: landing: %w", ErrInvalidBody, err)
	}
	if l != nil && l.ExpectedDigest != "" && l.ExpectedDigest != ref.Digest {
		return fmt.Errorf("%w: landing expected digest %s, object digest %s", ErrInvalidBody, l.ExpectedDigest, ref.Digest)
	}
	return nil
}
