package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
	return tx.SetJSON(k, rec.Index)
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
