package local

import (
	"errors"
	"os/signal"
	"syscall"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

// TestWriteErrorLeavesNothing makes the disk refuse writes past 1 MiB
// (RLIMIT_FSIZE, which fails write(2) with EFBIG exactly where a full disk
// fails it with ENOSPC) and checks that Put returns the cause and leaves
// neither a blob nor a temporary file. It changes a process-wide limit, so
// it must not run in parallel with other tests.
func TestWriteErrorLeavesNothing(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			l := open(t, m.compress, m.encrypt)
			limitFileSize(t, 1<<20)
			_, err := l.Put(t.Context(), castest.NewReader(42, 4<<20), cas.Digest{})
			if !errors.Is(err, syscall.EFBIG) {
				t.Fatalf("Put past the file size limit = %v, want EFBIG", err)
			}
			if left := files(t, l.root); len(left) != 0 {
				t.Fatalf("files left after a failed write: %q", left)
			}
		})
	}
}

// limitFileSize lowers RLIMIT_FSIZE for the rest of the test, with SIGXFSZ
// ignored so that writes fail instead of killing the process.
func limitFileSize(t *testing.T, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	lim := syscall.Rlimit{Cur: n, Max: old.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Errorf("restore RLIMIT_FSIZE: %v", err)
		}
		signal.Reset(syscall.SIGXFSZ)
	})
}
