// Package ledger is Assay's append-only Merkle log with its state machine,
// stored in Badger: every state change is an entry, a leaf of one RFC 6962
// tree, and every projection (catalog, exports, policy) is derived from the
// entries by the Appliers of the domain modules the log is opened with.
//
// # Invariants
//
//   - Entries are only appended. One sequencer goroutine batches concurrent
//     appends (group commit) and writes each batch's entries, tree nodes,
//     projection writes, tree head and signed checkpoint in one durable
//     Badger transaction; a caller is answered only after that commit.
//   - An entry is one compact JSON object of at most MaxEntrySize bytes,
//     {"v":1,"index":N,"type":…,"time":…,"actor":…,"tenant":…,…}, stored
//     byte for byte as its leaf.
//   - Appliers are deterministic functions of the entry and the projections:
//     replaying the entries (crash recovery, bundle import) reproduces the
//     same projections and the same root.
//   - A published checkpoint always names a tree that is on disk; a failed
//     commit stops the log until it is reopened.
//   - Proofs are computed from stored node hashes with O(log n) reads.
//
// # Modules
//
// A domain is one Module: its entry types' Appliers, the projection
// prefixes whose lookups mostly miss, and its errors, each with a
// transport-free Kind and a stable slug that the HTTP layer turns into a
// problem+json type. Package domains lists the modules every ledger runs;
// the log adds its own (policy.applied and the errors of reads and
// appends).
//
// # On disk
//
// Every Badger key starts with a one-byte namespace:
//
//	e <index:8>       entry value: the hashes of the perfect subtrees the leaf completes, then the entry bytes
//	h <leaf hash:32>  index of the leaf with that hash
//	c <size:8>        signed checkpoint note of the tree of that size
//	m head            tree head: size, root, compact range
//	p <key…>          projection keys written by Appliers
//
// With Config.EncryptionKey, Badger encrypts all of it at rest (AES, under
// data keys it keeps in its KEYREGISTRY file; see encryption.go).
package ledger
