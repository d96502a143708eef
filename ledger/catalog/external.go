package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zeebo/blake3"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
)

// External says where an object put by intake came from: an object version
// of an S3-compatible bucket that producers write into directly.
type External struct {
	URL          string    `json:"url"`        // s3://BUCKET/KEY
	VersionID    string    `json:"version_id"` // the bucket's version id ("null" when unversioned)
	ETag         string    `json:"etag,omitempty"`
	LastModified time.Time `json:"last_modified"`
	Size         int64     `json:"size"`
	// InPlace says the bytes were not copied into the store: reads fetch
	// the version from its bucket and check it against the digest
	// (intake's reference mode; see InPlaceRef).
	InPlace bool `json:"in_place,omitempty"`
}

// ErrExternalRecorded refuses a second object.put for one version of an
// external object: intake records each exactly once, across restarts.
var ErrExternalRecorded = errors.New("external object version already recorded")

const prefixExternal = "cat/ext/"

func externalKey(tenant, url, version string) []byte {
	return []byte(prefixExternal + tenant + "\x00" + url + "\x00" + version)
}

// checkExternal validates e and records it in tx, refusing a version
// recorded already (checked in the sequencer's transaction, so that two
// intakes racing, or one restarted, record it once).
func checkExternal(tx *ledger.Tx, rec *ledger.Record, e *External, ref ObjectRef) error {
	if !strings.HasPrefix(e.URL, "s3://") || len(e.URL) > 2048 || e.VersionID == "" || len(e.VersionID) > 1024 || e.Size != ref.Size {
		return fmt.Errorf("%w: external %q version %q of %d bytes for an object of %d", ErrInvalidBody, shorten(e.URL), shorten(e.VersionID), e.Size, ref.Size)
	}
	k := externalKey(rec.Tenant, e.URL, e.VersionID)
	if _, err := tx.Get(k); err == nil {
		return fmt.Errorf("%w: %s version %s", ErrExternalRecorded, shorten(e.URL), shorten(e.VersionID))
	} else if !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	if e.InPlace {
		// The first in-place version of a digest is where reads find it.
		ik := inPlaceKey(strings.TrimPrefix(ref.Digest, "sha256:"))
		if _, err := tx.Get(ik); errors.Is(err, ledger.ErrKeyNotFound) {
			if err := tx.SetJSON(ik, InPlaceRef{URL: e.URL, VersionID: e.VersionID}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
	}
	return tx.SetJSON(k, rec.Index)
}

const prefixInPlace = "cat/inplace/"

func inPlaceKey(hex string) []byte { return []byte(prefixInPlace + hex) }

// InPlaceRef is where the bytes of a blob recorded in place live: an
// object version of a bucket.
type InPlaceRef struct {
	URL       string `json:"url"`
	VersionID string `json:"version_id"`
}

// InPlace returns where the bytes of blob hex (sha256, lower-case hex) live
// when intake recorded them in place.
func (c *Catalog) InPlace(hex string) (InPlaceRef, bool, error) {
	b, err := c.log.Projection(inPlaceKey(hex))
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return InPlaceRef{}, false, nil
	}
	if err != nil {
		return InPlaceRef{}, false, err
	}
	var r InPlaceRef
	return r, true, json.Unmarshal(b, &r)
}

// PutExternalInPlace is PutExternal without the copy: it hashes r (sha256
// and BLAKE3, as the store would) and appends object.put naming ext with
// InPlace set; reads then fetch the version from its bucket.
func (s *Service) PutExternalInPlace(ctx context.Context, actor, tenant, key, mediaType string, ext External, r io.Reader) (*Object, uint64, error) {
	if err := CheckObjectKey(key); err != nil {
		return nil, 0, err
	}
	sh, bh := sha256.New(), blake3.New()
	n, err := io.Copy(io.MultiWriter(sh, bh), r)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", ext.URL, err)
	}
	ext.InPlace = true
	ref := ObjectRef{Zone: ZoneRaw, Key: key, Digest: "sha256:" + hex.EncodeToString(sh.Sum(nil)), Size: n,
		BLAKE3: hex.EncodeToString(bh.Sum(nil)), MediaType: mediaType}
	body := ObjectPut{ObjectRef: ref, Landing: landingOf(Landing{Source: ext.URL}), External: &ext}
	a, err := s.Catalog.log.AppendJSON(ctx, TypeObjectPut, actor, tenant, body)
	if err != nil {
		return nil, 0, err
	}
	o, err := s.Catalog.Object(tenant, ZoneRaw, key)
	return o, a.Record.Index, err
}

