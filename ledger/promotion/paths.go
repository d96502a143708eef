package promotion

import (
	"fmt"
	"path"
	"strings"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// source is a parsed promotion source: a raw key, or a raw prefix when
// prefix is set (key then ends in "/", or is empty for all of raw).
type source struct {
	key    string
	prefix bool
}

// parseSource parses "raw/KEY" or "raw/PREFIX/".
func parseSource(s string) (source, error) {
	rest, ok := strings.CutPrefix(s, catalog.ZoneRaw+"/")
	if !ok {
		return source{}, fmt.Errorf("%w: %q: want raw/KEY or raw/PREFIX/", ErrSourceNotRaw, short(s))
	}
	src := source{key: rest, prefix: rest == "" || strings.HasSuffix(rest, "/")}
	if rest != "" {
		if err := catalog.ValidatePath(strings.TrimSuffix(rest, "/")); err != nil {
			return source{}, fmt.Errorf("%w: source: %w", ErrInvalidRequest, err)
		}
	}
	return src, nil
}

// parseDestination parses "golden/PREFIX/" (or "golden/") into the golden
// key prefix.
func parseDestination(d string) (string, error) {
	rest, ok := strings.CutPrefix(d, catalog.ZoneGolden+"/")
	if !ok || rest != "" && !strings.HasSuffix(rest, "/") {
		return "", fmt.Errorf("%w: %q: want golden/PREFIX/", ErrDestinationNotGolden, short(d))
	}
	if rest != "" {
		if err := catalog.ValidatePath(strings.TrimSuffix(rest, "/")); err != nil {
			return "", fmt.Errorf("%w: destination: %w", ErrInvalidRequest, err)
		}
	}
	return rest, nil
}

// covers reports whether the raw key is one the source names.
func (s source) covers(key string) bool {
	if s.prefix {
		return strings.HasPrefix(key, s.key)
	}
	return key == s.key
}

// relative is key's path below the source: the part after the prefix, or
// the base name of a single key.
func (s source) relative(key string) string {
	if s.prefix {
		return strings.TrimPrefix(key, s.key)
	}
	return path.Base(key)
}

// proofKey is the raw key of the source's verification proof.
func (s source) proofKey() string {
	if s.prefix {
		return s.key + ProofName
	}
	if dir := path.Dir(s.key); dir != "." {
		return dir + "/" + ProofName
	}
	return ProofName
}

// goldenKey is the key the raw key gets under destination prefix dest.
func goldenKey(s source, dest, key string) string { return dest + s.relative(key) }

// short cuts s for an error message.
func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
