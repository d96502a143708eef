// Package cas is Assay's content-addressed blob store: the place where the
// bytes of every artifact live, addressed by their sha256 digest
// ("sha256:<64 lowercase hex>"). The ledger records digests; this package
// keeps the bytes they name.
//
// # Contract
//
// [Store] is the interface every backend implements; its doc comment states
// the durability, concurrency and idempotency guarantees callers rely on.
// Backends live in sub-packages: [github.com/assay-ledger/assay/cas/local]
// (sharded directories, optional zstd and AES-256-GCM at rest) and
// [github.com/assay-ledger/assay/cas/s3] (any S3-compatible service).
// Both pass the one conformance suite in
// [github.com/assay-ledger/assay/cas/castest].
//
// # Digests
//
// A Put streams its input once through sha256 (the address) and BLAKE3 (a
// secondary digest recorded next to the blob so that scrubbing is fast), in
// constant memory whatever the size. [StreamHashed] and [CopyHashed] do
// that for backends, overlapping reading, the two hashes and writing on
// three goroutines.
//
// # Errors
//
// Every failure a caller must tell apart is a sentinel that works with
// [errors.Is]: [ErrNotFound], [ErrDigestMismatch], [ErrUnavailable],
// [ErrInvalidDigest], [ErrInvalidRange] and [ErrCorrupt]. The HTTP layer maps
// them to status codes in one place (ErrUnavailable is 503).
//
// # Trash
//
// [Trasher] is implemented by stores that set blobs aside reversibly: the
// deletion of packages (package ledger/retention) moves their bytes to the
// trash, brings them back on restore and purges them after the grace
// period. The local store keeps the trash in root/trash/sha256 (a rename
// and two directory fsyncs); the S3 store uses bucket versioning (a delete
// marker hides the bytes, removing it restores them, deleting every
// version purges them) and refuses through [TrashChecker] on a bucket
// that is not versioned.
//
// # Locks
//
// [Locker] is implemented by stores whose backend can refuse deletion by
// itself: the S3 store with object lock (S3 Object Lock COMPLIANCE
// retention and legal holds). The retention domain applies it to the blobs
// of compliance-mode and held packages. [Dater] gives the time a blob was
// written, for the safety age of the collection of unreferenced blobs.
//
// # Scrubbing
//
// [Store.Verify] re-reads one blob and checks it against its recorded
// BLAKE3 (and, on request, its sha256 address); [Scrub] runs it over a
// catalog's digests or over everything [Store.Walk] finds, counting corrupt
// and missing blobs.
package cas
