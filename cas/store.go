package cas

import (
	"context"
	"io"
	"time"
)

// Store keeps immutable blobs addressed by the sha256 of their bytes.
//
// Durability: Put returns only once the blob is durable (on disk and its
// directory entry synced, or acknowledged by the object store); a blob that
// Put reported is readable after a crash or restart. Delete returns once the
// removal is durable.
//
// Concurrency: a Store is safe for concurrent use by multiple goroutines,
// including concurrent Puts of the same bytes.
//
// Idempotency: blobs are immutable and deduplicated. Putting bytes that are
// already stored is success and writes nothing new ([Info.Existed] is set);
// a failed or mismatched Put leaves nothing behind, neither the blob nor a
// temporary.
//
// Errors wrap the sentinels of this package ([ErrNotFound],
// [ErrDigestMismatch], [ErrUnavailable], [ErrInvalidRange], [ErrCorrupt]) so
// that callers can map them with [errors.Is].
type Store interface {
	// Put streams r to the store, reading it exactly once through sha256
	// and BLAKE3 in constant memory whatever its size. If expected is not
	// the zero Digest and the bytes hash to something else, nothing is
	// stored and the error is a *MismatchError (ErrDigestMismatch) naming
	// both digests. Errors reading r are returned wrapped.
	Put(ctx context.Context, r io.Reader, expected Digest) (Info, error)

	// Get streams length bytes of the blob starting at offset; length -1
	// means to the end. The range must lie within the blob: offset in
	// [0, size] and offset+length <= size, else ErrInvalidRange (callers
	// serving HTTP Range clamp first). A zero-length range yields an empty
	// reader. The caller must Close the reader.
	Get(ctx context.Context, d Digest, offset, length int64) (io.ReadCloser, error)

	// Head returns what the store recorded about the blob without reading
	// its bytes.
	Head(ctx context.Context, d Digest) (Info, error)

	// Delete removes the blob; ErrNotFound if it is not there. Deciding
	// whether a blob is still referenced is the caller's business.
	Delete(ctx context.Context, d Digest) error

	// Health reports whether the backend is reachable and usable; an error
	// wraps ErrUnavailable when it is not.
	Health(ctx context.Context) error

	// Verify re-reads the stored blob and checks its size and recorded
	// BLAKE3 and, when full is set, its sha256 address as well. It returns
	// nil when the blob is intact, ErrNotFound when it is missing and an
	// error wrapping ErrCorrupt that says what differs when it is not.
	Verify(ctx context.Context, d Digest, full bool) error

	// Walk calls fn for every stored blob, in no promised order, and stops
	// at the first error fn returns (which Walk then returns). Blobs put or
	// deleted during the walk may or may not be visited.
	Walk(ctx context.Context, fn func(Digest) error) error
}

// Info describes a stored blob.
type Info struct {
	Digest     Digest // sha256 address of the plaintext bytes
	Size       int64  // plaintext size in bytes
	BLAKE3     string // BLAKE3-256 of the plaintext, 64 lowercase hex digits
	StoredSize int64  // bytes the backend holds (after compression, encryption, framing)
	// Existed is set by Put when the blob was already stored and nothing
	// new was written; other methods leave it false.
	Existed bool
}

// ReadAheader is implemented by stores whose Put reads its input on a
// goroutine of its own, ahead of hashing and writing (as [StreamHashed]
// and [CopyHashed] do) when ReadsAhead is true. A caller streaming a slow
// source, such as a request body, into such a store needs no read-ahead
// buffering of its own, which would only add a copy.
type ReadAheader interface {
	ReadsAhead() bool
}

// Sweeper is implemented by stores that may leave temporaries behind when
// the process dies in the middle of a Put (temp files, pending multipart
// uploads). SweepTemp removes those started before the cutoff and returns
// how many it removed. The caller supplies the cutoff from its own clock,
// far enough in the past that no Put still running can be affected.
type Sweeper interface {
	SweepTemp(ctx context.Context, before time.Time) (int, error)
}

// Dater is implemented by stores that know when each blob was last
// written. Collecting unreferenced blobs (package ledger/retention) leaves
// alone those written within a safety age, which may belong to an upload
// whose entry is not appended yet.
type Dater interface {
	// Written returns when the blob's bytes were last written;
	// ErrNotFound when the store does not hold it.
	Written(ctx context.Context, d Digest) (time.Time, error)
}
