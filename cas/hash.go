package cas

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/zeebo/blake3"
)

// Hasher computes the sha256 address, the BLAKE3 secondary digest and the
// size of a byte stream in one pass. Write never fails. Backends that read
// in their own pattern (for example part by part) feed it directly; those
// that copy a stream use [CopyHashed], which is faster on multi-core
// machines.
type Hasher struct {
	sha hash.Hash
	b3  *blake3.Hasher
	n   int64
}

// NewHasher returns an empty Hasher.
func NewHasher() *Hasher { return &Hasher{sha: sha256.New(), b3: blake3.New()} }

// Write adds p to both digests.
func (h *Hasher) Write(p []byte) (int, error) {
	h.sha.Write(p)
	h.b3.Write(p)
	h.n += int64(len(p))
	return len(p), nil
}

// Info returns the digests and size of everything written so far.
func (h *Hasher) Info() Info { return infoOf(h.sha, h.b3, h.n) }

// infoOf builds an Info from finished hash states.
func infoOf(sha hash.Hash, b3 *blake3.Hasher, n int64) Info {
	var sum [sha256.Size]byte
	sha.Sum(sum[:0])
	return Info{Digest: FromSHA256(sum), Size: n, BLAKE3: hex.EncodeToString(b3.Sum(nil))}
}

// CopyHashed copies src to dst through buf, hashing every byte with sha256
// and BLAKE3, and returns the resulting digests and size. sha256 runs on a
// second goroutine while the caller's goroutine computes BLAKE3 and writes to
// dst, so hashing costs about as much as sha256 alone. Memory is buf, whatever
// the stream's size. The context is checked between buffers.
//
// Errors reading src are wrapped as "reading blob: ..." and errors writing
// dst as "writing blob: ..."; both keep the cause for errors.Is.
func CopyHashed(ctx context.Context, dst io.Writer, src io.Reader, buf []byte) (Info, error) {
	if len(buf) == 0 {
		return Info{}, errors.New("cas: CopyHashed needs a non-empty buffer")
	}
	sha, b3 := sha256.New(), blake3.New()
	work, done := make(chan []byte), make(chan struct{})
	go func() {
		for p := range work {
			sha.Write(p)
			done <- struct{}{}
		}
	}()
	defer close(work)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return Info{}, err
		}
		m, rerr := io.ReadFull(src, buf)
		if m > 0 {
			p := buf[:m]
			work <- p
			b3.Write(p)
			_, werr := dst.Write(p)
			<-done
			if werr != nil {
				return Info{}, fmt.Errorf("writing blob: %w", werr)
			}
			n += int64(m)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return infoOf(sha, b3, n), nil
		}
		if rerr != nil {
			return Info{}, fmt.Errorf("reading blob: %w", rerr)
		}
	}
}
