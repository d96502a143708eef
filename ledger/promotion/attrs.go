package promotion

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// maskAndPermitAttrs returns the history attributes of the entries of tier
// masked and of verify-and-permit-upload: the raw source and the golden
// object of promotion.masked, and the raw keys a permit decision hashed
// (digests are indexed by the log itself). Other entry types of the module
// get none from it. A body that does not parse gets none either: the
// Applier refuses it.
func maskAndPermitAttrs(typ string, body []byte) []ledger.Attr {
	switch typ {
	case TypeMasked:
		var b Masked
		if json.Unmarshal(body, &b) != nil {
			return nil
		}
		return append(ledger.KeyAttrs(catalog.ZoneRaw, b.SourceKey), ledger.KeyAttrs(b.Object.Zone, b.Object.Key)...)
	case TypePermitted, TypeDenied:
		var b Permit
		if json.Unmarshal(body, &b) != nil {
			return nil
		}
		var out []ledger.Attr
		for _, k := range b.Keys {
			out = append(out, ledger.KeyAttrs(catalog.ZoneRaw, k.Key)...)
		}
		return out
	}
	return nil
}
