package promotion

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// DefaultGoldenLayout is the curated structure of zone golden the seed
// workflow names: objects arrive in incoming/, are worked on in
// processing/, published in golden/ and retired to archive/. A server
// configured with it (assay serve --golden-layout) refuses promotions to
// any other top-level prefix.
var DefaultGoldenLayout = []string{"incoming/", "processing/", "golden/", "archive/"}

// ErrOutsideLayout refuses a destination outside the configured top-level
// prefixes of zone golden.
var ErrOutsideLayout = errors.New("promotion destination outside the golden layout")

// CheckLayout validates the configured top-level prefixes of zone golden
// (NewService calls it; serve, before it records the policy):
// each one path segment ending in "/", none twice. It returns them sorted.
func CheckLayout(layout []string) ([]string, error) {
	out := slices.Sorted(slices.Values(layout))
	for i, p := range out {
		seg, ok := strings.CutSuffix(p, "/")
		if !ok || seg == "" || strings.Contains(seg, "/") || catalog.ValidatePath(seg) != nil {
			return nil, fmt.Errorf("promotion: golden layout prefix %q: want one path segment and a slash, such as incoming/", p)
		}
		if i > 0 && out[i-1] == p {
			return nil, fmt.Errorf("promotion: golden layout prefix %q given twice", p)
		}
	}
	return out, nil
}

// inLayout refuses the golden key prefix dest (the part after "golden/")
// unless it lies under one of layout's prefixes; an empty layout allows
// every prefix.
func inLayout(layout []string, dest string) error {
	if len(layout) == 0 {
		return nil
	}
	for _, p := range layout {
		if strings.HasPrefix(dest, p) {
			return nil
		}
	}
	return fmt.Errorf("%w: golden/%s: want a prefix under golden/ of %s", ErrOutsideLayout, short(dest), strings.Join(layout, ", "))
}

// Layout returns the configured top-level prefixes of zone golden, sorted
// (none: every prefix is allowed).
func (s *Service) Layout() []string { return slices.Clone(s.layout) }

// topLevel is the top-level prefix of a golden key ("incoming/" of
// "incoming/run-7/a.txt"), or "/" for a key at the root; the label of the
// promotion metrics.
func topLevel(key string) string {
	if seg, _, ok := strings.Cut(key, "/"); ok {
		return seg + "/"
	}
	return "/"
}
