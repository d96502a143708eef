package promotion

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// attrBody is what the history index reads of a promotion entry: the raw
// object checked and the object placed in golden or quarantine.
type attrBody struct {
	SourceKey string             `json:"source_key"`
	Object    *catalog.ObjectRef `json:"object"`
	Golden    *catalog.ObjectRef `json:"golden"`
}

// attrs is the promotion module's Module.Attrs: a check or an outcome
// names the raw object it decides on, an outcome or a review the object
// it places.
func attrs(_ string, body []byte) []ledger.Attr {
	var b attrBody
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	var out []ledger.Attr
	if b.SourceKey != "" {
		out = append(out, ledger.KeyAttrs(catalog.ZoneRaw, b.SourceKey)...)
	}
	for _, o := range []*catalog.ObjectRef{b.Object, b.Golden} {
		if o != nil && o.Zone != "" && o.Key != "" {
			out = append(out, ledger.KeyAttrs(o.Zone, o.Key)...)
		}
	}
	return out
}
