package bundle

import (
	"context"
	"fmt"
	"io"

	"github.com/assay-ledger/assay/ledger"
)

// Import verifies the bundle that open returns, then reads it again and
// replays its entries into l in chunks, each checked by l against the root
// the verification recorded, so a file changed between the two reads is
// refused at the first chunk that differs. Nothing is imported from a bundle
// that fails verification; importing it again adds nothing.
// Blobs the bundle carries go to sink (before the entries that name them);
// a bundle with blobs needs one.
func Import(ctx context.Context, open func() (io.ReadCloser, error), l *ledger.Log, o Options, sink BlobSink) (ledger.ImportResult, error) {
	v, err := verifyFile(open, o)
	if err != nil {
		return ledger.ImportResult{}, err
	}
	if v.Header.Blobs && sink == nil {
		return ledger.ImportResult{}, fmt.Errorf("the bundle carries blobs and no content store was given to keep them")
	}
	rc, err := open()
	if err != nil {
		return ledger.ImportResult{}, err
	}
	defer rc.Close()
	var res ledger.ImportResult
	start, chunk := v.Header.From, [][]byte(nil)
	_, err = scan(rc, o, sink, func(i uint64, e []byte) error {
		chunk = append(chunk, e)
		end, ok := v.roots[i+1]
		if !ok {
			return nil
		}
		r, err := l.Import(ctx, start, chunk, v.roots[start], end)
		if err != nil {
			return fmt.Errorf("entries [%d, %d): %w", start, i+1, err)
		}
		res.Added += r.Added
		res.Size, res.Root = r.Size, r.Root
		start, chunk = i+1, nil
		return nil
	})
	if err == nil && v.Entries == 0 {
		res, err = l.Import(ctx, v.Header.From, nil, v.BaseRoot, v.BaseRoot)
	}
	return res, err
}

func verifyFile(open func() (io.ReadCloser, error), o Options) (*Verified, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return Verify(rc, o)
}

// Replay reads the bundle once, verifying it as Verify does while it hands
// each blob to sink (when not nil) and each entry to fn, in order (blobs
// come before the entries). fn sees entries before the bundle's end is
// checked: a caller must discard what it derived from them when Replay
// returns an error, as policy audit does.
func Replay(r io.Reader, o Options, sink BlobSink, fn func(index uint64, entry []byte) error) (*Verified, error) {
	return scan(r, o, sink, fn)
}
