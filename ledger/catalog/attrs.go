package catalog

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger"
)

// attrBody is what the history index reads of a catalog entry: the object
// it touches, the package and the producer's run.
type attrBody struct {
	PackageID string `json:"package_id"`
	RunID     string `json:"run_id"`
	Zone      string `json:"zone"`
	Key       string `json:"key"`
}

// attrs is the catalog's Module.Attrs: package.created names its package
// and run, file.added its package and the object it lands, object.put and
// object.read their object (and a read of a package file its package).
func attrs(_ string, body []byte) []ledger.Attr {
	var b attrBody
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	var out []ledger.Attr
	if b.Zone != "" && b.Key != "" {
		out = ledger.KeyAttrs(b.Zone, b.Key)
	}
	if b.PackageID != "" {
		out = append(out, ledger.Attr{Name: ledger.AttrPackage, Value: b.PackageID})
	}
	if b.RunID != "" {
		out = append(out, ledger.Attr{Name: ledger.AttrRun, Value: b.RunID})
	}
	return out
}
