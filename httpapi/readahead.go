package httpapi

import (
	"io"
	"sync"

	"github.com/assay-ledger/assay/cas"
)

// Read-ahead sizing: readAheadBufs buffers of readAheadSize bytes per
// upload in flight, so its memory stays a few MiB whatever the size.
const (
	readAheadSize = 1 << 20
	readAheadBufs = 3
)

// readAhead reads src on its own goroutine into a few buffers, so that
// receiving and parsing the next bytes of an upload overlaps with hashing
// and writing the bytes already received. Errors of src, io.EOF included,
// are returned unchanged once the bytes before them are consumed. Close
// stops the goroutine and waits for it, so src is not read after Close
// returns.
type readAhead struct {
	full chan chunk
	free chan []byte
	stop chan struct{}
	done sync.WaitGroup
	cur  chunk
	off  int
	err  error
}

type chunk struct {
	b   []byte
	err error
}

func newReadAhead(src io.Reader) *readAhead {
	ra := &readAhead{full: make(chan chunk, readAheadBufs), free: make(chan []byte, readAheadBufs), stop: make(chan struct{})}
	for range readAheadBufs {
		ra.free <- make([]byte, readAheadSize)
	}
	ra.done.Add(1)
	go ra.fill(src)
	return ra
}

// readAheadFor returns what to give store.Put to read body: body itself
// when the store reads ahead on its own (cas.ReadAheader), else a
// readAhead of it. done stops the read-ahead, if any; call it once Put
// has returned.
func readAheadFor(store cas.Store, body io.Reader) (r io.Reader, done func()) {
	if ra, ok := store.(cas.ReadAheader); ok && ra.ReadsAhead() {
		return body, func() {}
	}
	ahead := newReadAhead(body)
	return ahead, func() { ahead.Close() }
}

// fill reads src into free buffers until an error, or until Close.
func (ra *readAhead) fill(src io.Reader) {
	defer ra.done.Done()
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.stop:
			return
		}
		n, err := io.ReadFull(src, buf)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case ra.full <- chunk{b: buf[:n], err: err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read copies out buffered bytes, waiting for the next buffer when needed.
func (ra *readAhead) Read(p []byte) (int, error) {
	for ra.off == len(ra.cur.b) {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.cur.b != nil {
			ra.free <- ra.cur.b[:cap(ra.cur.b)]
		}
		ra.cur, ra.off = <-ra.full, 0
		ra.err = ra.cur.err
	}
	n := copy(p, ra.cur.b[ra.off:])
	ra.off += n
	return n, nil
}

// Close stops reading ahead and waits for the reading goroutine to end.
func (ra *readAhead) Close() error {
	close(ra.stop)
	ra.done.Wait()
	return nil
}
