// Package retention is the state machine of packages' retention after
// creation: extensions of their expiry and legal holds, and the query of
// what has become eligible for deletion. A package's class, mode and first
// expiry are decided by its package.created entry (package catalog); this
// domain only ever moves an expiry later and holds packages back.
//
// # Entries
//
//	retention.extended       package_id, previous_expires_at, expires_at, duration, reason, policy_index
//	retention.hold_applied   package_id, hold_id, reason, case_ref, policy_index
//	retention.hold_released  package_id, hold_id, reason, policy_index
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
//
// A package without a ret/pkg key has had no retention entry: its expiry
// is the one decided at creation. ret/pkg/ and ret/hold/ are filtered
// prefixes, since most packages have neither.
//
// # Invariants
//
// The Appliers check, where they cannot race: the package exists and is
// the entry's tenant's; an extension names the expiry in force as its
// previous one and moves it strictly later, and not into the past (the
// entry's time); a package kept forever cannot be extended; a hold id is
// used once per package; only an active hold is released. A package is
// eligible for deletion when its expiry is at or before the time asked
// about and it has no active hold. Deleting it is not this version's job.
package retention
