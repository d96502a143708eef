package local

import (
	"errors"
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
			castest.LimitFileSize(t, 1<<20)
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
