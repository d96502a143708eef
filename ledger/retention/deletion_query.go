package retention

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// Deletion returns the latest deletion of the tenant's package id, nil
// when it was never deleted: a tombstone, kept after the bytes are gone.
func (s *Service) Deletion(tenant, id string) (*Deletion, error) {
	if _, err := s.cat.Package(tenant, id); err != nil {
		return nil, err
	}
	return s.deletion(id)
}

func (s *Service) deletion(id string) (*Deletion, error) {
	var d Deletion
	ok, err := s.projection(deletionKey(id), &d)
	if !ok || err != nil {
		return nil, err
	}
	return &d, nil
}

// CheckReadable returns a *GoneError (ErrGone) when the bytes of package
// id are withheld by a deletion, with the index of its deletion.started
// entry; nil when they may be read.
func (s *Service) CheckReadable(id string) error {
	d, err := s.deletion(id)
	if err != nil {
		return err
	}
	if d.Gone() {
		return &GoneError{Err: ErrGone, PackageID: id, Index: d.StartedIndex}
	}
	return nil
}

func (s *Service) blobCount(hex string) (blobCount, error) {
	var c blobCount
	_, err := s.projection(blobCountKey(hex), &c)
	return c, err
}

// blobRefs returns the distinct blobs of the files of package p in digest
// order, each with how many of its files hold it and whether deleting p
// leaves it with no live reference, and the bytes so freed.
func (s *Service) blobRefs(ctx context.Context, p *catalog.Package) ([]BlobRef, int64, error) {
	files, err := s.cat.Files(ctx, p.Tenant, p.ID)
	if err != nil {
		return nil, 0, err
	}
	byDigest := map[string]*BlobRef{}
	for _, f := range files {
		r := byDigest[f.Digest]
		if r == nil {
			r = &BlobRef{Digest: f.Digest, Size: f.Size}
			byDigest[f.Digest] = r
		}
		r.Refs++
	}
	out := make([]BlobRef, 0, len(byDigest))
	var bytes int64
	for _, r := range byDigest {
		hex := strings.TrimPrefix(r.Digest, "sha256:")
		b, ok, err := s.cat.Blob(hex)
		if err != nil {
			return nil, 0, err
		}
		if !ok {
			return nil, 0, fmt.Errorf("catalog has no blob %s of package %s", r.Digest, p.ID)
		}
		c, err := s.blobCount(hex)
		if err != nil {
			return nil, 0, err
		}
		r.Freed = b.Refs-c.Deleted-c.Purged-r.Refs == 0
		if r.Freed {
			bytes += r.Size
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b BlobRef) int { return strings.Compare(a.Digest, b.Digest) })
	return out, bytes, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Withheld says whether every reference to the blob digest belongs to a
// deleted package, so that its bytes are in the trash or purged: the
// catalog's scrub does not expect them (catalog.Service.Withheld).
func (s *Service) Withheld(digest string) (bool, error) {
	live, err := s.liveRefs(digest)
	if err != nil {
		return false, err
	}
	c, err := s.blobCount(strings.TrimPrefix(digest, "sha256:"))
	return err == nil && live == 0 && c.Deleted+c.Purged > 0, err
}
