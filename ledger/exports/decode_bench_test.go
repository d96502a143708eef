package exports

import (
	"testing"

	"github.com/assay-ledger/assay/verifier"
)

func BenchmarkDecode(b *testing.B) {
	for _, v := range loadVectors(b) {
		b.Run("Decode/"+v.Name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Decode(v.Submitted); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	body := []byte(loadVectors(b)[1].Submitted)
	b.Run("checkSyntax", func(b *testing.B) {
		for b.Loop() {
			_ = checkSyntax(body)
		}
	})
	b.Run("CanonicalizeJSON", func(b *testing.B) {
		for b.Loop() {
			_, _ = verifier.CanonicalizeJSON(body)
		}
	})
	members, _ := decodeObject(body)
	b.Run("fromMembers+Validate", func(b *testing.B) {
		for b.Loop() {
			s, _ := fromMembers(members)
			_ = s.Validate()
		}
	})
}
