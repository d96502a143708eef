package exports

import (
	"regexp"
	"strings"
	"testing"
)

// The regular expressions the hand-written matchers implement, kept as the
// reference they are tested against.
var (
	hashPattern      = regexp.MustCompile(`^sha256:[A-Fa-f0-9]{64}$`)
	uuidPattern      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	timestampPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)
)

// checkMatchers fails t unless every matcher agrees with its pattern on v.
func checkMatchers(t *testing.T, v string) {
	t.Helper()
	for _, m := range []struct {
		name    string
		fn      func(string) bool
		pattern *regexp.Regexp
	}{{"isHash", isHash, hashPattern}, {"isUUID", isUUID, uuidPattern}, {"isTimestampForm", isTimestampForm, timestampPattern}} {
		if got, want := m.fn(v), m.pattern.MatchString(v); got != want {
			t.Errorf("%s(%q) = %v, pattern says %v", m.name, v, got, want)
		}
	}
}

// matcherSeeds are valid values of each format and near misses.
var matcherSeeds = []string{
	"", "sha256:", "sha256:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("F", 64), "sha256:" + strings.Repeat("0", 63),
	"sha256:" + strings.Repeat("0", 65), "sha256:" + strings.Repeat("g", 64), "SHA256:" + strings.Repeat("a", 64),
	"sha512:" + strings.Repeat("a", 64), "sha256:" + strings.Repeat("a", 63) + "\n",
	"3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", "3F2B8C1E-7D4A-4E8B-9C0F-1A2B3C4D5E6F", "3f2b8c1e7d4a-4e8b-9c0f-1a2b3c4d5e6f-",
	"3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6", "3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6fa", "3f2b8c1e-7d4a-4e8b-9c0f_1a2b3c4d5e6f",
	"2025-12-02T00:05:30Z", "2025-12-02T00:05:30.1Z", "2025-12-02T00:05:30.123456789Z", "2025-12-02T00:05:30.1234567890Z",
	"2025-12-02T00:05:30.Z", "2025-12-02T00:05:30", "2025-12-02t00:05:30Z", "2025-12-02T00:05:30+00:00", "2025-12-02 00:05:30Z",
	"20251-12-02T00:05:30Z", "2025-12-02T00:05:3Z", "2025-12-02T00:05:30.1a2Z", "2025-12-02T00:05:30ZZ", "Z",
}

func TestMatchersAgreeWithPatterns(t *testing.T) {
	for _, v := range matcherSeeds {
		checkMatchers(t, v)
	}
}

func FuzzMatchers(f *testing.F) {
	for _, v := range matcherSeeds {
		f.Add(v)
	}
	f.Fuzz(checkMatchers)
}
