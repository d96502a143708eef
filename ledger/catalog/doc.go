// Package catalog is the state machine of packages, files and objects: the
// entry types that change them, the Appliers that check and apply those
// entries inside the ledger's sequencer, the projection keys they maintain
// and the queries that read them.
//
// # Entries
//
//	package.created    package_id, name, producer, subject, run_id, retention, metadata, attributes
//	file.added         package_id, file_id, path, zone, key, digest, size, blake3, media_type, landing?
//	package.finalized  package_id, manifest_digest, file_count, total_size
//	object.put         zone, key, digest, size, blake3, media_type, metadata, landing?
//	object.read        zone, key, digest, version, package_id, file_id, offset, length
//
// A file.added entry is also the provenance record of the object it creates
// in zone raw under packages/<package_id>/<path>; object.put records objects
// put by key, in zone raw only. Zones golden and quarantine are written only
// by the promotion gate's entries (package promotion), through PutGated.
// An object's version is the log index of the entry that put it,
// so its history is the list of those entries. landing (Landing) is what the
// producer declared at upload: source, commit, expected digest (which the
// store enforced), tier and chain-of-custody references; the Appliers
// refuse one whose expected digest is not the entry's digest.
//
// # Projections
//
//	cat/pkg/<id>                          Package
//	cat/pkgl/<tenant>\x00<index:016x>     package id, in creation order
//	cat/pf/<package>\x00<path>            File
//	cat/fid/<file_id>                     <package>\x00<path>
//	cat/obj/<tenant>\x00<zone>\x00<key>   Object (the current version)
//	cat/objh/<tenant>\x00<zone>\x00<key>\x00<version:016x>  Object (every version)
//	cat/blob/<sha256 hex>                 Blob: size, BLAKE3, references
//
// # Invariants
//
// Checks that depend on state live in the Appliers, where they cannot race:
// a package id is used once, a finalized package takes no more files, a
// path appears once per package, a finalize names the file count the
// manifest was built from, and every entry acts on its own tenant's data.
// Appliers are deterministic functions of the record and the projections,
// so bundle import replays them on another machine to the same state.
//
// # Retention
//
// A package's retention (class, period, mode, expiry) is decided once, by
// its package.created entry, from the classes in force (Classes, which the
// server records in its policy.applied entry). Extensions and legal holds
// are the retention domain's (package ledger/retention): its Appliers read
// packages with PackageIn and never write the catalog's keys.
package catalog
