package promotion

import "github.com/assay-ledger/assay/ledger"

// Module is the promotion gate's domain module: its entry types with their
// Appliers, the filtered prefixes of promotions and quarantine items, and
// its errors.
func Module() ledger.Module {
	return ledger.Module{
		Name:  "promotion",
		Attrs: attrs,
		Appliers: map[string]ledger.Applier{
			TypeRequested:   applyRequested,
			TypeVerified:    applyCheck,
			TypeFailed:      applyCheck,
			TypePromoted:    applyPromoted,
			TypeQuarantined: applyQuarantined,
			TypeCompleted:   applyCompleted,
			TypeApproved:    applyDecision,
			TypeRejected:    applyDecision,
		},
		Filtered: []string{prefixRequest, prefixItem},
		Errors:   errorSpecs(),
	}
}
