package castest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

// put stores b and fails the test on error.
func put(t *testing.T, s cas.Store, b []byte, expected cas.Digest) cas.Info {
	t.Helper()
	info, err := s.Put(t.Context(), bytes.NewReader(b), expected)
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(b), err)
	}
	return info
}

// get reads a range and fails the test on error.
func get(t *testing.T, s cas.Store, d cas.Digest, offset, length int64) []byte {
	t.Helper()
	rc, err := s.Get(t.Context(), d, offset, length)
	if err != nil {
		t.Fatalf("Get(%s, %d, %d): %v", d, offset, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading Get(%s, %d, %d): %v", d, offset, length, err)
	}
	return b
}

// sameBlob compares the fields every backend must agree on.
func sameBlob(t *testing.T, what string, got, want cas.Info) {
	t.Helper()
	if got.Digest != want.Digest || got.Size != want.Size || got.BLAKE3 != want.BLAKE3 {
		t.Fatalf("%s = {%s %d %s}, want {%s %d %s}", what, got.Digest, got.Size, got.BLAKE3, want.Digest, want.Size, want.BLAKE3)
	}
}

func testRoundTrip(t *testing.T, b Backend) {
	tests := []struct {
		name         string
		size         int
		withExpected bool
	}{
		{"empty", 0, false},
		{"one byte", 1, true},
		{"small", 1000, false},
		{"chunk-1", 64<<10 - 1, true},
		{"chunk", 64 << 10, false},
		{"chunk+1", 64<<10 + 1, true},
		{"several chunks", 3<<16 + 17, false},
		{"beyond one part", 11<<20 + 5, false},
		{"beyond one part expected", 13<<20 + 1, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := Data(uint64(100+i), tc.size)
			want := Expect(data)
			var expected cas.Digest
			if tc.withExpected {
				expected = want.Digest
			}
			info := put(t, b.Store, data, expected)
			sameBlob(t, "Put", info, want)
			if info.Existed {
				t.Errorf("first Put reports Existed")
			}
			head, err := b.Store.Head(t.Context(), want.Digest)
			if err != nil {
				t.Fatalf("Head: %v", err)
			}
			sameBlob(t, "Head", head, want)
			if head.StoredSize != info.StoredSize {
				t.Errorf("Head StoredSize %d, Put said %d", head.StoredSize, info.StoredSize)
			}
			if got := get(t, b.Store, want.Digest, 0, -1); !bytes.Equal(got, data) {
				t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(data))
			}
			if err := b.Store.Verify(t.Context(), want.Digest, true); err != nil {
				t.Fatalf("Verify(full): %v", err)
			}
		})
	}
}

func testDedup(t *testing.T, b Backend) {
	data := Data(1, 200_000)
	first := put(t, b.Store, data, cas.Digest{})
	before := objects(t, b)
	tests := []struct {
		name     string
		expected cas.Digest
	}{
		{"without expected digest", cas.Digest{}},
		{"with expected digest", first.Digest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			again := put(t, b.Store, data, tc.expected)
			if !again.Existed {
				t.Errorf("second Put does not report Existed")
			}
			sameBlob(t, "second Put", again, first)
			if again.StoredSize != first.StoredSize {
				t.Errorf("second Put StoredSize %d, first %d", again.StoredSize, first.StoredSize)
			}
			assertObjects(t, b, before, "after a second Put of the same bytes")
		})
	}
	t.Run("other bytes under an existing digest", func(t *testing.T) {
		_, err := b.Store.Put(t.Context(), bytes.NewReader(Data(2, 1000)), first.Digest)
		if !errors.Is(err, cas.ErrDigestMismatch) {
			t.Fatalf("Put = %v, want ErrDigestMismatch", err)
		}
		assertObjects(t, b, before, "after a mismatched Put")
		if got := get(t, b.Store, first.Digest, 0, -1); !bytes.Equal(got, data) {
			t.Fatal("stored blob changed")
		}
	})
}

func testMismatch(t *testing.T, b Backend) {
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"small", 1000},
		{"beyond one part", 11 << 20},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := Data(uint64(200+i), tc.size)
			got, expected := Expect(data).Digest, cas.DigestOf([]byte("something else"))
			_, err := b.Store.Put(t.Context(), bytes.NewReader(data), expected)
			var mm *cas.MismatchError
			if !errors.Is(err, cas.ErrDigestMismatch) || !errors.As(err, &mm) {
				t.Fatalf("Put = %v, want a *MismatchError", err)
			}
			if mm.Expected != expected || mm.Got != got || mm.Size != int64(tc.size) {
				t.Errorf("MismatchError = %+v, want expected %s, got %s, size %d", mm, expected, got, tc.size)
			}
			if msg := err.Error(); !strings.Contains(msg, expected.String()) || !strings.Contains(msg, got.String()) {
				t.Errorf("error %q does not name both digests", msg)
			}
			assertObjects(t, b, nil, "after a mismatched Put")
			for _, d := range []cas.Digest{got, expected} {
				if _, err := b.Store.Head(t.Context(), d); !errors.Is(err, cas.ErrNotFound) {
					t.Errorf("Head(%s) = %v, want ErrNotFound", d, err)
				}
			}
		})
	}
}

