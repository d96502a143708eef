package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/assay-ledger/assay/cas"
)

var _ cas.Dater = (*Local)(nil)

// Written returns the modification time of the blob's file.
func (l *Local) Written(ctx context.Context, d cas.Digest) (time.Time, error) {
	if d.IsZero() {
		return time.Time{}, fmt.Errorf("local written: %w: empty digest", cas.ErrInvalidDigest)
	}
	fi, err := os.Stat(l.path(d))
	if errors.Is(err, fs.ErrNotExist) {
		return time.Time{}, fmt.Errorf("local written %s: %w", d, cas.ErrNotFound)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("local written %s: %w", d, err)
	}
	return fi.ModTime(), nil
}
