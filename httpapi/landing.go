package httpapi

import (
	"fmt"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// landingFrom reads the landing metadata of a PUT by key or of one
// multipart part: the expected digest (wire.DigestHeader, at most one),
// source, commit and tier (at most one each) and the chain-of-custody
// references (wire.CustodyHeader, repeatable).
func landingFrom(h textprotoHeader) (catalog.Landing, error) {
	var l catalog.Landing
	d, err := expectedDigest(h.Values(wire.DigestHeader))
	if err != nil {
		return l, err
	}
	if !d.IsZero() {
		l.ExpectedDigest = d.String()
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{wire.SourceHeader, &l.Source}, {wire.CommitHeader, &l.Commit}, {wire.TierHeader, &l.Tier}} {
		switch vs := h.Values(f.name); len(vs) {
		case 0:
		case 1:
			*f.dst = vs[0]
		default:
			return l, fmt.Errorf("%w: %d %s headers, want at most one", catalog.ErrInvalidField, len(vs), f.name)
		}
	}
	l.Custody = h.Values(wire.CustodyHeader)
	return l, catalog.CheckLanding(&l)
}
