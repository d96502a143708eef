package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/assay-ledger/assay/cas"
)

// Entry types a scrub appends: one finding per blob that is not intact (up
// to MaxFindings), then the totals.
const (
	TypeScrubFinding   = "scrub.finding"
	TypeScrubCompleted = "scrub.completed"
)

// MaxFindings bounds the findings one scrub logs and reports; the counts
// include the rest.
const MaxFindings = 1000

// Finding is one blob a scrub found missing, corrupt or unreadable; it is
// also the body of a scrub.finding entry.
type Finding struct {
	Digest  string `json:"digest"`
	Problem string `json:"problem"` // "missing", "corrupt" or "failed"
	Detail  string `json:"detail"`
}

// ScrubReport is what a scrub found; without Findings it is the body of
// the scrub.completed entry.
type ScrubReport struct {
	Full    bool `json:"full"`
	Checked int  `json:"checked"`
	Corrupt int  `json:"corrupt"`
	Missing int  `json:"missing"`
	Failed  int  `json:"failed"`
	// Withheld counts the blobs not checked because every reference to
	// them belongs to a deleted package (Service.Withheld).
	Withheld int       `json:"withheld,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
}

// Scrub re-reads every blob the catalog references and checks it: the
// store's own check (size and BLAKE3, and sha256 when full is set), then
// the BLAKE3 and size the catalog recorded when the blob was registered.
// Each problem is logged as a scrub.finding entry and the totals as
// scrub.completed, with actor as their actor. It stops early only when the
// context ends or the store is unavailable.
func (s *Service) Scrub(ctx context.Context, actor string, full bool) (*ScrubReport, error) {
	rep := &ScrubReport{Full: full}
	var scanErr error
	for digest, blob := range s.Catalog.Blobs(ctx, &scanErr) {
		if s.Withheld != nil {
			gone, err := s.Withheld(digest)
			if err != nil {
				return rep, err
			}
			if gone {
				rep.Withheld++
				continue
			}
		}
		f, err := s.checkBlob(ctx, digest, blob, full)
		rep.Checked++
		if err != nil {
			return rep, err
		}
		if f == nil {
			continue
		}
		switch f.Problem {
		case "missing":
			rep.Missing++
		case "corrupt":
			rep.Corrupt++
		default:
			rep.Failed++
		}
		if len(rep.Findings) < MaxFindings {
			rep.Findings = append(rep.Findings, *f)
		}
	}
	if scanErr != nil {
		return rep, scanErr
	}
	for _, f := range rep.Findings {
		if _, err := s.Catalog.log.AppendJSON(ctx, TypeScrubFinding, actor, "", f); err != nil {
			return rep, err
		}
	}
	totals := *rep
	totals.Findings = nil
	_, err := s.Catalog.log.AppendJSON(ctx, TypeScrubCompleted, actor, "", totals)
	return rep, err
}

// checkBlob verifies one blob; it returns a finding for a damaged blob and
// an error only when the scrub must stop.
func (s *Service) checkBlob(ctx context.Context, digest string, blob Blob, full bool) (*Finding, error) {
	d, err := cas.ParseDigest(digest)
	if err != nil {
		return &Finding{Digest: digest, Problem: "failed", Detail: err.Error()}, nil
	}
	err = s.Store.Verify(ctx, d, full)
	if err == nil {
		var info cas.Info
		if info, err = s.Store.Head(ctx, d); err == nil && (info.BLAKE3 != blob.BLAKE3 || info.Size != blob.Size) {
			err = fmt.Errorf("%w: store records %d bytes, BLAKE3 %s; catalog %d bytes, BLAKE3 %s",
				cas.ErrCorrupt, info.Size, info.BLAKE3, blob.Size, blob.BLAKE3)
		}
	}
	switch {
	case err == nil:
		return nil, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, cas.ErrUnavailable):
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	case errors.Is(err, cas.ErrNotFound):
		return &Finding{Digest: digest, Problem: "missing", Detail: shorten(err.Error())}, nil
	case errors.Is(err, cas.ErrCorrupt):
		return &Finding{Digest: digest, Problem: "corrupt", Detail: err.Error()}, nil
	}
	return &Finding{Digest: digest, Problem: "failed", Detail: err.Error()}, nil
}
