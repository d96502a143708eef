package bundle

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to the bundle reader: it must refuse
// them with ErrInvalid (or accept a real bundle), never panic or hang.
func FuzzVerify(f *testing.F) {
	k := newKeys(f, origin)
	src := openLog(f, k, origin)
	grow(f, src, 20)
	good := export(f, src, 0)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("not a bundle"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := Verify(bytes.NewReader(b), Options{Key: k.vkey, MaxBytes: 8 << 20})
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v is not ErrInvalid", err)
		}
	})
}
