package ledger

import (
	"bufio"
	"bytes"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// dropPages takes the pages of a shared file map out of the process; they
// stay in the page cache, and a later read maps them again.
func dropPages(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return unix.Madvise(b, unix.MADV_DONTNEED)
}

// fileRSS returns the process's resident pages of mapped files (RssFile of
// /proc/self/status), and false where it cannot be read.
func fileRSS() (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("RssFile:")); ok {
			v, ok = bytes.CutSuffix(bytes.TrimSpace(v), []byte(" kB"))
			kb, err := strconv.ParseInt(string(v), 10, 64)
			if !ok || err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}
