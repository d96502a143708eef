package httpapi

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/assay-ledger/assay/cas/castest"
)

func TestReadAhead(t *testing.T) {
	data := castest.Data(3, 3*readAheadSize+123)
	boom := errors.New("connection reset")
	tests := []struct {
		name    string
		src     io.Reader
		want    []byte
		wantErr error
	}{
		{"empty", bytes.NewReader(nil), nil, nil},
		{"several buffers", bytes.NewReader(data), data, nil},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data[:5000])), data[:5000], nil},
		{"error after bytes", io.MultiReader(bytes.NewReader(data[:readAheadSize+7]), iotest.ErrReader(boom)), data[:readAheadSize+7], boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra := newReadAhead(tt.src)
			defer ra.Close()
			got, err := io.ReadAll(iotest.HalfReader(ra))
			if !errors.Is(err, tt.wantErr) || !bytes.Equal(got, tt.want) {
				t.Fatalf("read %d bytes, %v; want %d bytes, %v", len(got), err, len(tt.want), tt.wantErr)
			}
		})
	}
}

// TestReadAheadClose stops a read-ahead of an endless source that nobody
// reads: Close must return, with the goroutine gone.
func TestReadAheadClose(t *testing.T) {
	ra := newReadAhead(castest.NewReader(1, 1<<62))
	buf := make([]byte, 10)
	if _, err := io.ReadFull(ra, buf); err != nil {
		t.Fatal(err)
	}
	ra.Close()
}
