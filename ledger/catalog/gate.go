package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

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

// typeRunLogSealed is the entry type whose Applier places a run's sealed
// log (package runlog); listed here so that the catalog, which owns zone
// raw, refuses every other writer of a RunLogKey.
const typeRunLogSealed = "run.log_sealed"

// PutRunLog makes ref, at RunLogKey in zone raw, the record tenant's sealed
// log of a run, with metadata meta. Only the Applier of run.log_sealed may
// call it.
func PutRunLog(tx *ledger.Tx, rec *ledger.Record, ref ObjectRef, meta json.RawMessage) error {
	if rec.Type != typeRunLogSealed {
		return fmt.Errorf("%w: entry type %q places a run's sealed log", ErrPathReserved, shorten(rec.Type))
	}
	if ref.Zone != ZoneRaw || !IsRunLogKey(ref.Key) {
		return fmt.Errorf("%w: %s/%s is not a run log key", ErrInvalidBody, shorten(ref.Zone), shorten(ref.Key))
	}
	if err := checkRef(ref); err != nil {
		return err
	}
	return putObject(tx, rec, ref, Object{Metadata: meta})
}

// RefBlob counts a reference to a blob that another domain's entry keeps
// (a run log's chunks), so that the collection of unreferenced blobs
// leaves it alone.
func RefBlob(tx *ledger.Tx, digest string, size int64, blake3 string) error {
	if !digestPattern.MatchString(digest) || size < 0 || len(blake3) != 64 {
		return fmt.Errorf("%w: blob %q, size %d, blake3 %q", ErrInvalidBody, shorten(digest), size, shorten(blake3))
	}
	var blob Blob
	bk := blobKey(strings.TrimPrefix(digest, "sha256:"))
	if err := tx.GetJSON(bk, &blob); err != nil && !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	blob.Size, blob.BLAKE3, blob.Refs = size, blake3, blob.Refs+1
	return tx.SetJSON(bk, blob)
}
