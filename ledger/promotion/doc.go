// Package promotion is the promotion gate, the only way into zone golden:
// a request names a raw key or prefix, a golden destination prefix and a
// tier; each object's bytes are re-read and hashed (the catalog's digest
// alone is never trusted), checked as the tier says, and then either
// promoted (a golden object that references the same blob) or quarantined
// (a quarantine object with the reason) until a reviewer approves or
// rejects it.
//
// # Entries
//
//	promotion.requested    a promotion: source, destination, tier, proof (retry_of: a retry)
//	promotion.verified     one object passed: computed and expected digest, proof digest, tier, operator
//	promotion.failed       one object failed, with the reason
//	promotion.promoted     the golden object of a verified one (catalog.PutGated)
//	promotion.masked       tier masked: the golden object of a verified one, a masked copy (new blob)
//	promotion.quarantined  the quarantine object of a failed one
//	promotion.completed    every object of the promotion is decided
//	quarantine.approved    a reviewer promotes a quarantined object to golden
//	quarantine.rejected    a reviewer refuses it for good
//	upload.permitted       verify-and-permit-upload passed: a permission id a promotion may name
//	upload.denied          verify-and-permit-upload failed, with the reason
//
// The Appliers check every decision against the state (a promoted object
// needs a verified check of the same digest, a quarantine decision a pending
// item and, with separation of duties, a reviewer who is not the object's
// producer), so a replayed or hostile bundle cannot write golden either.
//
// # Projections
//
//	pro/req/<id>                         Promotion
//	pro/reql/<tenant>\x00<index:16 hex>  promotion id, by tenant in log order
//	pro/obj/<id>\x00<source key>         Progress of one object
//	pro/q/<quarantine id>                Item
//	pro/ql/<tenant>\x00<key>\x00<index>  quarantine id, by tenant and key
//	pro/src/<tenant>\x00<raw key>\x00<index:16 hex>  Step: each decision about a raw object
//	pro/perm/<permission id>             Permission (upload.permitted)
//	pro/open/<index:16 hex>              promotion id of an unfinished promotion, by request index
//
// # Worker
//
// Service.Request appends promotion.requested and returns; the worker
// (Service.Run, one per server) decides the unfinished promotions in
// request order, a page of the catalog (256 objects) at a time, up to 32
// objects of a page at once so that their appends share group commits.
// applyCheck refuses a second check of an object in a promotion and the
// placements a second outcome, so a restarted worker walks the source
// again, skips what is decided, places what was checked only, and decides
// the rest: no object is decided twice. A retry (Service.Retry) is a new
// promotion over the items a finished one left pending in quarantine.
//
// The steps by raw key are what GET /v1/object-status answers from: the
// Applier of each check, placement and review writes its Step in the same
// transaction as the decision, so an object's status is read, not
// recomputed from the log (see Service.ObjectStatus).
package promotion
