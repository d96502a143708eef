package cas

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"

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
// and BLAKE3, and returns the resulting digests and size. It is
// [StreamHashed] over buf cut in a few pieces, so reading src and BLAKE3,
// sha256 and writing dst overlap on three goroutines. Memory is buf,
// whatever the stream's size. The context is checked between pieces.
//
// Errors reading src are wrapped as "reading blob: ..." and errors writing
// dst as "writing blob: ..."; both keep the cause for errors.Is.
func CopyHashed(ctx context.Context, dst io.Writer, src io.Reader, buf []byte) (Info, error) {
	if len(buf) == 0 {
		return Info{}, errors.New("cas: CopyHashed needs a non-empty buffer")
	}
	pieces := 1
	switch {
	case len(buf) >= 4*minPiece:
		pieces = 4
	case len(buf) >= 2*minPiece:
		pieces = 2
	}
	bufs := make([][]byte, pieces)
	size := len(buf) / pieces
	for i := range bufs {
		bufs[i] = buf[i*size : (i+1)*size : (i+1)*size]
	}
	return StreamHashed(ctx, src, bufs, 0, func(p []byte) error {
		_, err := dst.Write(p)
		return err
	})
}

// minPiece is the smallest piece CopyHashed cuts its buffer into.
const minPiece = 64 << 10

// StreamHashed reads src into bufs in turn and hashes and writes each
// buffer once it is full (or src ends), on three goroutines at once: the
// calling goroutine hands the buffer to a sha256 goroutine and a write
// goroutine, adds it to BLAKE3 itself, then receives into the next free
// buffer. Receiving, both digests and writing thus overlap, and the two
// hashes, the bulk of the work, are split about evenly between two cores
// (sha256 costs about as much as BLAKE3 and receiving together). A buffer
// is refilled only once everyone is done with it, so memory is bufs,
// whatever the stream's size.
//
// The first skip bytes of bufs[0] are neither read into nor hashed but
// passed to write with the first block: room for a header the caller
// writes later. write is called in stream order, on one goroutine, with
// bufs[i][:n] (bufs[0][:skip+n] first, even if src is empty), and must not
// keep the slice; buffers are full except at the end of src. A write error
// stops the copy.
//
// Errors reading src are wrapped as "reading blob: ..." and errors from
// write as "writing blob: ..."; both keep the cause for errors.Is. The
// context is checked between buffers. On return no goroutine uses bufs.
func StreamHashed(ctx context.Context, src io.Reader, bufs [][]byte, skip int, write func([]byte) error) (Info, error) {
	if len(bufs) == 0 || skip < 0 || len(bufs[0]) <= skip {
		return Info{}, errors.New("cas: StreamHashed needs buffers larger than skip")
	}
	for _, b := range bufs {
		if len(b) == 0 {
			return Info{}, errors.New("cas: StreamHashed needs non-empty buffers")
		}
	}
	s := &stream{
		refs:   make([]atomic.Int32, len(bufs)),
		free:   make(chan int, len(bufs)),
		failed: make(chan struct{}),
	}
	for i := range bufs {
		s.free <- i
	}
	sha, b3 := sha256.New(), blake3.New()
	shaIn, writeIn := make(chan block, len(bufs)), make(chan block, len(bufs))
	s.wg.Add(2)
	go s.run(shaIn, func(b block) { sha.Write(b.p[b.skip:]) })
	go s.run(writeIn, func(b block) {
		if s.err != nil {
			return // failed already: only release the rest
		}
		if err := write(b.p); err != nil {
			s.err = err
			close(s.failed)
		}
	})
	n, err := s.read(ctx, src, bufs, skip, b3, shaIn, writeIn)
	close(shaIn)
	close(writeIn)
	s.wg.Wait()
	if s.err != nil {
		return Info{}, fmt.Errorf("writing blob: %w", s.err)
	}
	if err != nil {
		return Info{}, err
	}
	return infoOf(sha, b3, n), nil
}

// stream is the shared state of one StreamHashed.
type stream struct {
	refs   []atomic.Int32 // per buffer: how many of the reader and the stages still use it
	free   chan int       // buffers nobody uses
	failed chan struct{}  // closed on the first write error
	err    error          // the write error: set by the write stage, read after wg.Wait
	wg     sync.WaitGroup
}

// block is a filled buffer: p, of which p[skip:] is stream bytes.
type block struct {
	i, skip int
	p       []byte
}

// read fills buffers from src, hands each to the stages and adds it to b3,
// until EOF, an error, cancellation or a failed write. It returns the
// number of stream bytes read.
func (s *stream) read(ctx context.Context, src io.Reader, bufs [][]byte, skip int, b3 *blake3.Hasher, stages ...chan block) (int64, error) {
	var n int64
	for first := true; ; first = false {
		var i int
		select {
		case i = <-s.free:
		case <-s.failed:
			return n, nil
		case <-ctx.Done():
			return n, ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		off := 0
		if first {
			off = skip
		}
		m, rerr := io.ReadFull(src, bufs[i][off:])
		if m > 0 || first {
			n += int64(m)
			b := block{i: i, skip: off, p: bufs[i][:off+m]}
			s.refs[i].Store(int32(len(stages) + 1))
			for _, c := range stages {
				c <- b
			}
			b3.Write(b.p[b.skip:])
			s.release(i)
		} else {
			s.free <- i
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("reading blob: %w", rerr)
		}
	}
}

// run applies fn to every block of in, then releases the block.
func (s *stream) run(in chan block, fn func(block)) {
	defer s.wg.Done()
	for b := range in {
		fn(b)
		s.release(b.i)
	}
}

// release frees buffer i once its last user is done with it.
func (s *stream) release(i int) {
	if s.refs[i].Add(-1) == 0 {
		s.free <- i
	}
}
