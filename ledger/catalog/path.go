package catalog

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxPathLen bounds an object key or a file path in a package, in bytes.
const MaxPathLen = 1024

// Sentinel errors of key and path validation, one per way a name can be
// wrong, so that the HTTP layer can answer each with its own problem type.
var (
	ErrPathEmpty     = errors.New("empty path")
	ErrPathAbsolute  = errors.New("absolute path")
	ErrPathDotDot    = errors.New("path with a .. segment")
	ErrPathBackslash = errors.New("path with a backslash")
	ErrPathControl   = errors.New("path with a NUL or control character")
	ErrPathUnclean   = errors.New("path not in clean form")
	// ErrPathReserved marks a key under packages/, which only package
	// files may use.
	ErrPathReserved = errors.New("path in a reserved prefix")
)

// ValidatePath checks that p is a logical path as DESIGN.md fixes them:
// relative, clean ("a/b", never "a//b", "./a", "a/" or "a/./b"), without
// ".." segments, backslashes, NUL or control characters, valid UTF-8 and at
// most MaxPathLen bytes. The error wraps one of the ErrPath sentinels and
// quotes at most 80 bytes of p.
func ValidatePath(p string) error {
	bad := func(sentinel error, why string) error {
		return fmt.Errorf("%w: %q %s", sentinel, shorten(p), why)
	}
	switch {
	case p == "":
		return fmt.Errorf("%w: want a relative path such as reports/report.md", ErrPathEmpty)
	case strings.ContainsFunc(p, func(r rune) bool { return r == 0 || unicode.IsControl(r) }):
		return bad(ErrPathControl, "has a NUL or control character")
	case strings.ContainsRune(p, '\\'):
		return bad(ErrPathBackslash, "has a backslash; use / between directories")
	case p[0] == '/' || hasDrive(p):
		return bad(ErrPathAbsolute, "is absolute; want a path relative to the package or zone")
	case !utf8.ValidString(p) || len(p) > MaxPathLen:
		return bad(ErrPathUnclean, fmt.Sprintf("is not valid UTF-8 of at most %d bytes", MaxPathLen))
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "..":
			return bad(ErrPathDotDot, "has a .. segment")
		case "", ".":
			return bad(ErrPathUnclean, "has an empty or . segment (//, ./ or a trailing /)")
		}
	}
	return nil
}

// hasDrive reports a Windows drive prefix such as "C:".
func hasDrive(p string) bool {
	return len(p) >= 2 && p[1] == ':' && ('a' <= p[0] && p[0] <= 'z' || 'A' <= p[0] && p[0] <= 'Z')
}

// shorten cuts s for an error message.
func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// CheckObjectKey validates a key for an object put by key: a valid path
// outside packages/, which belongs to package files, and not the key of a
// run's sealed log (RunLogKey), which only its seal writes.
func CheckObjectKey(key string) error {
	if err := ValidatePath(key); err != nil {
		return err
	}
	if strings.HasPrefix(key, "packages/") {
		return fmt.Errorf("%w: %q is under packages/, which holds package files", ErrPathReserved, shorten(key))
	}
	if IsRunLogKey(key) {
		return fmt.Errorf("%w: %q is a run's sealed log, written only by closing the run's log", ErrPathReserved, shorten(key))
	}
	return nil
}

// RunLogKey is the raw key of run runID's sealed log; cas://RunLogKey(id)
// names it in a job export's logsPath.
func RunLogKey(runID string) string { return "runs/" + runID + "/log.ndjson" }

// IsRunLogKey reports whether key has the form of RunLogKey: runs/<one
// segment>/log.ndjson.
func IsRunLogKey(key string) bool {
	rest, ok := strings.CutPrefix(key, "runs/")
	if !ok {
		return false
	}
	run, ok := strings.CutSuffix(rest, "/log.ndjson")
	return ok && run != "" && !strings.Contains(run, "/")
}
