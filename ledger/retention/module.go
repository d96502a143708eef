package retention

import "github.com/assay-ledger/assay/ledger"

// Module is the retention domain: the extension and legal-hold entry
// types with their Appliers, the filtered prefixes of package state and
// holds (most packages have neither), and the domain's errors.
func Module() ledger.Module {
	return ledger.Module{
		Name: "retention",
		Appliers: map[string]ledger.Applier{
			TypeExtended:     applyExtended,
			TypeHoldApplied:  applyHoldApplied,
			TypeHoldReleased: applyHoldReleased,
		},
		Filtered: []string{prefixState, prefixHold},
		Errors:   errorSpecs(),
	}
}
