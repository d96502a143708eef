package local

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/assay-ledger/assay/cas"
)

// On-disk format, version 1. Every blob file is a fixed 128-byte header
// followed by the body; all integers are big-endian.
//
//	offset size field
//	     0    8 magic "ASSAYCAS"
//	     8    1 version, 1
//	     9    1 flags: bit 0 zstd, bit 1 AES-256-GCM; other bits zero
//	    10    2 reserved, zero
//	    12    4 chunk size: plaintext bytes per AEAD chunk (65536) if encrypted, else 0
//	    16    8 key id: first 8 bytes of HKDF-SHA256(key, info "assay cas key-id v1") if encrypted, else 0
//	    24   32 salt: random per blob if encrypted, else 0
//	    56    8 size of the plaintext
//	    64   32 BLAKE3-256 of the plaintext
//	    96   32 BLAKE3-256 of the body (the stored bytes after the header) if compressed, else 0
//
// The body is the plaintext, transformed in this order:
//
//  1. If compressed, one zstd stream of the plaintext.
//  2. If encrypted, the output of step 1 cut into chunks of chunk-size bytes
//     (the last one shorter, possibly empty), each sealed with AES-256-GCM
//     and stored as ciphertext followed by its 16-byte tag. The blob key is
//     HKDF-SHA256(key file, salt, info "assay cas blob aes-256-gcm v1"); the
//     96-bit nonce of chunk i is i as 8 bytes, three zero bytes, then 1 for
//     the last chunk and 0 otherwise (so truncation at a chunk boundary is
//     detected); the additional data is header bytes 0..55. Without
//     compression, chunk i holds plaintext bytes [i*65536, (i+1)*65536), so
//     a range read opens only the chunks it needs.
//
// The file name is the sha256 of the plaintext, which stays the address
// whatever the transformation; size and digests are written last, once
// known. The body digest of compressed blobs lets a scrub notice damage to
// zstd framing bytes that would not change the decoded output (encrypted
// bodies are covered by their GCM tags, plain ones by the plaintext BLAKE3).
const (
	headerSize    = 128
	aadSize       = 56 // header bytes known before the body is written
	formatVersion = 1
	flagZstd      = 1 << 0
	flagAESGCM    = 1 << 1
	knownFlags    = flagZstd | flagAESGCM
	chunkSize     = 64 << 10
	tagSize       = 16
	saltSize      = 32
	keyIDSize     = 8
)

// magic opens every blob file.
var magic = [8]byte{'A', 'S', 'S', 'A', 'Y', 'C', 'A', 'S'}

// header is the decoded fixed header of a blob file.
type header struct {
	flags     byte
	chunkSize uint32
	keyID     [keyIDSize]byte
	salt      [saltSize]byte
	size      int64
	blake3    [32]byte
	bodyB3    [32]byte
}

func (h *header) compressed() bool { return h.flags&flagZstd != 0 }
func (h *header) encrypted() bool  { return h.flags&flagAESGCM != 0 }

// marshal encodes the header in the on-disk layout.
func (h *header) marshal() []byte {
	b := make([]byte, headerSize)
	copy(b[0:8], magic[:])
	b[8] = formatVersion
	b[9] = h.flags
	binary.BigEndian.PutUint32(b[12:16], h.chunkSize)
	copy(b[16:24], h.keyID[:])
	copy(b[24:56], h.salt[:])
	binary.BigEndian.PutUint64(b[56:64], uint64(h.size))
	copy(b[64:96], h.blake3[:])
	copy(b[96:128], h.bodyB3[:])
	return b
}

// parseHeader decodes and validates a header. Every byte is either checked
// here or covered by a later integrity check, so a flipped header byte is
// always reported as corruption.
func parseHeader(b []byte) (header, error) {
	var h header
	if len(b) != headerSize || !bytes.Equal(b[0:8], magic[:]) {
		return h, fmt.Errorf("%w: bad magic", cas.ErrCorrupt)
	}
	if b[8] != formatVersion {
		return h, fmt.Errorf("%w: format version %d, want %d", cas.ErrCorrupt, b[8], formatVersion)
	}
	h.flags = b[9]
	h.chunkSize = binary.BigEndian.Uint32(b[12:16])
	copy(h.keyID[:], b[16:24])
	copy(h.salt[:], b[24:56])
	size := binary.BigEndian.Uint64(b[56:64])
	copy(h.blake3[:], b[64:96])
	copy(h.bodyB3[:], b[96:128])
	if h.flags&^knownFlags != 0 || b[10] != 0 || b[11] != 0 {
		return h, fmt.Errorf("%w: unknown flags %#x or reserved bytes set", cas.ErrCorrupt, h.flags)
	}
	if size > 1<<62 {
		return h, fmt.Errorf("%w: size %d out of range", cas.ErrCorrupt, size)
	}
	h.size = int64(size)
	if !h.compressed() && h.bodyB3 != [32]byte{} {
		return h, fmt.Errorf("%w: body digest set on an uncompressed blob", cas.ErrCorrupt)
	}
	return h, h.checkCrypto()
}

// checkCrypto validates the fields that depend on encryption.
func (h *header) checkCrypto() error {
	if h.encrypted() {
		if h.chunkSize != chunkSize {
			return fmt.Errorf("%w: chunk size %d, want %d", cas.ErrCorrupt, h.chunkSize, chunkSize)
		}
		return nil
	}
	if h.chunkSize != 0 || h.keyID != [keyIDSize]byte{} || h.salt != [saltSize]byte{} {
		return fmt.Errorf("%w: encryption fields set on a plaintext blob", cas.ErrCorrupt)
	}
	return nil
}
