package local

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

var modes = []struct {
	name              string
	compress, encrypt bool
}{
	{"plain", false, false},
	{"zstd", true, false},
	{"aes-gcm", false, true},
	{"zstd+aes-gcm", true, true},
}

// TestEveryFlippedByteDetected flips each byte of a stored blob, header
// included, one at a time, and expects Verify to report corruption every
// time, in every mode.
func TestEveryFlippedByteDetected(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			l := open(t, m.compress, m.encrypt)
			data := bytes.Repeat(castest.Data(1, 150), 3) // some repetition for zstd
			d := put(t, l, data).Digest
			raw, err := os.ReadFile(l.path(d))
			if err != nil {
				t.Fatal(err)
			}
			for i := range raw {
				for _, x := range []byte{0x01, 0x80, 0xff} {
					flipped := bytes.Clone(raw)
					flipped[i] ^= x
					rewrite(t, l.path(d), flipped)
					if err := l.Verify(t.Context(), d, false); !errors.Is(err, cas.ErrCorrupt) {
						t.Fatalf("byte %d of %d xor %#x: Verify = %v, want ErrCorrupt", i, len(raw), x, err)
					}
				}
			}
			rewrite(t, l.path(d), raw)
			if err := l.Verify(t.Context(), d, true); err != nil {
				t.Fatalf("restored blob: Verify = %v", err)
			}
		})
	}
}

// rewrite replaces a read-only blob file's content.
func rewrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o400); err != nil {
		t.Fatal(err)
	}
}

// put stores b in l.
func put(t *testing.T, l *Local, b []byte) cas.Info {
	t.Helper()
	info, err := l.Put(t.Context(), bytes.NewReader(b), cas.Digest{})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	return info
}

func TestAtRest(t *testing.T) {
	marker := []byte("EVIDENCE-MARKER-")
	data := bytes.Repeat(marker, 64<<10) // 1 MiB, very compressible
	tests := []struct {
		name              string
		compress, encrypt bool
		hidden            bool // the plaintext must not appear in the file
		maxStored         int64
	}{
		{"plain", false, false, false, int64(len(data)) + headerSize},
		{"zstd shrinks", true, false, false, int64(len(data)) / 20},
		{"aes-gcm hides the plaintext", false, true, true, int64(len(data))*(chunkSize+tagSize)/chunkSize + headerSize},
		{"zstd+aes-gcm shrinks and hides", true, true, true, int64(len(data)) / 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := open(t, tc.compress, tc.encrypt)
			info := put(t, l, data)
			raw, err := os.ReadFile(l.path(info.Digest))
			if err != nil {
				t.Fatal(err)
			}
			if tc.hidden && bytes.Contains(raw, marker) {
				t.Errorf("encrypted file contains the plaintext")
			}
			if info.StoredSize != int64(len(raw)) || info.StoredSize > tc.maxStored {
				t.Errorf("StoredSize %d (file %d bytes), want at most %d", info.StoredSize, len(raw), tc.maxStored)
			}
			fi, err := os.Stat(l.path(info.Digest))
			if err != nil || fi.Mode().Perm() != 0o400 {
				t.Errorf("blob file mode %v, %v; want read-only 0400", fi.Mode(), err)
			}
		})
	}
}

func TestLayout(t *testing.T) {
	l := open(t, false, false)
	info := put(t, l, []byte("hello"))
	h := info.Digest.Hex()
	want := filepath.Join(l.root, "sha256", h[:2], h[2:4], h)
	if _, err := os.Stat(want); err != nil {
		t.Fatalf("blob not at %s: %v", want, err)
	}
	if left := files(t, filepath.Join(l.root, "tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %q", left)
	}
}

