package catalog

import (
	"errors"
	"fmt"

	"github.com/assay-ledger/assay/ledger"
)

// PackageIn returns the tenant's package id as the projections inside tx
// hold it, for the Appliers of other domains (retention) that act on
// packages; another tenant's package is ErrPackageNotFound. Only the
// catalog's own Appliers write packages.
func PackageIn(tx *ledger.Tx, tenant, id string) (*Package, error) {
	var p Package
	err := tx.GetJSON(packageKey(id), &p)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && p.Tenant != tenant {
		return nil, fmt.Errorf("%w: %q", ErrPackageNotFound, shorten(id))
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// BlobIn returns what the projections inside tx record about the blob
// with sha256 hex digits hex, for the Appliers of other domains (the
// deletion of packages) that count its references; ok is false when no
// object references it.
func BlobIn(tx *ledger.Tx, hex string) (b Blob, ok bool, err error) {
	err = tx.GetJSON(blobKey(hex), &b)
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return Blob{}, false, nil
	}
	return b, err == nil, err
}
