package ledger

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// DefaultIndexCacheSize is the Badger index cache of an encrypted ledger.
// Badger keeps the indices (block offsets and Bloom filters) of plaintext
// tables in memory; those of encrypted tables are decrypted when read and
// must be kept in this cache (Badger panics without one). An index is about
// 5% of its table (Badger's estimate), so 64 MiB covers over a GiB of
// tables before reads start to decrypt indices again. Config.Badger may
// change it, but not to zero.
const DefaultIndexCacheSize = 64 << 20

// ErrEncryptionKey rejects opening a ledger with a key that is not the one
// it is encrypted with: a wrong key, a key for a plaintext ledger, or no key
// for an encrypted one. Nothing is written when Open returns it.
var ErrEncryptionKey = errors.New("ledger encryption key mismatch")

// CheckEncryptionKey reports whether key can be a ledger's
// Config.EncryptionKey: 16, 24 or 32 bytes (AES-128, AES-192, AES-256).
func CheckEncryptionKey(key []byte) error {
	switch len(key) {
	case 16, 24, 32:
		return nil
	}
	return fmt.Errorf("ledger encryption key of %d bytes: want 16, 24 or 32 raw bytes (AES-128, -192, -256)", len(key))
}

// EncryptionName names the at-rest encryption a key gives a ledger, for
// policies and logs: "none" without a key, else "aes-128", "aes-192" or
// "aes-256". It never reveals anything of the key but its length.
func EncryptionName(key []byte) string {
	if len(key) == 0 {
		return "none"
	}
	return fmt.Sprintf("aes-%d", 8*len(key))
}

// encryptionOptions turns Badger's encryption on with cfg.EncryptionKey.
func encryptionOptions(cfg *Config, opts *badger.Options) error {
	if len(cfg.EncryptionKey) == 0 {
		return nil
	}
	if err := CheckEncryptionKey(cfg.EncryptionKey); err != nil {
		return err
	}
	*opts = opts.WithEncryptionKey(bytes.Clone(cfg.EncryptionKey))
	if opts.IndexCacheSize <= 0 { // a memory budget sized it already
		*opts = opts.WithIndexCacheSize(DefaultIndexCacheSize)
	}
	return nil
}

// checkEncryptionCaches refuses options Badger would panic on later: an
// encrypted ledger needs both its block and its index cache.
func checkEncryptionCaches(opts badger.Options) error {
	if len(opts.EncryptionKey) > 0 && (opts.BlockCacheSize <= 0 || opts.IndexCacheSize <= 0) {
		return errors.New("ledger: an encrypted ledger needs Badger's BlockCacheSize and IndexCacheSize above zero")
	}
	return nil
}

// keyMismatch explains a Badger ErrEncryptionKeyMismatch for the ledger in
// cfg.Dir: whether it is encrypted, and so what is wrong with the key.
func keyMismatch(cfg *Config) error {
	if len(cfg.EncryptionKey) == 0 {
		return fmt.Errorf("%w: the ledger in %s is encrypted; open it with its key", ErrEncryptionKey, cfg.Dir)
	}
	// A plaintext key registry opens without a key; this only reads it.
	if _, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{Dir: cfg.Dir, ReadOnly: true}); err == nil {
		return fmt.Errorf("%w: the ledger in %s is not encrypted; open it without a key, or encrypt it first (see `badger rotate`)",
			ErrEncryptionKey, cfg.Dir)
	}
	return fmt.Errorf("%w: the ledger in %s is encrypted with another key", ErrEncryptionKey, cfg.Dir)
}
