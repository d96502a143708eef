package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/assay-ledger/assay/ledger"
)

// idPattern is the form of package and file ids: a prefix, then 32 hex
// digits of randomness chosen by the server.
var idPattern = regexp.MustCompile(`^(pkg|file)_[0-9a-f]{32}$`)

// digestPattern is the canonical sha256 digest form.
var digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// appliers returns the Applier of every catalog entry type, for Module.
func appliers() map[string]ledger.Applier {
	return map[string]ledger.Applier{
		TypePackageCreated:   applyPackageCreated,
		TypeFileAdded:        applyFileAdded,
		TypePackageFinalized: applyPackageFinalized,
		TypeObjectPut:        applyObjectPut,
		TypeObjectRead:       applyObjectRead,
		TypeObjectDrift:      applyObjectDrift,
		TypeObjectDeleted:    applyObjectDeleted,
		TypePackagePublished: applyPackagePublished,
	}
}

// decode parses an entry body strictly into v.
func decode(rec *ledger.Record, v any) error {
	if err := ledger.DecodeStrict(rec.Body, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidBody, rec.Type, err)
	}
	return nil
}

func applyPackageCreated(tx *ledger.Tx, rec *ledger.Record) error {
	var b PackageCreated
	if err := decode(rec, &b); err != nil {
		return err
	}
	if !idPattern.MatchString(b.PackageID) || !strings.HasPrefix(b.PackageID, "pkg_") {
		return fmt.Errorf("%w: package_id %q: want pkg_ and 32 hex digits", ErrInvalidBody, shorten(b.PackageID))
	}
	if _, err := tx.Get(packageKey(b.PackageID)); err == nil {
		return fmt.Errorf("%w: %s", ErrPackageExists, b.PackageID)
	} else if !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	exp, err := expiry(rec.Time, b.Retention.Period)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidBody, err)
	}
	if b.Retention.Mode != "" && b.Retention.Mode != ModeCompliance {
		return fmt.Errorf("%w: retention mode %q: want %s or none (governance)", ErrInvalidBody, shorten(b.Retention.Mode), ModeCompliance)
	}
	p := Package{ID: b.PackageID, Tenant: rec.Tenant, Name: b.Name, Producer: b.Producer, Subject: b.Subject,
		RunID: b.RunID, Retention: Retention{Class: b.Retention.Class, Period: b.Retention.Period, Mode: b.Retention.Mode, ExpiresAt: exp},
		Metadata: b.Metadata, Attributes: b.Attributes, Status: StatusOpen,
		CreatedAt: rec.Time, CreatedBy: rec.Actor, CreatedIndex: rec.Index}
	tx.Set(packageListKey(rec.Tenant, rec.Index), []byte(b.PackageID))
	return tx.SetJSON(packageKey(b.PackageID), p)
}

// openPackage loads a package of the record's tenant that still takes
// changes.
func openPackage(tx *ledger.Tx, rec *ledger.Record, id string) (*Package, error) {
	var p Package
	err := tx.GetJSON(packageKey(id), &p)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && p.Tenant != rec.Tenant {
		return nil, fmt.Errorf("%w: %q", ErrPackageNotFound, shorten(id))
	}
	if err != nil {
		return nil, err
	}
	if p.Status == StatusFinalized {
		return nil, fmt.Errorf("%w: %s was finalized at index %d", ErrPackageFinalized, id, p.FinalizedIndex)
	}
	return &p, nil
}

// checkRef validates an object reference's fields.
func checkRef(r ObjectRef) error {
	switch {
	case !digestPattern.MatchString(r.Digest):
		return fmt.Errorf("%w: digest %q", ErrInvalidBody, shorten(r.Digest))
	case r.Size < 0 || len(r.BLAKE3) != 64:
		return fmt.Errorf("%w: size %d, blake3 %q", ErrInvalidBody, r.Size, shorten(r.BLAKE3))
	case !validZone(r.Zone):
		return fmt.Errorf("%w: %q", ErrUnknownZone, shorten(r.Zone))
	}
	return ValidatePath(r.Key)
}

func validZone(z string) bool {
	for _, k := range Zones() {
		if z == k {
			return true
		}
	}
	return false
}

