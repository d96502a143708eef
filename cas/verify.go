package cas

import (
	"context"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// verifyBufSize is the read buffer used when re-hashing a stored blob.
const verifyBufSize = 256 << 10

// CheckRange validates a byte range against a blob of the given size and
// returns how many bytes it covers. length -1 means "to the end". The range
// must lie within the blob: 0 <= offset <= size and offset+length <= size;
// otherwise the error wraps [ErrInvalidRange] and says why.
func CheckRange(offset, length, size int64) (int64, error) {
	switch {
	case offset < 0 || length < -1:
		return 0, fmt.Errorf("%w: offset %d, length %d: want offset >= 0 and length >= -1", ErrInvalidRange, offset, length)
	case offset > size:
		return 0, fmt.Errorf("%w: offset %d beyond size %d", ErrInvalidRange, offset, size)
	case length == -1:
		return size - offset, nil
	case length > size-offset:
		return 0, fmt.Errorf("%w: offset %d + length %d beyond size %d", ErrInvalidRange, offset, length, size)
	}
	return length, nil
}

// VerifyStream reads the plaintext r of the blob d to its end and checks it
// against what the store recorded: the size and BLAKE3 in recorded and, when
// full is set, the sha256 address d itself. A difference returns an error
// wrapping [ErrCorrupt] that names the expected and computed values; errors
// from r are returned wrapped (backends wrap their own integrity failures,
// such as a failed AEAD tag, in ErrCorrupt before they get here).
func VerifyStream(ctx context.Context, r io.Reader, d Digest, recorded Info, full bool) error {
	buf := make([]byte, verifyBufSize)
	var got Info
	var err error
	if full {
		got, err = CopyHashed(ctx, io.Discard, r, buf)
	} else {
		got, err = blake3Only(ctx, r, buf)
	}
	if err != nil {
		return fmt.Errorf("verify %s: %w", d, err)
	}
	switch {
	case got.Size != recorded.Size:
		return fmt.Errorf("%w: %s: read %d bytes, recorded size %d", ErrCorrupt, d, got.Size, recorded.Size)
	case got.BLAKE3 != recorded.BLAKE3:
		return fmt.Errorf("%w: %s: BLAKE3 recorded %q, computed %s", ErrCorrupt, d, recorded.BLAKE3, got.BLAKE3)
	case full && got.Digest != d:
		return fmt.Errorf("%w: %s: bytes hash to %s", ErrCorrupt, d, got.Digest)
	}
	return nil
}

// blake3Only hashes r with BLAKE3 alone: the fast path of a scrub.
func blake3Only(ctx context.Context, r io.Reader, buf []byte) (Info, error) {
	h := blake3.New()
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Info{}, err
		}
		m, err := r.Read(buf)
		h.Write(buf[:m])
		n += int64(m)
		if err == io.EOF {
			return Info{Size: n, BLAKE3: fmt.Sprintf("%x", h.Sum(nil))}, nil
		}
		if err != nil {
			return Info{}, fmt.Errorf("reading blob: %w", err)
		}
	}
}
