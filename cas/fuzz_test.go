package cas_test

import (
	"errors"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

// FuzzParseDigest checks that ParseDigest never panics, accepts only the
// canonical form, and that what it accepts prints back unchanged.
func FuzzParseDigest(f *testing.F) {
	f.Add("sha256:" + emptySHA256)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := cas.ParseDigest(s)
		if err != nil {
			if !errors.Is(err, cas.ErrInvalidDigest) || !d.IsZero() {
				t.Fatalf("ParseDigest(%q) = %v, %v", s, d, err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDigest(%q).String() = %q", s, d.String())
		}
		again, err := cas.ParseDigest(d.String())
		if err != nil || again != d {
			t.Fatalf("reparse of %q = %v, %v", s, again, err)
		}
		text, _ := d.MarshalText()
		var back cas.Digest
		if err := back.UnmarshalText(text); err != nil || back != d {
			t.Fatalf("text round trip of %q = %v, %v", s, back, err)
		}
	})
}
