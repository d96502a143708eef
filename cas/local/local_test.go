package local

import (
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

// writeKey writes a random 32-byte key file and returns its path.
func writeKey(t *testing.T) string {
	t.Helper()
	key := make([]byte, keySize)
	for i := range key {
		key[i] = byte(rand.IntN(256))
	}
	p := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(p, key, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// open opens a store under a fresh directory with the given settings.
func open(t *testing.T, compress, encrypt bool) *Local {
	t.Helper()
	cfg := Config{Root: filepath.Join(t.TempDir(), "cas"), Compress: compress}
	if encrypt {
		cfg.KeyFile = writeKey(t)
	}
	l, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l
}

// backend wraps l with the hooks of the conformance suite.
func backend(l *Local) castest.Backend {
	return castest.Backend{
		Store:   l,
		Objects: func(t *testing.T) []string { return files(t, l.root) },
		Corrupt: func(t *testing.T, d cas.Digest, rng *rand.Rand) { castest.FlipByte(t, l.path(d), rng) },
		Remove: func(t *testing.T, d cas.Digest) {
			if err := os.Remove(l.path(d)); err != nil {
				t.Fatal(err)
			}
		},
	}
}

// files lists the regular files under root, relative to it.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name              string
		compress, encrypt bool
	}{
		{"plain", false, false},
		{"zstd", true, false},
		{"aes-gcm", false, true},
		{"zstd+aes-gcm", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			castest.Run(t, func(t *testing.T) castest.Backend { return backend(open(t, tc.compress, tc.encrypt)) })
		})
	}
}
