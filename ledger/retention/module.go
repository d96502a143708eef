package retention

import "github.com/assay-ledger/assay/ledger"

// Module is the retention domain: the extension, legal-hold and deletion
// entry types with their Appliers, the filtered prefixes of package state,
// holds, deletions, eligibility marks and blob counts (most packages and
// blobs have none), and the domain's errors.
func Module() ledger.Module {
	return ledger.Module{
		Name:  "retention",
		Attrs: attrs,
		Appliers: map[string]ledger.Applier{
			TypeExtended:     applyExtended,
			TypeHoldApplied:  applyHoldApplied,
			TypeHoldReleased: applyHoldReleased,

			TypeDeletionEligible:  applyDeletionEligible,
			TypeDeletionStarted:   applyDeletionStarted,
			TypeDeletionCompleted: applyDeletionEnded,
			TypeDeletionFailed:    applyDeletionEnded,
			TypeDeletionReversed:  applyDeletionReversed,
			TypeDeletionPurged:    applyDeletionPurged,
			TypeDeletionCollected: applyDeletionCollected,
			TypeCollectionPurged:  applyCollectionPurged,
		},
		Filtered: []string{prefixState, prefixHold, prefixDeletion, prefixEligible, prefixBlob, prefixCollected},
		Errors:   append(errorSpecs(), deletionErrorSpecs()...),
	}
}
