package main

import (
	"maps"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
)

// stateMachine is every entry type's Applier. The server and bundle import
// both open the ledger with it, so a replayed entry passes through exactly
// the code that accepted it at the source.
func stateMachine() map[string]ledger.Applier {
	m := map[string]ledger.Applier{}
	maps.Copy(m, exports.Appliers())
	maps.Copy(m, catalog.Appliers())
	return m
}

// filteredPrefixes are the projection key prefixes whose lookups mostly miss
// (ledger.Config.Filtered), for the entry types of stateMachine.
func filteredPrefixes() []string { return exports.FilteredPrefixes() }
