// Package retention is the state machine of packages' retention after
// creation: extensions of their expiry, legal holds, the query of what has
// become eligible for deletion, and deletion itself: two-phase, through the
// content store's trash, reversible within a grace period (Deleter). A package's class, mode and first
// expiry are decided by its package.created entry (package catalog); this
// domain only ever moves an expiry later and holds packages back.
//
// # Entries
//
//	retention.extended       package_id, previous_expires_at, expires_at, duration, reason, policy_index
//	retention.hold_applied   package_id, hold_id, reason, case_ref, policy_index
//	retention.hold_released  package_id, hold_id, reason, policy_index
//	retention.deletion_eligible  package_id, expires_at, policy_index (once per package, by a sweep)
//	deletion.started    package_id, reason, early, expires_at, blobs [{digest, size, refs, freed}], bytes, grace_until, policy_index
//	deletion.completed  package_id, started_index, trashed, missing
//	deletion.failed     package_id, started_index, error, remaining
//	deletion.reversed   package_id, started_index, reason
//	deletion.purged     package_id, started_index, purged [digest], bytes
//	deletion.collected  blobs [{digest, size}], bytes, min_age, grace_until (global: unreferenced blobs, collect.go)
//	deletion.collected_purged  purged [digest], kept [digest], bytes (global)
//
// The envelope's actor and time say who decided and when; policy_index is
// the policy.applied entry (with the retention classes) in force when the
// decision was made.
//
// # Projections
//
//	ret/pkg/<package>                      State: the expiry set by the last extension, counts of holds
//	ret/hold/<package>\x00<hold_id>        Hold
//	ret/ev/<package>\x00<index:016x>       Event: one per retention entry of the package
//	ret/elig/<package>                     index of its retention.deletion_eligible entry
//	ret/del/<package>                      Deletion: the latest deletion (a tombstone; stays after the purge)
//	ret/pend/<package>                     index of a deletion.started not yet completed or failed (Resume)
//	ret/blob/<sha256 hex>                  references to the blob held by deleted and by purged packages
//	ret/coll/<sha256 hex>                  Collected: an unreferenced blob collected, until purged or kept
//
// A package without a ret/pkg key has had no retention entry: its expiry
// is the one decided at creation. ret/pkg/, ret/hold/, ret/elig/, ret/del/
// and ret/blob/ are filtered prefixes, since most packages and blobs have
// none. The catalog's cat/blob/<hex> Refs counts every reference ever made;
// Refs minus the deleted and purged counts are the live ones.
//
// # Invariants
//
// The Appliers check, where they cannot race: the package exists and is
// the entry's tenant's; an extension names the expiry in force as its
// previous one and moves it strictly later, and not into the past (the
// entry's time); a package kept forever cannot be extended; a hold id is
// used once per package; only an active hold is released. A package is
// eligible for deletion when its expiry is at or before the time asked
// about and it has no active hold.
//
// deletion.started is accepted only for a package not already deleted,
// with no active hold, and expired at the entry's time, or (early) in
// governance mode: compliance mode forbids early deletion to everyone. Its
// blob list must cover every file of the package, and each blob's freed
// flag must say whether it is left without a live reference (else
// retention-changed: ask again). completed and failed end only the started
// deletion they name; reversed undoes a deleted or failed one; purged
// comes only after grace_until and must list exactly the blobs whose
// every reference is then purged.
//
// # Deletion order
//
// Entry first, bytes second: deletion.started (from then on the package's
// bytes answer 410), each freed blob moved to the store's trash, then
// deletion.completed. A crash in between leaves ret/pend/<package>; Resume
// (run by serve at startup) moves what is left (every move is idempotent)
// and appends the one deletion.completed. Restoring and purging go the
// other way, bytes first: a restore moves the blobs back, then appends
// deletion.reversed; a purge removes them, then appends deletion.purged.
// A crash in between leaves extra bytes, never a live package without its
// bytes. Deleter runs one operation at a time.
package retention
