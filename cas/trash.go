package cas

import "context"

// Trasher is implemented by stores that can set a blob aside reversibly:
// the two-phase deletion of packages (package ledger/retention) moves the
// bytes of a deleted package to the trash, brings them back on restore and
// removes them for good only when the grace period is over. Every method
// is idempotent, so a deletion interrupted at any point is redone from the
// start.
type Trasher interface {
	// Trash moves the blob from the store to the trash. It is nil when the
	// blob is already in the trash and not in the store, and ErrNotFound
	// when it is in neither.
	Trash(ctx context.Context, d Digest) error
	// Untrash moves the blob back from the trash. It is nil when the blob
	// is in the store already (a copy left in the trash is removed), and
	// ErrNotFound when it is in neither.
	Untrash(ctx context.Context, d Digest) error
	// Purge removes the blob from the trash for good; nil when it is not
	// there. It never touches the blob in the store.
	Purge(ctx context.Context, d Digest) error
	// InTrash reports whether the trash holds the blob.
	InTrash(ctx context.Context, d Digest) (bool, error)
}

// TrashChecker is implemented by trashes that depend on how the backend is
// set up (the S3 store's trash needs a versioned bucket). CheckTrash
// returns nil when Trasher's methods can work, and an error saying what is
// missing when they cannot; a deletion asks before it logs anything.
type TrashChecker interface {
	CheckTrash(ctx context.Context) error
}
