package httpapi

import (
	"net/http"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
)

// The read model. Checkpoints, hash tiles and inclusion and consistency
// proofs reveal only hashes, so any log:read token may read them and anyone
// can check the whole tree. Entry bytes are tenants' data: a token reads the
// entries of its own tenant and the system's (tenant "", such as
// policy.applied), and only a token with ScopeLogAudit reads every
// tenant's entries (entry pages, entry bundles, search, blobs by digest).

// ScopeLogAudit lets an auditor read every tenant's entries and blobs, on
// top of log:read.
const ScopeLogAudit = "log:audit"

// readsEntry reports whether id may read the entry bytes b: an auditor
// reads every entry, a tenant its own and the system's. An entry that does
// not parse is shown to auditors only.
func readsEntry(id Identity, b []byte) bool {
	if id.HasScope(ScopeLogAudit) {
		return true
	}
	rec, err := ledger.ParseRecord(b)
	return err == nil && (rec.Tenant == "" || rec.Tenant == id.Tenant)
}

// needAudit refuses a caller without ScopeLogAudit: what it asks for holds
// every tenant's data.
func needAudit(r *http.Request, what string) error {
	id := caller(r)
	if id.HasScope(ScopeLogAudit) {
		return nil
	}
	return NewProblem(http.StatusForbidden, wire.TypeForbidden,
		"%s holds every tenant's entries: token %q lacks scope %q", what, id.Name, ScopeLogAudit)
}
