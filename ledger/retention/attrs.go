package retention

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger"
)

// attrs is the retention module's Module.Attrs: every retention and
// deletion entry names its package.
func attrs(_ string, body []byte) []ledger.Attr {
	var b struct {
		PackageID string `json:"package_id"`
	}
	if json.Unmarshal(body, &b) != nil || b.PackageID == "" {
		return nil
	}
	return []ledger.Attr{{Name: ledger.AttrPackage, Value: b.PackageID}}
}