func applyFileAdded(tx *ledger.Tx, rec *ledger.Record) error {
	var b FileAdded
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := ValidatePath(b.Path); err != nil {
		return err
	}
	if err := checkRef(b.ObjectRef); err != nil {
		return err
	}
	if err := checkLandingOf(b.Landing, b.ObjectRef); err != nil {
		return err
	}
	if !idPattern.MatchString(b.FileID) || !strings.HasPrefix(b.FileID, "file_") || b.Zone != ZoneRaw || b.Key != PackageKey(b.PackageID, b.Path) {
		return fmt.Errorf("%w: file %q at %s/%s: want a file_ id in zone raw under %s", ErrInvalidBody,
			shorten(b.FileID), b.Zone, shorten(b.Key), PackageKey(b.PackageID, b.Path))
	}
	p, err := openPackage(tx, rec, b.PackageID)
	if err != nil {
		return err
	}
	if _, err := tx.Get(fileKey(b.PackageID, b.Path)); err == nil {
		return fmt.Errorf("%w: %q is already in package %s", ErrDuplicatePath, shorten(b.Path), b.PackageID)
	}
	if _, err := tx.Get(fileIDKey(b.FileID)); err == nil {
		return fmt.Errorf("%w: file id %s already used", ErrInvalidBody, b.FileID)
	}
	p.FileCount++
	p.TotalSize += b.Size
	f := File{FileID: b.FileID, PackageID: b.PackageID, Path: b.Path, ObjectRef: b.ObjectRef,
		AddedAt: rec.Time, AddedBy: rec.Actor, Index: rec.Index}
	tx.Set(fileIDKey(b.FileID), []byte(b.PackageID+"\x00"+b.Path))
	if err := tx.SetJSON(fileKey(b.PackageID, b.Path), f); err != nil {
		return err
	}
	obj := Object{Metadata: nil, PackageID: b.PackageID, FileID: b.FileID, Landing: b.Landing}
	if err := putObject(tx, rec, b.ObjectRef, obj); err != nil {
		return err
	}
	return tx.SetJSON(packageKey(b.PackageID), p)
}

// putObject makes obj the current version of its key and counts a
// reference to its blob.
func putObject(tx *ledger.Tx, rec *ledger.Record, ref ObjectRef, obj Object) error {
	key := objectKey(rec.Tenant, ref.Zone, ref.Key)
	var prev Object
	if err := tx.GetJSON(key, &prev); err != nil && !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	obj.Tenant, obj.ObjectRef = rec.Tenant, ref
	obj.Version, obj.Versions, obj.PutAt, obj.PutBy = rec.Index, prev.Versions+1, rec.Time, rec.Actor
	if err := tx.SetJSON(key, obj); err != nil {
		return err
	}
	if err := tx.SetJSON(historyKey(rec.Tenant, ref.Zone, ref.Key, rec.Index), obj); err != nil {
		return err
	}
	var blob Blob
	bk := blobKey(strings.TrimPrefix(ref.Digest, "sha256:"))
	if err := tx.GetJSON(bk, &blob); err != nil && !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	blob.Size, blob.BLAKE3, blob.Refs = ref.Size, ref.BLAKE3, blob.Refs+1
	return tx.SetJSON(bk, blob)
}

func applyPackageFinalized(tx *ledger.Tx, rec *ledger.Record) error {
	var b PackageFinalized
	if err := decode(rec, &b); err != nil {
		return err
	}
	if !digestPattern.MatchString(b.ManifestDigest) {
		return fmt.Errorf("%w: manifest_digest %q", ErrInvalidBody, shorten(b.ManifestDigest))
	}
	p, err := openPackage(tx, rec, b.PackageID)
	if err != nil {
		return err
	}
	if p.FileCount != b.FileCount || p.TotalSize != b.TotalSize {
		return fmt.Errorf("%w: manifest has %d files, %d bytes; package %s has %d files, %d bytes",
			ErrStaleManifest, b.FileCount, b.TotalSize, p.ID, p.FileCount, p.TotalSize)
	}
	t := rec.Time
	p.Status, p.FinalizedAt, p.FinalizedIndex, p.ManifestDigest = StatusFinalized, &t, rec.Index, b.ManifestDigest
	return tx.SetJSON(packageKey(b.PackageID), p)
}

func applyObjectPut(tx *ledger.Tx, rec *ledger.Record) error {
	var b ObjectPut
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := checkRef(b.ObjectRef); err != nil {
		return err
	}
	if b.Zone == ZoneGolden || b.Zone == ZoneQuarantine {
		return fmt.Errorf("%w: object.put into zone %s", ErrGoldenGate, b.Zone)
	}
	if b.Zone != ZoneRaw {
		return fmt.Errorf("%w: objects are put by key in zone raw, not %q", ErrUnknownZone, shorten(b.Zone))
	}
	if err := CheckObjectKey(b.Key); err != nil {
		return err
	}
	if err := checkLandingOf(b.Landing, b.ObjectRef); err != nil {
		return err
	}
	if b.External != nil {
		if err := checkExternal(tx, rec, b.External, b.ObjectRef); err != nil {
			return err
		}
	}
	return putObject(tx, rec, b.ObjectRef, Object{Metadata: b.Metadata, Landing: b.Landing})
}

// applyObjectRead only checks the body: a data event changes no state.
func applyObjectRead(_ *ledger.Tx, rec *ledger.Record) error {
	var b ObjectRead
	return decode(rec, &b)
}
