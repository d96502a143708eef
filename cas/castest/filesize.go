//go:build unix

package castest

import (
	"os/signal"
	"syscall"
	"testing"
)

// LimitFileSize lowers RLIMIT_FSIZE until the end of the test, with SIGXFSZ
// ignored, so that writes past n bytes fail with EFBIG the way a full disk
// fails them with ENOSPC, instead of killing the process. The limit is
// process-wide: tests that use it must not run in parallel.
func LimitFileSize(t testing.TB, n uint64) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	signal.Ignore(syscall.SIGXFSZ)
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
			t.Errorf("restore RLIMIT_FSIZE: %v", err)
		}
		signal.Reset(syscall.SIGXFSZ)
	})
}
