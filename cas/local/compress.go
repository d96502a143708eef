package local

import (
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/assay-ledger/assay/cas"
)

// zstd settings: one goroutine per stream and bounded windows, so that
// memory per Put or Get stays a few MiB whatever the blob size.
const (
	zstdWindow    = 2 << 20
	zstdMaxWindow = 8 << 20 // refuse frames asking for more when reading
)

// encoderPool reuses zstd encoders, which are costly to allocate.
type encoderPool struct{ pool sync.Pool }

// get returns an encoder writing to w.
func (p *encoderPool) get(w io.Writer) (*zstd.Encoder, error) {
	if e, ok := p.pool.Get().(*zstd.Encoder); ok {
		e.Reset(w)
		return e, nil
	}
	return zstd.NewWriter(w,
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(zstdWindow),
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithLowerEncoderMem(true))
}

// put returns an encoder whose stream was closed successfully.
func (p *encoderPool) put(e *zstd.Encoder) {
	e.Reset(nil)
	p.pool.Put(e)
}

// newDecoder returns a synchronous, low-memory zstd decoder reading r.
func newDecoder(r io.Reader) (*zstd.Decoder, error) {
	d, err := zstd.NewReader(r,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %w", cas.ErrCorrupt, err)
	}
	return d, nil
}
