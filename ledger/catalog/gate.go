package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/assay-ledger/assay/ledger"
)

// ErrGoldenGate refuses a write into zone golden or quarantine by any entry
// other than the promotion gate's: golden holds verified objects only.
var ErrGoldenGate = errors.New("golden and quarantine are written only by the promotion gate")

// GateTypes are the only entry types whose Appliers may place objects in
// zones golden and quarantine (through PutGated): the promotion gate's
// decisions. Package promotion defines them; they are listed here so that
// the catalog, which owns the zones, refuses every other writer.
var gateTypes = []string{"promotion.promoted", "promotion.masked", "promotion.quarantined", "quarantine.approved"}

// GateTypes returns the entry types that may write zones golden and
// quarantine.
func GateTypes() []string { return slices.Clone(gateTypes) }

// PutGated makes ref (in zone golden or quarantine) a new version of its
// key for the record's tenant, referencing the same blob as its source
// (no copy), with metadata meta. Only the Appliers of GateTypes may call
// it; any other record, or any other zone, is ErrGoldenGate.
func PutGated(tx *ledger.Tx, rec *ledger.Record, ref ObjectRef, meta json.RawMessage) error {
	if !slices.Contains(gateTypes, rec.Type) {
		return fmt.Errorf("%w: entry type %q", ErrGoldenGate, shorten(rec.Type))
	}
	if ref.Zone != ZoneGolden && ref.Zone != ZoneQuarantine {
		return fmt.Errorf("%w: zone %q", ErrGoldenGate, shorten(ref.Zone))
	}
	if err := checkRef(ref); err != nil {
		return err
	}
	return putObject(tx, rec, ref, Object{Metadata: meta})
}

// ObjectIn returns the tenant's current object zone/key as the projections
// inside tx hold it, for the Appliers of other domains (promotion);
// ErrObjectNotFound when absent.
func ObjectIn(tx *ledger.Tx, tenant, zone, key string) (*Object, error) {
	var o Object
	err := tx.GetJSON(objectKey(tenant, zone, key), &o)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrObjectNotFound, shorten(zone+"/"+key))
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}
