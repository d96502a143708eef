package cas_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

// verifyOnly is a Store whose Verify and Walk are scripted; Scrub uses
// nothing else.
type verifyOnly struct {
	cas.Store
	results map[cas.Digest]error
	order   []cas.Digest
}

func (v verifyOnly) Verify(_ context.Context, d cas.Digest, _ bool) error { return v.results[d] }

func (v verifyOnly) Walk(_ context.Context, fn func(cas.Digest) error) error {
	for _, d := range v.order {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

func TestScrubClassifies(t *testing.T) {
	ds := make([]cas.Digest, 6)
	for i := range ds {
		ds[i] = cas.DigestOf([]byte{byte(i)})
	}
	outcomes := []error{
		nil,
		fmt.Errorf("x: %w", cas.ErrCorrupt),
		fmt.Errorf("x: %w", cas.ErrCorrupt),
		fmt.Errorf("x: %w", cas.ErrNotFound),
		errors.New("permission denied"),
		nil,
	}
	store := verifyOnly{results: map[cas.Digest]error{}, order: ds}
	for i, d := range ds {
		store.results[d] = outcomes[i]
	}
	tests := []struct {
		name    string
		digests []cas.Digest
	}{
		{"catalog", ds},
		{"walk", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reported []cas.Digest
			opt := cas.ScrubOptions{OnProblem: func(d cas.Digest, _ error) { reported = append(reported, d) }}
			var seq func(func(cas.Digest) bool)
			if tc.digests != nil {
				seq = slices.Values(tc.digests)
			}
			res, err := cas.Scrub(t.Context(), store, seq, opt)
			want := cas.ScrubResult{Checked: 6, Corrupt: 2, Missing: 1, Failed: 1}
			if err != nil || res != want || res.Problems() != 4 {
				t.Fatalf("Scrub = %+v, %v; want %+v", res, err, want)
			}
			if !slices.Equal(reported, ds[1:5]) {
				t.Fatalf("reported %v, want %v", reported, ds[1:5])
			}
		})
	}
}

func TestScrubStopsWhenUnavailable(t *testing.T) {
	ds := []cas.Digest{cas.DigestOf([]byte("a")), cas.DigestOf([]byte("b")), cas.DigestOf([]byte("c"))}
	store := verifyOnly{results: map[cas.Digest]error{ds[1]: fmt.Errorf("down: %w", cas.ErrUnavailable)}, order: ds}
	res, err := cas.Scrub(t.Context(), store, slices.Values(ds), cas.ScrubOptions{})
	if !errors.Is(err, cas.ErrUnavailable) || res.Checked != 2 {
		t.Fatalf("Scrub = %+v, %v; want a stop after 2 with ErrUnavailable", res, err)
	}
}
