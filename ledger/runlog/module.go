package runlog

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// MediaType is the media type of a sealed run log.
const MediaType = "application/x-ndjson"

// Module is the run log domain's module: its entry types with their
// Appliers, its errors, and the history attributes of its entries.
func Module() ledger.Module {
	return ledger.Module{
		Name:  "runlog",
		Attrs: attrs,
		Appliers: map[string]ledger.Applier{
			TypeAppended: applyAppended,
			TypeSealed:   applySealed,
		},
		Filtered: []string{prefixRun},
		Errors:   errorSpecs(),
	}
}

// attrs is Module.Attrs: every entry names its run; a seal also names the
// raw object it places (its digest the log indexes by itself).
func attrs(_ string, body []byte) []ledger.Attr {
	var b struct {
		RunID  string             `json:"run_id"`
		Object *catalog.ObjectRef `json:"object"`
	}
	if json.Unmarshal(body, &b) != nil || b.RunID == "" {
		return nil
	}
	out := []ledger.Attr{{Name: ledger.AttrRun, Value: b.RunID}}
	if b.Object != nil && b.Object.Zone != "" && b.Object.Key != "" {
		out = append(out, ledger.KeyAttrs(b.Object.Zone, b.Object.Key)...)
	}
	return out
}
