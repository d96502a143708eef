package local

import (
	"os"

	"golang.org/x/sys/unix"
)

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
		startWriteback(w.f, w.flushed, w.off-w.flushed)
		w.flushed = w.off
	}
	return n, err
}

// startWriteback asks the kernel to start writing n bytes of f at off back
// to disk, without waiting. It is advisory only: a failure here resurfaces
// in the final fsync.
func startWriteback(f *os.File, off, n int64) {
	_ = unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// setDirect turns O_DIRECT on or off for f. Turning it on fails on
// filesystems that do not support it (tmpfs, for one).
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		flags, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			ferr = err
			return
		}
		if on {
			flags |= unix.O_DIRECT
		} else {
			flags &^= unix.O_DIRECT
		}
		_, ferr = unix.FcntlInt(fd, unix.F_SETFL, flags)
	})
	if err != nil {
		return err
	}
	return ferr
}
