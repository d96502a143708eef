package cas_test

import (
	"bytes"
	"errors"
	"math"
	"testing"
	"testing/iotest"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

func TestCheckRange(t *testing.T) {
	tests := []struct {
		name                 string
		offset, length, size int64
		want                 int64
		ok                   bool
	}{
		{"whole", 0, -1, 100, 100, true},
		{"prefix", 0, 10, 100, 10, true},
		{"suffix", 90, -1, 100, 10, true},
		{"exact end", 90, 10, 100, 10, true},
		{"empty at end", 100, -1, 100, 0, true},
		{"zero length", 50, 0, 100, 0, true},
		{"empty blob", 0, -1, 0, 0, true},
		{"offset past end", 101, -1, 100, 0, false},
		{"length past end", 95, 10, 100, 0, false},
		{"negative offset", -1, 1, 100, 0, false},
		{"length below -1", 0, -5, 100, 0, false},
		{"overflowing length", 10, math.MaxInt64, 100, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := cas.CheckRange(tc.offset, tc.length, tc.size)
			if tc.ok != (err == nil) || n != tc.want {
				t.Fatalf("CheckRange(%d, %d, %d) = %d, %v; want %d, ok %v", tc.offset, tc.length, tc.size, n, err, tc.want, tc.ok)
			}
			if err != nil && !errors.Is(err, cas.ErrInvalidRange) {
				t.Fatalf("error %v does not wrap ErrInvalidRange", err)
			}
		})
	}
}

func TestVerifyStream(t *testing.T) {
	data := castest.Data(1, 5000)
	rec := castest.Expect(data)
	flipped := bytes.Clone(data)
	flipped[4000] ^= 1
	errIO := errors.New("disk says no")
	tests := []struct {
		name     string
		stream   []byte
		recorded cas.Info
		full     bool
		wantErr  error
	}{
		{"intact", data, rec, false, nil},
		{"intact, full", data, rec, true, nil},
		{"flipped byte", flipped, rec, false, cas.ErrCorrupt},
		{"truncated", data[:4999], rec, false, cas.ErrCorrupt},
		{"recorded BLAKE3 damaged", data, cas.Info{Size: rec.Size, BLAKE3: "00" + rec.BLAKE3[2:]}, false, cas.ErrCorrupt},
		{"recorded BLAKE3 missing", data, cas.Info{Size: rec.Size}, false, cas.ErrCorrupt},
		{"other address, full", castest.Data(2, 5000), castest.Expect(castest.Data(2, 5000)), true, cas.ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cas.VerifyStream(t.Context(), bytes.NewReader(tc.stream), rec.Digest, tc.recorded, tc.full)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("VerifyStream = %v, want %v", err, tc.wantErr)
			}
		})
	}
	err := cas.VerifyStream(t.Context(), iotest.ErrReader(errIO), rec.Digest, rec, false)
	if !errors.Is(err, errIO) || errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("read error = %v, want it passed through, not called corruption", err)
	}
}