// TestReadsFollowEachHeader writes blobs under every mode into one root and
// reads them all back through a store configured for each mode.
func TestReadsFollowEachHeader(t *testing.T) {
	root, key := filepath.Join(t.TempDir(), "cas"), writeKey(t)
	stores := map[string]*Local{}
	for _, m := range modes {
		cfg := Config{Root: root, Compress: m.compress}
		if m.encrypt {
			cfg.KeyFile = key
		}
		l, err := Open(cfg)
		if err != nil {
			t.Fatal(err)
		}
		stores[m.name] = l
	}
	blobs := map[string][]byte{}
	for i, m := range modes {
		blobs[m.name] = castest.Data(uint64(i), 100_000)
		put(t, stores[m.name], blobs[m.name])
	}
	for reader, l := range stores {
		if l.key == nil {
			continue // cannot read the encrypted ones
		}
		for writer, data := range blobs {
			rc, err := l.Get(t.Context(), cas.DigestOf(data), 70_000, 100)
			if err != nil {
				t.Fatalf("%s store reading %s blob: %v", reader, writer, err)
			}
			got, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(got, data[70_000:70_100]) {
				t.Fatalf("%s store reading %s blob: %v or bytes differ", reader, writer, err)
			}
		}
	}
}

func TestKeys(t *testing.T) {
	data := castest.Data(9, 1000)
	writer := open(t, false, true)
	d := put(t, writer, data).Digest
	tests := []struct {
		name    string
		keyFile string
		wantErr error
		wantMsg string
	}{
		{"other key", writeKey(t), cas.ErrCorrupt, "key id"},
		{"no key", "", nil, "no key file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Open(Config{Root: writer.root, KeyFile: tc.keyFile})
			if err != nil {
				t.Fatal(err)
			}
			_, err = l.Get(t.Context(), d, 0, -1)
			if err == nil || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Get = %v, want an error mentioning %q", err, tc.wantMsg)
			}
		})
	}
}

func TestKeyFile(t *testing.T) {
	raw := bytes.Repeat([]byte{0xab}, keySize)
	hexKey := strings.Repeat("ab", keySize)
	tests := []struct {
		name    string
		content []byte
		ok      bool
	}{
		{"raw 32 bytes", raw, true},
		{"64 hex digits", []byte(hexKey), true},
		{"64 hex digits and newline", []byte(hexKey + "\n"), true},
		{"31 bytes", raw[:31], false},
		{"33 bytes", append(bytes.Clone(raw), 0), false},
		{"64 non-hex characters", []byte(strings.Repeat("zz", keySize)), false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "key")
			if err := os.WriteFile(p, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			k, err := loadKey(p)
			if (err == nil) != tc.ok {
				t.Fatalf("loadKey = %v, want ok %v", err, tc.ok)
			}
			if tc.ok && !bytes.Equal(k.master, raw) {
				t.Fatalf("key = %x, want %x", k.master, raw)
			}
		})
	}
	if _, err := Open(Config{Root: t.TempDir(), KeyFile: filepath.Join(t.TempDir(), "missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open with a missing key file = %v, want ErrNotExist", err)
	}
	if _, err := Open(Config{}); err == nil {
		t.Error("Open with no Root succeeded")
	}
}

// TestRangeDecryptsOnlyItsChunks damages the first chunk of an encrypted
// blob: a range in a later chunk still reads, the whole blob does not.
func TestRangeDecryptsOnlyItsChunks(t *testing.T) {
	l := open(t, false, true)
	data := castest.Data(10, 5*chunkSize)
	d := put(t, l, data).Digest
	raw, err := os.ReadFile(l.path(d))
	if err != nil {
		t.Fatal(err)
	}
	raw[headerSize+10] ^= 1
	rewrite(t, l.path(d), raw)

	rc, err := l.Get(t.Context(), d, 4*chunkSize+7, 100)
	if err != nil {
		t.Fatalf("Get in chunk 4: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data[4*chunkSize+7:4*chunkSize+107]) {
		t.Fatalf("Get in chunk 4: %v or bytes differ", err)
	}
	rc, err = l.Get(t.Context(), d, 0, -1)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("Get of the whole blob = %v, want ErrCorrupt", err)
	}
}
