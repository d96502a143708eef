package ledger

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

func randomKey(t *testing.T, n int) []byte {
	t.Helper()
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// appendSecret appends an entry carrying a fresh random marker and returns
// the marker after checking that the entry reads back with it.
func appendSecret(t *testing.T, l *Log) []byte {
	t.Helper()
	marker := []byte("confidential-" + hex.EncodeToString(randomKey(t, 16)))
	body, _ := json.Marshal(map[string]string{"note": string(marker)})
	a, err := l.Append(t.Context(), Entry{Type: "test.secret", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Entry(a.Record.Index)
	if err != nil || !bytes.Contains(got, marker) {
		t.Fatalf("entry %d reads back as %q, %v: want it to hold %s", a.Record.Index, got, err, marker)
	}
	return marker
}

// filesHolding returns the files under dir whose bytes contain needle.
func filesHolding(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		found, err := fileHolds(p, needle)
		if found {
			hits = append(hits, filepath.Base(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// Whence values of lseek(2) that skip the holes of sparse files (Badger's
// open value log and memtable files are GiB-sized and mostly holes).
const (
	seekData = 3
	seekHole = 4
)

// fileHolds searches the file at p for needle, reading only its data
// segments where the filesystem reports them, else the whole file.
func fileHolds(p string, needle []byte) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	size := fi.Size()
	for off := int64(0); off < size; {
		start, err := f.Seek(off, seekData)
		if err != nil {
			if off == 0 && !errors.Is(err, syscall.ENXIO) {
				start = 0 // no SEEK_DATA here: read it all
			} else {
				return false, nil // ENXIO: no data after off
			}
		}
		end, err := f.Seek(start, seekHole)
		if err != nil {
			end = size
		}
		// Segments are block-aligned; reading from a little before start
		// keeps a needle that straddles a hole boundary whole.
		from := max(0, start-int64(len(needle)))
		b := make([]byte, end-from)
		if _, err := f.ReadAt(b, from); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		if bytes.Contains(b, needle) {
			return true, nil
		}
		off = end
	}
	return false, nil
}

// TestEncryptedLedgerAtRest writes an entry with a known plaintext to a
// ledger opened with a key and checks that it reads back, before and after
// reopening with the key, and that no file of the ledger holds the
// plaintext, while the same entry in a plaintext ledger is found on disk.
func TestEncryptedLedgerAtRest(t *testing.T) {
	for _, size := range []int{16, 24, 32} {
		t.Run(EncryptionName(make([]byte, size)), func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(t, dir)
			cfg.EncryptionKey = randomKey(t, size)
			l, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			marker := appendSecret(t, l)
			if hits := filesHolding(t, dir, marker); len(hits) > 0 {
				t.Fatalf("open encrypted ledger: %v hold the entry's plaintext", hits)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if hits := filesHolding(t, dir, marker); len(hits) > 0 {
				t.Fatalf("closed encrypted ledger: %v hold the entry's plaintext", hits)
			}
			l, err = Open(cfg)
			if err != nil {
				t.Fatalf("reopen with the key: %v", err)
			}
			defer l.Close()
			if got, err := l.Entry(0); err != nil || !bytes.Contains(got, marker) {
				t.Fatalf("after reopening, entry 1 = %q, %v", got, err)
			}
		})
	}
	t.Run("plaintext control", func(t *testing.T) {
		dir := t.TempDir()
		l, err := Open(testConfig(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		marker := appendSecret(t, l)
		if hits := filesHolding(t, dir, marker); len(hits) == 0 {
			t.Fatal("no file of an open plaintext ledger holds the entry: the search above proves nothing")
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if hits := filesHolding(t, dir, marker); len(hits) == 0 {
			t.Fatal("no file of a closed plaintext ledger holds the entry: the search above proves nothing")
		}
	})
}

// TestEncryptedLedgerRefusesOtherKeys checks that an encrypted ledger does
// not open without its key or with another one, that a plaintext ledger
// does not open with a key, that each error says which case it is, and
// that the right key still opens the ledger afterwards.
func TestEncryptedLedgerRefusesOtherKeys(t *testing.T) {
	encrypted, plain := t.TempDir(), t.TempDir()
	key := randomKey(t, 32)
	cfg := testConfig(t, encrypted)
	cfg.EncryptionKey = key
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	marker := appendSecret(t, l)
	l.Close()
	l, err = Open(testConfig(t, plain))
	if err != nil {
		t.Fatal(err)
	}
	l.Close()

	for _, tc := range []struct {
		name string
		dir  string
		key  []byte
		want string
	}{
		{"no key", encrypted, nil, "is encrypted; open it with its key"},
		{"wrong key", encrypted, randomKey(t, 32), "encrypted with another key"},
		{"wrong key size class", encrypted, randomKey(t, 16), "encrypted with another key"},
		{"key for a plaintext ledger", plain, randomKey(t, 32), "is not encrypted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(t, tc.dir)
			c.EncryptionKey = tc.key
			l, err := Open(c)
			if err == nil {
				l.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, ErrEncryptionKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want ErrEncryptionKey saying %q", err, tc.want)
			}
		})
	}
	l, err = Open(cfg)
	if err != nil {
		t.Fatalf("the right key after refusals: %v", err)
	}
	defer l.Close()
	if got, err := l.Entry(0); err != nil || !bytes.Contains(got, marker) {
		t.Fatalf("entry 1 = %q, %v", got, err)
	}
}

// TestEncryptionKeyChecks refuses bad key sizes and cache settings before
// anything is written.
func TestEncryptionKeyChecks(t *testing.T) {
	for _, n := range []int{1, 15, 31, 33, 64, 65} {
		dir := filepath.Join(t.TempDir(), "ledger")
		cfg := testConfig(t, dir)
		cfg.EncryptionKey = randomKey(t, n)
		if l, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "want 16, 24 or 32 raw bytes") {
			if l != nil {
				l.Close()
			}
			t.Fatalf("%d-byte key: %v", n, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%d-byte key: the refused Open left %s behind (%v)", n, dir, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "ledger")
	cfg := testConfig(t, dir)
	cfg.EncryptionKey = randomKey(t, 32)
	cfg.Badger = func(o *badger.Options) { o.IndexCacheSize = 0 }
	if _, err := Open(cfg); err == nil || !strings.Contains(err.Error(), "IndexCacheSize") {
		t.Fatalf("encrypted without an index cache: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused Open left %s behind (%v)", dir, err)
	}
	if got := EncryptionName(nil); got != "none" {
		t.Fatalf("EncryptionName(nil) = %q", got)
	}
}

// TestMasterKeyRotation rotates the master key of a closed ledger the way
// `badger rotate --old-key-path OLD --new-key-path NEW` does (it rewrites
// the key registry with these two calls; see badger/cmd/rotate.go), and
// encrypts a plaintext one the way `badger rotate --new-key-path NEW` does,
// then checks that only the new key opens each and the entries are intact.
func TestMasterKeyRotation(t *testing.T) {
	rotate := func(t *testing.T, dir string, oldKey, newKey []byte) {
		t.Helper()
		opt := badger.KeyRegistryOptions{Dir: dir, ReadOnly: true, EncryptionKey: oldKey}
		kr, err := badger.OpenKeyRegistry(opt)
		if err != nil {
			t.Fatalf("open key registry: %v", err)
		}
		opt.EncryptionKey = newKey
		if err := badger.WriteKeyRegistry(kr, opt); err != nil {
			t.Fatalf("write key registry: %v", err)
		}
	}
	for _, tc := range []struct {
		name   string
		oldKey []byte
	}{
		{"encrypted", randomKey(t, 32)},
		{"plaintext", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(t, dir)
			cfg.EncryptionKey = tc.oldKey
			l, err := Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			marker := appendSecret(t, l)
			l.Close()
			newKey := randomKey(t, 32)
			rotate(t, dir, tc.oldKey, newKey)
			if l, err := Open(cfg); !errors.Is(err, ErrEncryptionKey) {
				if l != nil {
					l.Close()
				}
				t.Fatalf("the old key after rotation: %v", err)
			}
			cfg.EncryptionKey = newKey
			l, err = Open(cfg)
			if err != nil {
				t.Fatalf("the new key after rotation: %v", err)
			}
			defer l.Close()
			if got, err := l.Entry(0); err != nil || !bytes.Contains(got, marker) {
				t.Fatalf("entry 1 = %q, %v", got, err)
			}
			appendSecret(t, l)
		})
	}
}
