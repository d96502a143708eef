package catalog

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/assay-ledger/assay/ledger"
)

// MaxPage bounds one page of a listing.
const MaxPage = 1000

// ErrInvalidCursor reports a listing cursor this catalog did not issue.
var ErrInvalidCursor = errors.New("invalid cursor")

// Catalog reads the catalog's projections from a log. Every read takes the
// caller's tenant and treats another tenant's data as absent.
type Catalog struct{ log *ledger.Log }

// New returns the catalog view of l, which must have been opened with
// Appliers.
func New(l *ledger.Log) *Catalog { return &Catalog{log: l} }

// Log returns the log the catalog reads.
func (c *Catalog) Log() *ledger.Log { return c.log }

func (c *Catalog) getJSON(key []byte, v any, notFound error, what string) error {
	b, err := c.log.Projection(key)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return fmt.Errorf("%w: %q", notFound, shorten(what))
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Package returns the tenant's package id.
func (c *Catalog) Package(tenant, id string) (*Package, error) {
	var p Package
	if err := c.getJSON(packageKey(id), &p, ErrPackageNotFound, id); err != nil {
		return nil, err
	}
	if p.Tenant != tenant {
		return nil, fmt.Errorf("%w: %q", ErrPackageNotFound, shorten(id))
	}
	return &p, nil
}

// PackageFilter selects packages in a listing; empty fields match all.
type PackageFilter struct{ Producer, Subject, RunID, Status string }

func (f PackageFilter) match(p *Package) bool {
	return (f.Producer == "" || f.Producer == p.Producer) && (f.Subject == "" || f.Subject == p.Subject) &&
		(f.RunID == "" || f.RunID == p.RunID) && (f.Status == "" || f.Status == p.Status)
}

// Packages lists the tenant's packages matching f in creation order, at
// most limit of them after cursor ("" for the start), and returns the
// cursor of the next page ("" on the last).
func (c *Catalog) Packages(ctx context.Context, tenant string, f PackageFilter, cursor string, limit int) ([]Package, string, error) {
	return c.PackagesWhere(ctx, tenant, func(p *Package) (bool, error) { return f.match(p), nil }, cursor, limit)
}

// PackagesWhere lists the tenant's packages for which keep says true, in
// creation order, paged like Packages. Other domains filter the catalog's
// packages by their own state with it.
func (c *Catalog) PackagesWhere(ctx context.Context, tenant string, keep func(*Package) (bool, error), cursor string, limit int) ([]Package, string, error) {
	var out []Package
	prefix := packageListPrefix(tenant)
	next, err := c.page(ctx, prefix, prefix, cursor, limit, func(_, v []byte) (bool, error) {
		p, err := c.Package(tenant, string(v))
		if err != nil {
			return false, err
		}
		if ok, err := keep(p); !ok || err != nil {
			return false, err
		}
		out = append(out, *p)
		return true, nil
	})
	return out, next, err
}

// page scans the keys starting with scan after cursor, calling take for
// each; take says whether it kept the item. It stops after limit kept items
// and returns the cursor of the last key visited (its part after base)
// when more may follow.
func (c *Catalog) page(ctx context.Context, base, scan []byte, cursor string, limit int, take func(k, v []byte) (bool, error)) (string, error) {
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	var after []byte
	if cursor != "" {
		suffix, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return "", fmt.Errorf("%w: %q", ErrInvalidCursor, shorten(cursor))
		}
		after = append(append([]byte{}, base...), suffix...)
		if bytes.Compare(after, scan) < 0 {
			after = nil // the scan starts beyond the cursor
		}
	}
	kept, next := 0, ""
	err := c.log.ScanProjections(ctx, scan, after, func(k, v []byte) (bool, error) {
		if kept == limit {
			return false, nil
		}
		ok, err := take(k, v)
		if ok {
			kept++
		}
		if kept == limit {
			next = base64.RawURLEncoding.EncodeToString(k[len(base):])
		}
		return err == nil, err
	})
	if err != nil {
		return "", err
	}
	return next, nil
}

// Files returns the files of the tenant's package id in path order.
func (c *Catalog) Files(ctx context.Context, tenant, id string) ([]File, error) {
	if _, err := c.Package(tenant, id); err != nil {
		return nil, err
	}
	var files []File
	err := c.log.ScanProjections(ctx, filePrefix(id), nil, func(_, v []byte) (bool, error) {
		var f File
		if err := json.Unmarshal(v, &f); err != nil {
			return false, err
		}
		files = append(files, f)
		return true, nil
	})
	return files, err
}

