package local

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeBehindEvery is how many bytes are written before their writeback is
// started.
const writeBehindEvery = 8 << 20

// writeBehind writes to a file and asks the kernel to start writing each
// 8 MiB back to disk as soon as it is complete (sync_file_range with
// SYNC_FILE_RANGE_WRITE, which does not wait). The final fsync then has
// little left to flush, so disk writes overlap with hashing instead of
// following it. Durability still comes from the fsync in durable.LinkTemp.
type writeBehind struct {
	f       *os.File
	off     int64 // file offset of the next write
	flushed int64 // writeback started for bytes before this offset
}

func newWriteBehind(f *os.File, off int64) *writeBehind {
	return &writeBehind{f: f, off: off, flushed: off}
}

func (w *writeBehind) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if w.off-w.flushed >= writeBehindEvery {
		// Advisory only: a failure here resurfaces in the final fsync.
		_ = unix.SyncFileRange(int(w.f.Fd()), w.flushed, w.off-w.flushed, unix.SYNC_FILE_RANGE_WRITE)
		w.flushed = w.off
	}
	return n, err
}
