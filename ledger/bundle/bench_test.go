package bundle

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// BenchmarkVerifyImport reports bundle verify and verify+import rates for
// small (about 60-byte) entries, beside SHA-256 over the same bundle bytes,
// measured in the same run.
func BenchmarkVerifyImport(b *testing.B) {
	k := newKeys(b, origin)
	src := openLog(b, k, origin)
	const n = 100_000
	grow(b, src, n)
	data := export(b, src, 0)
	opts := Options{Key: k.vkey}
	b.Run("sha256-of-bundle", func(b *testing.B) {
		for b.Loop() {
			sha256.Sum256(data)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			if _, err := Verify(bytes.NewReader(data), opts); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
	b.Run("verify+import", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			dst := openLog(b, newKeys(b, "m"), "m")
			b.StartTimer()
			if _, err := Import(b.Context(), opener(data), dst, opts, nil); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	})
}
