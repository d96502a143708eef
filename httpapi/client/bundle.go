package client

import (
	"context"
	"fmt"
	"io"
	"strings"

	tclient "github.com/transparency-dev/tessera/client"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/verifier"
)

// BundleOptions say which entries of the server's log an air-gap bundle
// holds and whether it carries the blobs they name. They are the choices
// of `assay bundle export`, which fills them from its flags.
type BundleOptions struct {
	// From is the first entry index: 0, or where the previous bundle ended.
	From uint64
	// To ends the bundle (exclusive); it must be a size with a published
	// checkpoint. Zero means the latest checkpoint's size.
	To uint64
	// Blobs carries the blobs the entries name, by digest or by cas:// URI
	// (the token needs scope store:admin).
	Blobs bool
	// AllowMissing, with Blobs, lists what the store does not hold in the
	// bundle's header instead of refusing with a *MissingBlobsError.
	AllowMissing bool
}

// RangeError refuses a bundle whose From lies beyond the size of the
// checkpoint it would end at.
type RangeError struct {
	From uint64 // the first index asked for
	Size uint64 // the size of the checkpoint at the bundle's end
}

// Error says which index is out of range.
func (e *RangeError) Error() string {
	return fmt.Sprintf("from %d is beyond the checkpoint's size %d", e.From, e.Size)
}

// MissingBlobsError refuses a bundle with blobs (BundleOptions.Blobs) when
// its entries name blobs the server's store does not hold and
// BundleOptions.AllowMissing is off, so that no bundle silently lacks
// evidence.
type MissingBlobsError struct {
	Digests int // digests the entries name that the store does not hold
	CAS     int // cas:// URIs that name no object of their tenant
}

// Error counts what is missing.
func (e *MissingBlobsError) Error() string {
	return fmt.Sprintf("%d digests and %d cas:// paths the entries name are not in the store", e.Digests, e.CAS)
}

// BundleContents fetches what bundle.Write needs besides the entries to
// write a bundle of the server's log as o describes it: the signed
// checkpoint at the bundle's end (its header's To), the consistency proof
// from o.From to it and the compact range of [0, o.From) from the tiles.
// With o.Blobs the contents' Resolve looks up, when bundle.Write asks, the
// blobs the entries name and what their cas:// URIs resolve to, and reads
// them from the server as they are written. Nothing is verified here: the
// bundle is checked as a whole by bundle.Verify. The entries come from
// BundleEntries.
func (c *Client) BundleContents(ctx context.Context, o BundleOptions) (bundle.Contents, error) {
	var b bundle.Contents
	note, err := c.Checkpoint(ctx)
	if o.To != 0 {
		note, err = c.CheckpointAt(ctx, o.To)
	}
	if err != nil {
		return b, err
	}
	cp, err := verifier.ReadCheckpoint(note)
	if err != nil {
		return b, err
	}
	if o.From > cp.Size {
		return b, &RangeError{From: o.From, Size: cp.Size}
	}
	b.Header = bundle.Header{Origin: cp.Origin, From: o.From, To: cp.Size}
	b.Checkpoint = note
	if o.Blobs {
		b.Resolve = func(refs bundle.References) (bundle.Resolution, error) {
			return c.resolveRefs(ctx, refs, o.AllowMissing)
		}
	}
	if o.From > 0 && o.From < cp.Size {
		p, err := c.ConsistencyProof(ctx, o.From, cp.Size)
		if err != nil {
			return b, err
		}
		b.Consistency = wire.Bytes(p.Hashes)
	}
	if o.From > 0 {
		if b.BaseRange, err = tclient.FetchRangeNodes(ctx, o.From, c.Tile); err != nil {
			return b, fmt.Errorf("compact range at %d from the tiles: %w", o.From, err)
		}
	}
	return b, nil
}

// resolveRefs finds each referenced digest in the server's store and what
// each cas:// URI names for its tenant; anything not found refuses the
// export with a *MissingBlobsError unless allowMissing.
func (c *Client) resolveRefs(ctx context.Context, refs bundle.References, allowMissing bool) (bundle.Resolution, error) {
	var res bundle.Resolution
	blob := func(d string, size int64) bundle.Blob {
		return bundle.Blob{Hex: d, Size: size, Open: func() (io.ReadCloser, error) { return c.Blob(ctx, d) }}
	}
	for _, d := range refs.Digests {
		size, found, err := c.BlobSize(ctx, d)
		if err != nil {
			return res, err
		}
		if !found {
			res.Missing = append(res.Missing, d)
			continue
		}
		res.Blobs = append(res.Blobs, blob(d, size))
	}
	unresolved := 0
	for _, r := range refs.CAS {
		obj, found, err := c.ResolveCAS(ctx, r.Tenant, r.URI)
		if err != nil {
			return res, err
		}
		if found {
			r.Digest = strings.TrimPrefix(obj.Digest, "sha256:")
			res.Blobs = append(res.Blobs, blob(r.Digest, obj.Size))
		} else {
			unresolved++
		}
		res.CAS = append(res.CAS, r)
	}
	if (len(res.Missing) > 0 || unresolved > 0) && !allowMissing {
		return res, &MissingBlobsError{Digests: len(res.Missing), CAS: unresolved}
	}
	return res, nil
}

// BundleEntries returns the entry source bundle.Write reads: it yields the
// entries [from, to) one by one, fetched from the server a page at a time,
// and io.EOF after the last, so memory stays one page whatever the count.
// An answer with another index than the next one expected, or an empty
// page, is an error. progress, when not nil, is called after each entry
// with how many have been yielded and to-from, for a progress display.
func (c *Client) BundleEntries(ctx context.Context, from, to uint64, progress func(done, total uint64)) func() ([]byte, error) {
	var page []wire.LogEntry
	next := from
	return func() ([]byte, error) {
		if len(page) == 0 {
			if next >= to {
				return nil, io.EOF
			}
			var err error
			if page, err = c.Entries(ctx, next, min(next+wire.MaxPage, to)); err != nil {
				return nil, err
			}
			if len(page) == 0 {
				return nil, fmt.Errorf("server answered the page at %d with no entries", next)
			}
		}
		e := page[0]
		if e.Index != next {
			return nil, fmt.Errorf("server answered entry %d where %d belongs", e.Index, next)
		}
		page, next = page[1:], next+1
		if progress != nil {
			progress(next-from, to-from)
		}
		return e.Entry, nil
	}
}
