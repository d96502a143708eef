package local

import (
	"errors"
	"fmt"
	"io"

	"github.com/assay-ledger/assay/cas"
)

// readCloser pairs a reader with the function releasing what it reads from.
type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// eofReader is an empty stream.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// exactReader yields exactly left bytes from r; if r ends sooner the blob
// was truncated, which is corruption.
type exactReader struct {
	r    io.Reader
	left int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if errors.Is(err, io.EOF) {
		if e.left > 0 {
			return n, fmt.Errorf("%w: stream ends %d bytes early", cas.ErrCorrupt, e.left)
		}
		err = nil
	}
	return n, err
}

// corruptOnError marks decoder failures as corruption: the bytes on disk no
// longer form the stream that was written.
type corruptOnError struct{ r io.Reader }

func (c corruptOnError) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && !errors.Is(err, cas.ErrCorrupt) {
		err = fmt.Errorf("%w: zstd: %w", cas.ErrCorrupt, err)
	}
	return n, err
}
