package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/internal/durable"
	"github.com/assay-ledger/assay/ledger"
)

// storeKeyName is the local store's key file in DATA/keys: --dev creates it
// on first start, and any start uses it when --store-key-file is not given.
const storeKeyName = "store.key"

// storeEncryption names the local store's at-rest encryption in the policy.
const storeEncryption = "aes-256-gcm"

// ledgerKeyFlag is --ledger-key-file, taken by every command that opens the
// ledger (serve, bundle import).
type ledgerKeyFlag struct{ file string }

func (k *ledgerKeyFlag) register(f *pflag.FlagSet) {
	f.StringVar(&k.file, "ledger-key-file", "",
		"encrypt the ledger (Badger) at rest with the AES key in this file: 16, 24 or 32 raw bytes; "+
			"the ledger opens only with the key it was created with (keep it off the data disk)")
}

// key reads and checks the key file; nil without --ledger-key-file.
func (k *ledgerKeyFlag) key() ([]byte, error) {
	if k.file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(k.file)
	if err != nil {
		return nil, fmt.Errorf("--ledger-key-file: %w", err)
	}
	if err := ledger.CheckEncryptionKey(b); err != nil {
		return nil, fmt.Errorf("--ledger-key-file %s: %w; write raw bytes, e.g. head -c 32 /dev/urandom (not hex, no newline)", k.file, err)
	}
	return b, nil
}

// storeKeyPath is where the local store's key lives unless
// --store-key-file names another file.
func storeKeyPath(d dataDir) string { return filepath.Join(d.keys(), storeKeyName) }

// checkStoreKey settles the local store's key before anything is written:
// --store-key-file if given (an error with another store), else
// DATA/keys/store.key if it exists; the key file must be readable and
// hold a key. With neither, new blobs are stored in plaintext (--dev then
// creates DATA/keys/store.key: see createDevStoreKey).
func (c *catalogFlags) checkStoreKey(d dataDir) error {
	if c.keyFile != "" && c.store != "local" {
		return fmt.Errorf("--store-key-file encrypts the local store only; with --store %s use its own encryption (--s3-sse)", c.store)
	}
	if c.store != "local" {
		return nil
	}
	what := "--store-key-file"
	if c.keyFile == "" {
		if _, err := os.Lstat(storeKeyPath(d)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("store key: %w", err)
		}
		c.keyFile, what = storeKeyPath(d), "store key"
	}
	if err := local.CheckKeyFile(c.keyFile); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// createDevStoreKey gives a --dev server's local store a key when
// checkStoreKey found none: 32 random bytes written durably to
// DATA/keys/store.key (0600), used from now on.
func (c *catalogFlags) createDevStoreKey(d dataDir) error {
	if c.store != "local" || c.keyFile != "" {
		return nil
	}
	key := make([]byte, local.KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("store key: %w", err)
	}
	if err := durable.MkdirAll(d.keys()); err != nil {
		return err
	}
	path := storeKeyPath(d)
	if err := durable.CreateFile(path, key, 0o600); err != nil {
		return fmt.Errorf("store key: %w", err)
	}
	c.keyFile = path
	return nil
}

// encryptionPolicy is the policy's record of what is encrypted at rest:
// the ledger ("none" or "aes-128", "aes-192", "aes-256"), the local store
// ("none" or "aes-256-gcm") and, with the S3 store, the server-side
// encryption asked for ("none", "AES256" or "aws:kms"). Never keys, key
// ids or paths.
func encryptionPolicy(ledgerKey []byte, c *catalogFlags) map[string]string {
	p := map[string]string{"ledger": ledger.EncryptionName(ledgerKey), "store": "none"}
	switch c.store {
	case "local":
		if c.keyFile != "" {
			p["store"] = storeEncryption
		}
	case "s3":
		p["s3_sse"] = "none"
		if c.s3.SSE != "" {
			p["s3_sse"] = c.s3.SSE
		}
	}
	return p
}
