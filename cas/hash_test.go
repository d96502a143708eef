package cas_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

func TestCopyHashed(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		bufSize int
	}{
		{"empty", 0, 16},
		{"smaller than the buffer", 10, 16},
		{"exactly the buffer", 16, 16},
		{"many buffers", 1 << 20, 4096},
		{"uneven", 1<<20 + 7, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := castest.Data(uint64(tc.size), tc.size)
			var dst bytes.Buffer
			got, err := cas.CopyHashed(t.Context(), &dst, iotest.HalfReader(bytes.NewReader(data)), make([]byte, tc.bufSize))
			if err != nil {
				t.Fatal(err)
			}
			want := castest.Expect(data)
			if got != want || !bytes.Equal(dst.Bytes(), data) {
				t.Fatalf("CopyHashed = %+v, want %+v (copied %d bytes)", got, want, dst.Len())
			}
			h := cas.NewHasher()
			h.Write(data)
			if h.Info() != want {
				t.Fatalf("Hasher = %+v, want %+v", h.Info(), want)
			}
		})
	}
}

func TestCopyHashedErrors(t *testing.T) {
	errRead, errWrite := errors.New("read failed"), errors.New("write failed")
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		src     io.Reader
		dst     io.Writer
		wantErr error
		wantMsg string
	}{
		{"read error", t.Context(), iotest.ErrReader(errRead), io.Discard, errRead, "reading blob"},
		{"write error", t.Context(), strings.NewReader("data"), failWriter{errWrite}, errWrite, "writing blob"},
		{"canceled", canceled, strings.NewReader("data"), io.Discard, context.Canceled, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cas.CopyHashed(tc.ctx, tc.dst, tc.src, make([]byte, 8))
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("CopyHashed = %v, want %v mentioning %q", err, tc.wantErr, tc.wantMsg)
			}
		})
	}
	if _, err := cas.CopyHashed(t.Context(), io.Discard, strings.NewReader("x"), nil); err == nil {
		t.Fatal("CopyHashed with no buffer succeeded")
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestCheckExpected(t *testing.T) {
	got := castest.Expect([]byte("abc"))
	other := cas.DigestOf([]byte("xyz"))
	if err := cas.CheckExpected(cas.Digest{}, got); err != nil {
		t.Errorf("no expected digest: %v", err)
	}
	if err := cas.CheckExpected(got.Digest, got); err != nil {
		t.Errorf("matching digest: %v", err)
	}
	err := cas.CheckExpected(other, got)
	var mm *cas.MismatchError
	if !errors.Is(err, cas.ErrDigestMismatch) || !errors.As(err, &mm) || mm.Expected != other || mm.Got != got.Digest || mm.Size != 3 {
		t.Fatalf("mismatch = %#v", err)
	}
	want := "digest mismatch: expected " + other.String() + ", got " + got.Digest.String() + " (3 bytes)"
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
}

func TestStreamHashed(t *testing.T) {
	tests := []struct {
		name          string
		size          int
		bufs, bufSize int
		skip          int
	}{
		{"empty", 0, 2, 16, 0},
		{"empty with room", 0, 2, 16, 5},
		{"within the first buffer", 10, 3, 16, 5},
		{"fills the first buffer", 11, 3, 16, 5},
		{"one past the first buffer", 12, 3, 16, 5},
		{"many buffers", 1 << 20, 4, 4096, 128},
		{"one buffer", 1<<16 + 3, 1, 1000, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := castest.Data(uint64(tc.size), tc.size)
			bufs := make([][]byte, tc.bufs)
			for i := range bufs {
				bufs[i] = make([]byte, tc.bufSize)
			}
			for i := range tc.skip {
				bufs[0][i] = 0xee
			}
			var out bytes.Buffer
			writes := 0
			got, err := cas.StreamHashed(t.Context(), iotest.HalfReader(bytes.NewReader(data)), bufs, tc.skip, func(p []byte) error {
				if writes > 0 && out.Len() != writes*tc.bufSize {
					t.Errorf("write %d after a short block", writes)
				}
				writes++
				out.Write(p)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := castest.Expect(data); got != want {
				t.Fatalf("StreamHashed = %+v, want %+v", got, want)
			}
			want := append(bytes.Repeat([]byte{0xee}, tc.skip), data...)
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("wrote %d bytes, want the %d bytes of room and data", out.Len(), len(want))
			}
		})
	}
}

func TestStreamHashedWriteError(t *testing.T) {
	errWrite := errors.New("disk full")
	bufs := [][]byte{make([]byte, 64), make([]byte, 64)}
	writes := 0
	_, err := cas.StreamHashed(t.Context(), castest.NewReader(1, 1<<20), bufs, 0, func([]byte) error {
		writes++
		if writes == 3 {
			return errWrite
		}
		return nil
	})
	if !errors.Is(err, errWrite) || !strings.Contains(err.Error(), "writing blob") {
		t.Fatalf("StreamHashed = %v, want %v mentioning writing blob", err, errWrite)
	}
	if writes != 3 {
		t.Fatalf("%d writes, want the copy to stop at the failed third", writes)
	}
	if _, err := cas.StreamHashed(t.Context(), strings.NewReader("x"), [][]byte{make([]byte, 4)}, 4, nil); err == nil {
		t.Fatal("StreamHashed with no room after skip succeeded")
	}
}