// HasFile reports whether the package already holds path.
func (c *Catalog) HasFile(id, path string) (bool, error) {
	_, err := c.log.Projection(fileKey(id, path))
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// File returns the tenant's file by id.
func (c *Catalog) File(tenant, fileID string) (*File, error) {
	loc, err := c.log.Projection(fileIDKey(fileID))
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %q", ErrFileNotFound, shorten(fileID))
	}
	if err != nil {
		return nil, err
	}
	pkg, path, _ := strings.Cut(string(loc), "\x00")
	if _, err := c.Package(tenant, pkg); err != nil {
		return nil, fmt.Errorf("%w: %q", ErrFileNotFound, shorten(fileID))
	}
	var f File
	if err := c.getJSON(fileKey(pkg, path), &f, ErrFileNotFound, fileID); err != nil {
		return nil, err
	}
	return &f, nil
}

// Object returns the current version of the tenant's object zone/key.
func (c *Catalog) Object(tenant, zone, key string) (*Object, error) {
	var o Object
	if err := c.getJSON(objectKey(tenant, zone, key), &o, ErrObjectNotFound, zone+"/"+key); err != nil {
		return nil, err
	}
	return &o, nil
}

// Objects lists the current versions of the tenant's objects in zone whose
// keys start with prefix, in key order, paged like Packages.
func (c *Catalog) Objects(ctx context.Context, tenant, zone, prefix, cursor string, limit int) ([]Object, string, error) {
	base := objectPrefix(tenant, zone)
	return c.objectPage(ctx, base, append(append([]byte{}, base...), prefix...), cursor, limit)
}

// ObjectVersion returns version (the index of the entry that put it) of
// the tenant's object zone/key.
func (c *Catalog) ObjectVersion(tenant, zone, key string, version uint64) (*Object, error) {
	var o Object
	if err := c.getJSON(historyKey(tenant, zone, key, version), &o, ErrObjectNotFound, fmt.Sprintf("%s/%s version %d", zone, key, version)); err != nil {
		return nil, err
	}
	return &o, nil
}

// Versions lists every version of the tenant's object zone/key, oldest
// first, paged like Packages.
func (c *Catalog) Versions(ctx context.Context, tenant, zone, key, cursor string, limit int) ([]Object, string, error) {
	prefix := historyPrefix(tenant, zone, key)
	return c.objectPage(ctx, prefix, prefix, cursor, limit)
}

// objectPage is a page of the Object values under base, from the keys
// that start with scan, as c.page cuts it.
func (c *Catalog) objectPage(ctx context.Context, base, scan []byte, cursor string, limit int) ([]Object, string, error) {
	var out []Object
	next, err := c.page(ctx, base, scan, cursor, limit, func(_, v []byte) (bool, error) {
		var o Object
		if err := json.Unmarshal(v, &o); err != nil {
			return false, err
		}
		out = append(out, o)
		return true, nil
	})
	return out, next, err
}

// Blobs yields every blob the catalog references with what it recorded
// about it, in digest order, for scrubbing. A read error ends the sequence
// and is stored in *errp.
func (c *Catalog) Blobs(ctx context.Context, errp *error) iter.Seq2[string, Blob] {
	return func(yield func(string, Blob) bool) {
		*errp = c.log.ScanProjections(ctx, []byte(prefixBlob), nil, func(k, v []byte) (bool, error) {
			var b Blob
			if err := json.Unmarshal(v, &b); err != nil {
				return false, err
			}
			return yield("sha256:"+string(k[len(prefixBlob):]), b), nil
		})
	}
}

// Blob returns what the catalog records about the blob with sha256 hex
// digits hex; ok is false when no object references it.
func (c *Catalog) Blob(hex string) (b Blob, ok bool, err error) {
	v, err := c.log.Projection(blobKey(hex))
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return Blob{}, false, nil
	}
	if err != nil {
		return Blob{}, false, err
	}
	if err := json.Unmarshal(v, &b); err != nil {
		return Blob{}, false, err
	}
	return b, true, nil
}

// Tenants returns every tenant that has created a package, in order.
func (c *Catalog) Tenants(ctx context.Context) ([]string, error) {
	var out []string
	after := []byte(nil)
	for {
		var found string
		err := c.log.ScanProjections(ctx, []byte(prefixPackageList), after, func(k, _ []byte) (bool, error) {
			found, _, _ = strings.Cut(string(k[len(prefixPackageList):]), "\x00")
			return false, nil
		})
		if err != nil || found == "" {
			return out, err
		}
		out = append(out, found)
		after = append(packageListPrefix(found), 0xff) // skip the rest of its packages
	}
}