// ExternalRecorded reports whether the tenant's intake recorded that
// version of the external object url, and the index of its object.put.
func (c *Catalog) ExternalRecorded(tenant, url, version string) (uint64, bool, error) {
	b, err := c.log.Projection(externalKey(tenant, url, version))
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	var i uint64
	_, err = fmt.Sscan(string(b), &i)
	return i, err == nil, err
}

// PutExternal stores r, the bytes of the external object version ext, and
// appends object.put for raw/key naming ext (Landing.Source is its URL).
// A version recorded already is ErrExternalRecorded, with nothing
// appended (its bytes may be in the store: they are the same bytes).
func (s *Service) PutExternal(ctx context.Context, actor, tenant, key, mediaType string, ext External, r io.Reader) (*Object, uint64, error) {
	if err := CheckObjectKey(key); err != nil {
		return nil, 0, err
	}
	info, err := s.land(ctx, Landing{Source: ext.URL}, r)
	if err != nil {
		return nil, 0, err
	}
	ref := ObjectRef{Zone: ZoneRaw, Key: key, Digest: info.Digest.String(), Size: info.Size, BLAKE3: info.BLAKE3, MediaType: mediaType}
	body := ObjectPut{ObjectRef: ref, Landing: landingOf(Landing{Source: ext.URL}), External: &ext}
	a, err := s.Catalog.log.AppendJSON(ctx, TypeObjectPut, actor, tenant, body)
	if err != nil {
		return nil, 0, err
	}
	o, err := s.Catalog.Object(tenant, ZoneRaw, key)
	if err == nil && s.ObjectPut != nil {
		err = s.ObjectPut(ctx, tenant, o)
	}
	return o, a.Record.Index, err
}

// TypeObjectDrift records that an external object version intake recorded
// no longer holds the bytes it recorded: scrub --external re-read it from
// its bucket and found other bytes, or none.
const TypeObjectDrift = "object.drift"

// Drift problems.
const (
	DriftChanged = "changed" // the version's bytes hash to another digest
	DriftMissing = "missing" // the bucket no longer serves the version
)

// ObjectDrift is the body of object.drift.
type ObjectDrift struct {
	URL            string `json:"url"`
	VersionID      string `json:"version_id"`
	PutIndex       uint64 `json:"put_index"` // the object.put that recorded the version
	RecordedDigest string `json:"recorded_digest"`
	FoundDigest    string `json:"found_digest,omitempty"` // empty when missing
	Problem        string `json:"problem"`
}

// ErrDriftRecorded refuses an object.drift that says what the last one
// for that version said: a scrub reports a drift once.
var ErrDriftRecorded = errors.New("drift already recorded")

const prefixDrift = "cat/drift/"

func driftKey(tenant, url, version string) []byte {
	return []byte(prefixDrift + tenant + "\x00" + url + "\x00" + version)
}

func applyObjectDrift(tx *ledger.Tx, rec *ledger.Record) error {
	var b ObjectDrift
	if err := decode(rec, &b); err != nil {
		return err
	}
	if (b.Problem != DriftChanged || b.FoundDigest == "" || b.FoundDigest == b.RecordedDigest) && (b.Problem != DriftMissing || b.FoundDigest != "") {
		return fmt.Errorf("%w: drift %q with found digest %q", ErrInvalidBody, b.Problem, b.FoundDigest)
	}
	var put uint64
	if err := tx.GetJSON(externalKey(rec.Tenant, b.URL, b.VersionID), &put); err != nil {
		if errors.Is(err, ledger.ErrKeyNotFound) {
			return fmt.Errorf("%w: %s version %s was never recorded", ErrInvalidBody, shorten(b.URL), shorten(b.VersionID))
		}
		return err
	}
	if put != b.PutIndex {
		return fmt.Errorf("%w: %s version %s was recorded at %d, not %d", ErrInvalidBody, shorten(b.URL), shorten(b.VersionID), put, b.PutIndex)
	}
	k := driftKey(rec.Tenant, b.URL, b.VersionID)
	state := b.Problem + " " + b.FoundDigest
	if prev, err := tx.Get(k); err == nil && string(prev) == state {
		return fmt.Errorf("%w: %s version %s", ErrDriftRecorded, shorten(b.URL), shorten(b.VersionID))
	} else if err != nil && !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	tx.Set(k, []byte(state))
	return nil
}

// ExternalVersion is one external object version the tenant's intake
// recorded.
type ExternalVersion struct {
	URL, VersionID string
	PutIndex       uint64
}

