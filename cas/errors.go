package cas

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by every [Store]; test with [errors.Is].
var (
	// ErrNotFound means no blob is stored under the digest.
	ErrNotFound = errors.New("blob not found")
	// ErrDigestMismatch means the bytes of a Put did not hash to the
	// expected digest; nothing was stored. The error is a *[MismatchError].
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrUnavailable means the backend could not be reached or refused
	// service for now (connection failure, 5xx, throttling). Retrying later
	// may succeed; HTTP maps it to 503.
	ErrUnavailable = errors.New("storage backend unavailable")
	// ErrInvalidDigest means a digest string is not "sha256:" followed by
	// 64 lowercase hex digits.
	ErrInvalidDigest = errors.New("invalid digest")
	// ErrInvalidRange means a byte range does not lie within the blob.
	ErrInvalidRange = errors.New("invalid byte range")
	// ErrCorrupt means stored bytes no longer match what was written: a
	// digest, size or authentication check failed while reading them.
	ErrCorrupt = errors.New("blob corrupt")
)

// MismatchError reports a Put whose bytes hashed to Got instead of Expected.
// It unwraps to [ErrDigestMismatch].
type MismatchError struct {
	Expected Digest // the digest the caller announced
	Got      Digest // the digest of the bytes actually received
	Size     int64  // how many bytes were received
}

// Error says what was expected and what arrived.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("%v: expected %s, got %s (%d bytes)", ErrDigestMismatch, e.Expected, e.Got, e.Size)
}

// Unwrap returns [ErrDigestMismatch] so that errors.Is matches it.
func (e *MismatchError) Unwrap() error { return ErrDigestMismatch }

// CheckExpected returns a *[MismatchError] when expected is set and differs
// from the digest in got, and nil otherwise. Backends call it after hashing
// and before committing anything.
func CheckExpected(expected Digest, got Info) error {
	if expected.IsZero() || expected == got.Digest {
		return nil
	}
	return &MismatchError{Expected: expected, Got: got.Digest, Size: got.Size}
}
