// Package domains is the registry of the ledger's domain modules: the one
// place a new domain (its entry types, Appliers, projection prefixes and
// errors) is registered. The server, bundle import, the benchmarks and the
// tests all open their ledgers with Modules, so an entry replayed anywhere
// passes through exactly the code that accepted it at the source, and the
// HTTP layer maps every domain's errors from the same list.
package domains

import (
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/retention"
	"github.com/assay-ledger/assay/ledger/runlog"
)

// Modules returns the modules of every Assay ledger, in the order their
// errors are looked up. The slice is new on every call: a caller may
// append modules of its own.
func Modules() []ledger.Module {
	return []ledger.Module{catalog.Module(), exports.Module(), retention.Module(), promotion.Module(), runlog.Module()}
}