// ExternalVersions calls fn for each external object version of the tenant
// whose URL starts with urlPrefix, in key order, until fn returns false or
// an error.
func (c *Catalog) ExternalVersions(ctx context.Context, tenant, urlPrefix string, fn func(ExternalVersion) (bool, error)) error {
	prefix := []byte(prefixExternal + tenant + "\x00" + urlPrefix)
	return c.log.ScanProjections(ctx, prefix, nil, func(k, v []byte) (bool, error) {
		rest := strings.TrimPrefix(string(k), prefixExternal+tenant+"\x00")
		url, version, ok := strings.Cut(rest, "\x00")
		if !ok {
			return false, fmt.Errorf("external projection key %q", k)
		}
		var put uint64
		if _, err := fmt.Sscan(string(v), &put); err != nil {
			return false, fmt.Errorf("external projection %q: %w", k, err)
		}
		return fn(ExternalVersion{URL: url, VersionID: version, PutIndex: put})
	})
}

// DriftReport is what an external scrub found: the versions it re-read and
// those that drifted (recorded now or by an earlier scrub).
type DriftReport struct {
	Checked int           `json:"checked"`
	Drifted []ObjectDrift `json:"drifted"`
}

// TypeObjectDeleted records that an object intake recorded was deleted in
// its bucket: a delete marker appeared. The bytes recorded before stay in
// the store, as evidence.
const TypeObjectDeleted = "object.deleted"

// ObjectDeleted is the body of object.deleted: the raw object the external
// object was recorded as, and the delete marker (its version id and time;
// Size zero).
type ObjectDeleted struct {
	Zone     string   `json:"zone"`
	Key      string   `json:"key"`
	External External `json:"external"`
}

func applyObjectDeleted(tx *ledger.Tx, rec *ledger.Record) error {
	var b ObjectDeleted
	if err := decode(rec, &b); err != nil {
		return err
	}
	if b.Zone != ZoneRaw {
		return fmt.Errorf("%w: object.deleted of zone %q, want raw", ErrInvalidBody, b.Zone)
	}
	if err := CheckObjectKey(b.Key); err != nil {
		return err
	}
	e := b.External
	if !strings.HasPrefix(e.URL, "s3://") || len(e.URL) > 2048 || e.VersionID == "" || len(e.VersionID) > 1024 || e.Size != 0 {
		return fmt.Errorf("%w: delete marker %q version %q", ErrInvalidBody, shorten(e.URL), shorten(e.VersionID))
	}
	k := externalKey(rec.Tenant, e.URL, e.VersionID)
	if _, err := tx.Get(k); err == nil {
		return fmt.Errorf("%w: %s delete marker %s", ErrExternalRecorded, shorten(e.URL), shorten(e.VersionID))
	} else if !errors.Is(err, ledger.ErrKeyNotFound) {
		return err
	}
	return tx.SetJSON(k, rec.Index)
}

// TypePackagePublished records that a finalized package was published to
// an OCI registry (package oci): where, and the digests of the artifact
// manifest and of its attestation.
const TypePackagePublished = "package.published"

// PackagePublished is the body of package.published.
type PackagePublished struct {
	PackageID         string   `json:"package_id"`
	Registry          string   `json:"registry"`
	Repository        string   `json:"repository"`
	Tag               string   `json:"tag"`
	ManifestDigest    string   `json:"manifest_digest"`
	AttestationDigest string   `json:"attestation_digest"`
	Promotions        []uint64 `json:"promotion_indexes"`
}

func applyPackagePublished(tx *ledger.Tx, rec *ledger.Record) error {
	var b PackagePublished
	if err := decode(rec, &b); err != nil {
		return err
	}
	p, err := PackageIn(tx, rec.Tenant, b.PackageID)
	if err != nil {
		return err
	}
	if p.Status != StatusFinalized {
		return fmt.Errorf("%w: %s", ErrNotFinalized, p.ID)
	}
	for _, d := range []string{b.ManifestDigest, b.AttestationDigest} {
		if _, err := cas.ParseDigest(d); err != nil {
			return fmt.Errorf("%w: digest %q", ErrInvalidBody, shorten(d))
		}
	}
	if b.Registry == "" || b.Repository == "" || b.Tag == "" || len(b.Registry)+len(b.Repository)+len(b.Tag) > 1024 {
		return fmt.Errorf("%w: registry %q repository %q tag %q", ErrInvalidBody, shorten(b.Registry), shorten(b.Repository), shorten(b.Tag))
	}
	return nil
}
