package cas

import (
	"context"
	"errors"
	"iter"
)

// ScrubOptions tune [Scrub].
type ScrubOptions struct {
	// Full also recomputes each blob's sha256 address, not only its BLAKE3.
	Full bool
	// OnProblem, if set, is called for every blob found missing, corrupt
	// or unreadable, with the error Verify returned (test it with
	// errors.Is against ErrNotFound or ErrCorrupt). Callers log and record
	// these; Scrub itself does neither.
	OnProblem func(d Digest, err error)
}

// ScrubResult counts what a scrub found.
type ScrubResult struct {
	Checked int // blobs verified, whatever the outcome
	Corrupt int // blobs whose bytes no longer match (ErrCorrupt)
	Missing int // digests with no stored blob (ErrNotFound)
	Failed  int // blobs that could not be read for another reason
}

// Problems returns the number of blobs that were not intact.
func (r ScrubResult) Problems() int { return r.Corrupt + r.Missing + r.Failed }

// Scrub verifies blobs with [Store.Verify]: every digest digests yields (a
// catalog's view, which is how missing blobs are found) or, when digests is
// nil, every blob [Store.Walk] finds. Problems with single blobs are counted
// and reported through opt.OnProblem; the scrub stops early only when the
// context ends or the backend is unavailable, returning the counts so far
// and that error.
func Scrub(ctx context.Context, s Store, digests iter.Seq[Digest], opt ScrubOptions) (ScrubResult, error) {
	var res ScrubResult
	check := func(d Digest) error {
		err := s.Verify(ctx, d, opt.Full)
		res.Checked++
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrUnavailable):
			return err
		case errors.Is(err, ErrNotFound):
			res.Missing++
		case errors.Is(err, ErrCorrupt):
			res.Corrupt++
		default:
			res.Failed++
		}
		if opt.OnProblem != nil {
			opt.OnProblem(d, err)
		}
		return nil
	}
	if digests == nil {
		return res, s.Walk(ctx, check)
	}
	for d := range digests {
		if err := check(d); err != nil {
			return res, err
		}
	}
	return res, nil
}
