package exports

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger"
)

// attrs is the exports module's Module.Attrs: an export entry names the
// producer's run (its artifact hash is in the digest index already).
func attrs(_ string, body []byte) []ledger.Attr {
	var b struct {
		RunID string `json:"runId"`
	}
	if json.Unmarshal(body, &b) != nil || b.RunID == "" {
		return nil
	}
	return []ledger.Attr{{Name: ledger.AttrRun, Value: b.RunID}}
}
