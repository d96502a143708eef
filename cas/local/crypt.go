package local

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/assay-ledger/assay/cas"
)

// keySize is the length of the AES-256 master key in a key file.
const keySize = 32

// KeySize is the length of the key in a store key file (Config.KeyFile):
// 32 raw bytes, or twice as many hex digits.
const KeySize = keySize

// HKDF info strings; changing them changes every derived key.
const (
	infoBlobKey = "assay cas blob aes-256-gcm v1"
	infoKeyID   = "assay cas key-id v1"
)

// keyring holds the master key from the key file and its public id.
type keyring struct {
	master []byte
	id     [keyIDSize]byte
}

// loadKey reads a key file: exactly 32 raw bytes, or 64 hex digits with an
// optional trailing newline.
func loadKey(path string) (*keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	key, err := decodeKey(b)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	id, err := hkdf.Key(sha256.New, key, nil, infoKeyID, keyIDSize)
	if err != nil {
		return nil, fmt.Errorf("derive key id: %w", err)
	}
	k := &keyring{master: key}
	copy(k.id[:], id)
	return k, nil
}

// CheckKeyFile reads a key file as Open does and returns what is wrong
// with it, if anything, without touching any store: callers check their
// configuration with it before they write anything.
func CheckKeyFile(path string) error {
	_, err := loadKey(path)
	return err
}

// decodeKey accepts the two key file encodings.
func decodeKey(b []byte) ([]byte, error) {
	if len(b) == keySize {
		return b, nil
	}
	text := bytes.TrimSuffix(b, []byte("\n"))
	if len(text) == 2*keySize {
		key := make([]byte, keySize)
		if _, err := hex.Decode(key, text); err == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%d bytes: want 32 raw bytes or 64 hex digits", len(b))
}

// aead derives the per-blob AES-256-GCM instance from the salt.
func (k *keyring) aead(salt []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, k.master, salt, infoBlobKey, keySize)
	if err != nil {
		return nil, fmt.Errorf("derive blob key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// nonce returns the nonce of chunk i (see the format description).
func nonce(i uint64, last bool) []byte {
	n := make([]byte, 12)
	binary.BigEndian.PutUint64(n[0:8], i)
	if last {
		n[11] = 1
	}
	return n
}

// sealer encrypts a stream chunk by chunk, holding one chunk in memory.
type sealer struct {
	aead  cipher.AEAD
	w     io.Writer
	aad   []byte
	buf   []byte // len chunkSize+tagSize
	n     int    // plaintext bytes buffered
	index uint64
}

func newSealer(aead cipher.AEAD, w io.Writer, aad []byte) *sealer {
	return &sealer{aead: aead, w: w, aad: aad, buf: make([]byte, chunkSize+tagSize)}
}

// Write buffers p, sealing and writing each chunk once the next byte arrives
// (so that the final chunk, full or not, is sealed as last by Close).
func (s *sealer) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if s.n == chunkSize {
			if err := s.flush(false); err != nil {
				return total - len(p), err
			}
		}
		c := copy(s.buf[s.n:chunkSize], p)
		s.n += c
		p = p[c:]
	}
	return total, nil
}

// Close seals and writes the last chunk.
func (s *sealer) Close() error { return s.flush(true) }

func (s *sealer) flush(last bool) error {
	out := s.aead.Seal(s.buf[:0], nonce(s.index, last), s.buf[:s.n], s.aad)
	s.index++
	s.n = 0
	_, err := s.w.Write(out)
	return err
}

// geometry returns how many chunks an encrypted body of the given length
// holds and the stored length of the last one.
func geometry(body int64) (count int64, lastLen int, err error) {
	const stored = chunkSize + tagSize
	count, rem := body/stored, int(body%stored)
	switch {
	case rem == 0 && count > 0:
		return count, stored, nil
	case rem >= tagSize:
		return count + 1, rem, nil
	}
	return 0, 0, fmt.Errorf("%w: encrypted body of %d bytes is not whole chunks", cas.ErrCorrupt, body)
}

// opener decrypts chunks first..count-1 read sequentially from r.
type opener struct {
	aead    cipher.AEAD
	r       io.Reader
	aad     []byte
	index   int64
	count   int64
	lastLen int
	buf     []byte
	plain   []byte
}

func newOpener(aead cipher.AEAD, r io.Reader, aad []byte, first, count int64, lastLen int) *opener {
	return &opener{aead: aead, r: r, aad: aad, index: first, count: count, lastLen: lastLen,
		buf: make([]byte, chunkSize+tagSize)}
}

// Read returns decrypted bytes; a chunk that fails authentication is an
// error wrapping cas.ErrCorrupt.
func (o *opener) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.index >= o.count {
			return 0, io.EOF
		}
		if err := o.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}

func (o *opener) next() error {
	last := o.index == o.count-1
	b := o.buf[:chunkSize+tagSize]
	if last {
		b = o.buf[:o.lastLen]
	}
	if _, err := io.ReadFull(o.r, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: chunk %d truncated", cas.ErrCorrupt, o.index)
		}
		return err
	}
	plain, err := o.aead.Open(b[:0], nonce(uint64(o.index), last), b, o.aad)
	if err != nil {
		return fmt.Errorf("%w: chunk %d fails authentication", cas.ErrCorrupt, o.index)
	}
	o.plain = plain
	o.index++
	return nil
}
