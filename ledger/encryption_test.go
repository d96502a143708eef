package ledger_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// encConfig is the Config the tests below open a ledger in dir with.
func encConfig(t *testing.T, dir string) ledger.Config {
	t.Helper()
	skey, _, err := note.GenerateKey(rand.Reader, ledgertest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return ledger.Config{Dir: dir, Origin: ledgertest.Origin, Signer: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

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
func appendSecret(t *testing.T, l *ledger.Log) []byte {
	t.Helper()
	marker := []byte(ledgertest.Marker(t, "entry"))
	body, _ := json.Marshal(map[string]string{"note": string(marker)})
	a, err := l.Append(t.Context(), ledger.Entry{Type: "test.secret", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Entry(a.Record.Index)
	if err != nil || !bytes.Contains(got, marker) {
		t.Fatalf("entry %d reads back as %q, %v: want it to hold %s", a.Record.Index, got, err, marker)
	}
	return marker
}

// TestEncryptedLedgerAtRest writes an entry with a known plaintext to a
// ledger opened with a key and checks that it reads back, before and after
// reopening with the key, and that no file of the ledger holds the
// plaintext, while the same entry in a plaintext ledger is found on disk.
func TestEncryptedLedgerAtRest(t *testing.T) {
	for _, size := range []int{16, 24, 32} {
		t.Run(ledger.EncryptionName(make([]byte, size)), func(t *testing.T) {
			dir := t.TempDir()
			cfg := encConfig(t, dir)
			cfg.EncryptionKey = randomKey(t, size)
			l, err := ledger.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			marker := appendSecret(t, l)
			if hits := ledgertest.FilesHolding(t, dir, ledgertest.Pieces(string(marker))...); len(hits) > 0 {
				t.Fatalf("open encrypted ledger: %v hold the entry's plaintext", hits)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if hits := ledgertest.FilesHolding(t, dir, ledgertest.Pieces(string(marker))...); len(hits) > 0 {
				t.Fatalf("closed encrypted ledger: %v hold the entry's plaintext", hits)
			}
			l, err = ledger.Open(cfg)
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
		l, err := ledger.Open(encConfig(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		marker := appendSecret(t, l)
		if hits := ledgertest.FilesHolding(t, dir, ledgertest.Pieces(string(marker))...); len(hits) == 0 {
			t.Fatal("no file of an open plaintext ledger holds the entry: the search above proves nothing")
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if hits := ledgertest.FilesHolding(t, dir, ledgertest.Pieces(string(marker))...); len(hits) == 0 {
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
	cfg := encConfig(t, encrypted)
	cfg.EncryptionKey = key
	l, err := ledger.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	marker := appendSecret(t, l)
	l.Close()
	l, err = ledger.Open(encConfig(t, plain))
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
			c := encConfig(t, tc.dir)
			c.EncryptionKey = tc.key
			l, err := ledger.Open(c)
			if err == nil {
				l.Close()
				t.Fatal("opened")
			}
			if !errors.Is(err, ledger.ErrEncryptionKey) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want ErrEncryptionKey saying %q", err, tc.want)
			}
		})
	}
	l, err = ledger.Open(cfg)
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
		cfg := encConfig(t, dir)
		cfg.EncryptionKey = randomKey(t, n)
		if l, err := ledger.Open(cfg); err == nil || !strings.Contains(err.Error(), "want 16, 24 or 32 raw bytes") {
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
	cfg := encConfig(t, dir)
	cfg.EncryptionKey = randomKey(t, 32)
	cfg.Badger = func(o *badger.Options) { o.IndexCacheSize = 0 }
	if _, err := ledger.Open(cfg); err == nil || !strings.Contains(err.Error(), "IndexCacheSize") {
		t.Fatalf("encrypted without an index cache: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused Open left %s behind (%v)", dir, err)
	}
	if got := ledger.EncryptionName(nil); got != "none" {
		t.Fatalf("ledger.EncryptionName(nil) = %q", got)
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
			cfg := encConfig(t, dir)
			cfg.EncryptionKey = tc.oldKey
			l, err := ledger.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			marker := appendSecret(t, l)
			l.Close()
			newKey := randomKey(t, 32)
			rotate(t, dir, tc.oldKey, newKey)
			if l, err := ledger.Open(cfg); !errors.Is(err, ledger.ErrEncryptionKey) {
				if l != nil {
					l.Close()
				}
				t.Fatalf("the old key after rotation: %v", err)
			}
			cfg.EncryptionKey = newKey
			l, err = ledger.Open(cfg)
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
