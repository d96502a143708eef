//go:build !linux

package ledger

// dropPages does nothing where the kernel's madvise is not at hand.
func dropPages([]byte) error { return nil }

// fileRSS is not known outside Linux.
func fileRSS() (int64, bool) { return 0, false }
