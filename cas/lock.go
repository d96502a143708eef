package cas

import (
	"context"
	"time"
)

// Locker is implemented by stores whose backend can itself refuse to
// delete a blob's bytes, to anyone, Assay bypassed included: S3 Object
// Lock. The retention domain (package ledger/retention) applies it after
// the entry deciding it is durable: compliance-mode packages retain their
// blobs until their expiry, legal holds hold them. The local store does not
// implement it. Both methods act on the blob's live version and are
// idempotent.
type Locker interface {
	// Retain makes the store refuse to delete the blob's bytes before
	// until (S3: Object Lock retention in COMPLIANCE mode). Retention only
	// ever grows: a blob already retained until later keeps its date.
	// ErrNotFound when the store does not hold the blob.
	Retain(ctx context.Context, d Digest, until time.Time) error
	// LegalHold turns the blob's legal hold on or off: while it is on, the
	// store refuses to delete the bytes whatever their retention.
	// ErrNotFound when the store does not hold the blob.
	LegalHold(ctx context.Context, d Digest, on bool) error
}