func testRange(t *testing.T, b Backend) {
	data := Data(3, 200_003) // several 64 KiB chunks and a partial one
	d := put(t, b.Store, data, cas.Digest{}).Digest
	size := int64(len(data))
	tests := []struct {
		name           string
		offset, length int64
		wantErr        error
	}{
		{"whole", 0, -1, nil},
		{"start", 0, 10, nil},
		{"middle across a chunk boundary", 65530, 20, nil},
		{"middle long", 70_000, 100_000, nil},
		{"end", size - 10, 10, nil},
		{"to end", size - 10, -1, nil},
		{"from chunk boundary to end", 3 << 16, -1, nil},
		{"zero length at start", 0, 0, nil},
		{"zero length in middle", 1000, 0, nil},
		{"zero length at end", size, 0, nil},
		{"at end to end", size, -1, nil},
		{"offset beyond end", size + 1, -1, cas.ErrInvalidRange},
		{"zero length beyond end", size + 1, 0, cas.ErrInvalidRange},
		{"length beyond end", size - 5, 10, cas.ErrInvalidRange},
		{"negative offset", -1, 5, cas.ErrInvalidRange},
		{"negative length", 0, -2, cas.ErrInvalidRange},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.wantErr != nil {
				rc, err := b.Store.Get(t.Context(), d, tc.offset, tc.length)
				if err == nil {
					rc.Close()
				}
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Get(%d, %d) = %v, want %v", tc.offset, tc.length, err, tc.wantErr)
				}
				return
			}
			end := size
			if tc.length >= 0 {
				end = tc.offset + tc.length
			}
			if got := get(t, b.Store, d, tc.offset, tc.length); !bytes.Equal(got, data[tc.offset:end]) {
				t.Fatalf("Get(%d, %d) returned %d bytes, want bytes [%d, %d)", tc.offset, tc.length, len(got), tc.offset, end)
			}
		})
	}
}

func testNotFound(t *testing.T, b Backend) {
	data := Data(4, 5000)
	d := Expect(data).Digest
	ops := map[string]func() error{
		"Head":   func() error { _, err := b.Store.Head(t.Context(), d); return err },
		"Get":    func() error { _, err := b.Store.Get(t.Context(), d, 0, -1); return err },
		"Range":  func() error { _, err := b.Store.Get(t.Context(), d, 10, 0); return err },
		"Delete": func() error { return b.Store.Delete(t.Context(), d) },
		"Verify": func() error { return b.Store.Verify(t.Context(), d, false) },
	}
	assertAll := func(when string) {
		t.Helper()
		for name, op := range ops {
			if err := op(); !errors.Is(err, cas.ErrNotFound) {
				t.Errorf("%s %s = %v, want ErrNotFound", when, name, err)
			}
		}
	}
	assertAll("before Put:")
	put(t, b.Store, data, cas.Digest{})
	if err := b.Store.Delete(t.Context(), d); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	assertAll("after Delete:")
	assertObjects(t, b, nil, "after Delete")
	if info := put(t, b.Store, data, d); info.Existed {
		t.Errorf("Put after Delete reports Existed")
	}
	if got := get(t, b.Store, d, 0, -1); !bytes.Equal(got, data) {
		t.Fatal("Put after Delete: bytes differ")
	}
}

func testInvalidDigest(t *testing.T, b Backend) {
	var zero cas.Digest
	ops := map[string]func() error{
		"Head":   func() error { _, err := b.Store.Head(t.Context(), zero); return err },
		"Get":    func() error { _, err := b.Store.Get(t.Context(), zero, 0, -1); return err },
		"Delete": func() error { return b.Store.Delete(t.Context(), zero) },
		"Verify": func() error { return b.Store.Verify(t.Context(), zero, true) },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, cas.ErrInvalidDigest) {
			t.Errorf("%s(zero digest) = %v, want ErrInvalidDigest", name, err)
		}
	}
}

func testHealth(t *testing.T, b Backend) {
	if err := b.Store.Health(t.Context()); err != nil {
		t.Fatalf("Health: %v", err)
	}
}
