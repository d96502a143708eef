package local

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

// TestPlainSizes puts plain blobs whose ends fall around the buffer and
// O_DIRECT block boundaries (the header takes the first headerSize bytes
// of the first buffer) and reads them back.
func TestPlainSizes(t *testing.T) {
	l := open(t, false, false)
	first := directBufSize - headerSize
	for _, n := range []int{0, 1, directAlign - headerSize - 1, directAlign - headerSize, directAlign - headerSize + 1,
		first - 1, first, first + 1, first + directAlign, 3*directBufSize + 12345} {
		data := castest.Data(uint64(n), n)
		info, err := l.Put(t.Context(), bytes.NewReader(data), cas.DigestOf(data))
		if err != nil {
			t.Fatalf("Put %d bytes: %v", n, err)
		}
		if want := castest.Expect(data); info.Digest != want.Digest || info.BLAKE3 != want.BLAKE3 || info.Size != int64(n) || info.StoredSize != int64(n+headerSize) {
			t.Fatalf("Put %d bytes = %+v, want %+v stored in %d bytes", n, info, want, n+headerSize)
		}
		rc, err := l.Get(t.Context(), info.Digest, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get of %d bytes: %d bytes, %v", n, len(got), err)
		}
		if err := l.Verify(t.Context(), info.Digest, true); err != nil {
			t.Fatalf("Verify %d bytes: %v", n, err)
		}
	}
}

// TestDirectWriterFallback writes blocks O_DIRECT refuses (an unaligned
// buffer) and an unaligned end: both must land through the page cache.
func TestDirectWriterFallback(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "blob"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := newDirectWriter(f)
	t.Logf("O_DIRECT supported here: %v", w.direct)
	aligned := alignedBuffer(3 * directAlign)
	data := castest.Data(9, 5*directAlign+100)
	copy(aligned, data)
	unaligned := alignedBuffer(2*directAlign + 1)[1:]
	copy(unaligned, data[3*directAlign:])
	for _, p := range [][]byte{aligned, unaligned, data[5*directAlign:]} {
		if err := w.write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.buffered(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("head"), 1); err != nil {
		t.Fatalf("unaligned write after buffered(): %v", err)
	}
	got, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	copy(data[1:], "head")
	if !bytes.Equal(got, data) {
		t.Fatalf("file holds %d bytes, not the %d written", len(got), len(data))
	}
}
