package cas

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ConfirmExisting is the prologue every backend's Put runs when the caller
// names the digest it expects, written here once so that the drivers agree
// on it: a blob that is already stored is confirmed, not written again.
//
// When expected is set and head finds a blob under it, r is hashed without
// being stored, to check that it holds those very bytes, and done is true:
// info is then the stored blob's Info with Existed set, or err is a
// *[MismatchError], or the error hashing r prefixed with op (the driver's
// "local put", "s3 put"). An error from head other than [ErrNotFound] is
// returned as it is, also with done true. When expected is zero or head
// finds nothing, done is false and the Put goes on to store r.
//
// buffer lends the buffer r is hashed through, and is called only when
// there is a stored blob to confirm; the release it returns is called once
// hashing is over, so drivers can take the buffer from a pool and give it
// back.
func ConfirmExisting(ctx context.Context, r io.Reader, expected Digest, head func(context.Context, Digest) (Info, error), buffer func() (buf []byte, release func()), op string) (info Info, done bool, err error) {
	if expected.IsZero() {
		return Info{}, false, nil
	}
	stored, err := head(ctx, expected)
	if errors.Is(err, ErrNotFound) {
		return Info{}, false, nil
	}
	if err != nil {
		return Info{}, true, err
	}
	buf, release := buffer()
	defer release()
	got, err := CopyHashed(ctx, io.Discard, r, buf)
	if err != nil {
		return Info{}, true, fmt.Errorf("%s: %w", op, err)
	}
	if err := CheckExpected(expected, got); err != nil {
		return Info{}, true, err
	}
	stored.Existed = true
	return stored, true, nil
}
