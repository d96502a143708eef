package exports

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// The contract's formats, as hand-written matchers: each is the regular
// expression in its comment (TestMatchersAgreeWithPatterns and
// FuzzMatchers hold them to it) at a twentieth of its cost, which matters
// because every export runs several of them.

// isHash reports whether v matches the contract's hash rule,
// ^sha256:[A-Fa-f0-9]{64}$.
func isHash(v string) bool {
	h, ok := strings.CutPrefix(v, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	for i := range len(h) {
		if !isHexDigit(h[i]) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isUUID reports whether v is a UUID in canonical text form (lowercase,
// hyphenated): ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$.
func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := range len(v) {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// isTimestampForm reports whether v is ISO-8601 extended format in UTC:
// date, 'T', time with seconds, an optional fraction of 1 to 9 digits, 'Z';
// no offsets, no lowercase: ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$.
func isTimestampForm(v string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(v) < len(layout)+1 || v[len(v)-1] != 'Z' {
		return false
	}
	for i := range len(layout) {
		if c := v[i]; layout[i] == 'd' && !isDigit(c) || layout[i] != 'd' && c != layout[i] {
			return false
		}
	}
	frac := v[len(layout) : len(v)-1]
	if frac == "" {
		return true
	}
	if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
		return false
	}
	for i := 1; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// casScheme prefixes every manifestPath and logsPath.
const casScheme = "cas://"

// Validate checks a submission against the contract and returns the first
// rule it breaks, as one of the package's 422 sentinels wrapped with the
// field, the value and what was expected. Parse calls it; the ledger can
// call it again when it replays stored submissions. Rules: required fields
// present (runId, artifactHash, startedAt, status per the contract, and
// tenantId and idempotencyKey, without which the key cannot be enforced);
// runId a lowercase UUID; hashes ^sha256:[A-Fa-f0-9]{64}$; times UTC
// ISO-8601 ending in Z with completedAt not before startedAt; status and
// environment in their enums; paths cas:// URIs without dot segments;
// idempotencyKey equal to IdempotencyKey(runId, artifactHash, tenantId).
func (s *Submission) Validate() error {
	checks := []func() error{
		s.checkRequired,
		func() error { return checkRunID(s.RunID) },
		func() error { return checkHash("artifactHash", s.ArtifactHash) },
		func() error { return checkHash("policyHash", s.PolicyHash) },
		func() error { return checkHash("idempotencyKey", s.IdempotencyKey) },
		s.checkTimes,
		func() error { return checkStatus(s.Status) },
		func() error { return checkEnvironment(s.Environment) },
		func() error { return checkCASPath("manifestPath", s.ManifestPath) },
		func() error { return checkCASPath("logsPath", s.LogsPath) },
		s.checkIdempotencyKey,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// CanonicalKey returns the form an idempotency key is stored and answered
// in: the contract's pattern admits either case of hex digits, and both
// name the same export, so keys are kept with lowercase hex. A submission's
// own bytes (and so its signatures) keep the case it was sent in.
func CanonicalKey(key string) string { return strings.ToLower(key) }

// IdempotencyKey returns the contract's idempotency key for a run:
// "sha256:" + lowercase hex(sha256(runID + artifactHash + tenantID)), the
// three strings concatenated exactly as submitted. Including the tenant
// keeps two tenants' submissions of one run apart.
func IdempotencyKey(runID, artifactHash, tenantID string) string {
	sum := sha256.Sum256([]byte(runID + artifactHash + tenantID))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ParseTimestamp parses a UTC ISO-8601 timestamp as exports carry them
// ("2025-12-02T00:05:30Z", optionally with up to nine fraction digits) and
// refuses any other spelling with ErrInvalidTimestamp. The ledger uses it to
// order exports by startedAt, which string comparison would get wrong when
// fractions differ in length.
func ParseTimestamp(v string) (time.Time, error) {
	if !isTimestampForm(v) {
		return time.Time{}, fmt.Errorf("%w: %s, want UTC ISO-8601 like 2025-12-02T00:05:30Z", ErrInvalidTimestamp, quote(v))
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s is not a real date and time", ErrInvalidTimestamp, quote(v))
	}
	return t, nil
}

func (s *Submission) checkRequired() error {
	required := []struct{ name, value string }{
		{"runId", s.RunID},
		{"artifactHash", s.ArtifactHash},
		{"startedAt", s.StartedAt},
		{"status", s.Status},
		{"tenantId", s.TenantID},
		{"idempotencyKey", s.IdempotencyKey},
	}
	for _, f := range required {
		if f.value == "" {
			return fmt.Errorf("%w: %s is required", ErrMissingField, f.name)
		}
	}
	return nil
}

func checkRunID(v string) error {
	if !isUUID(v) {
		return fmt.Errorf("%w: %s, want a lowercase UUID like 3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", ErrInvalidRunID, quote(v))
	}
	return nil
}

// checkHash checks a hash field; an absent optional one passes.
func checkHash(name, v string) error {
	if v != "" && !isHash(v) {
		return fmt.Errorf("%w: %s is %s, want sha256: and 64 hex digits", ErrInvalidHash, name, quote(v))
	}
	return nil
}

func (s *Submission) checkTimes() error {
	started, err := ParseTimestamp(s.StartedAt)
	if err != nil {
		return fmt.Errorf("startedAt: %w", err)
	}
	if s.CompletedAt == "" {
		return nil
	}
	completed, err := ParseTimestamp(s.CompletedAt)
	if err != nil {
		return fmt.Errorf("completedAt: %w", err)
	}
	if completed.Before(started) {
		return fmt.Errorf("%w: completedAt %s is before startedAt %s", ErrCompletedBeforeStarted, s.CompletedAt, s.StartedAt)
	}
	return nil
}

func checkStatus(v string) error {
	if _, ok := statusRank(v); !ok {
		return fmt.Errorf("%w: %s, want pending, running, succeeded, failed or canceled", ErrInvalidStatus, quote(v))
	}
	return nil
}

// checkEnvironment checks the optional environment; absent passes.
func checkEnvironment(v string) error {
	switch v {
	case "", EnvironmentProd, EnvironmentStage, EnvironmentDev:
		return nil
	}
	return fmt.Errorf("%w: %s, want prod, stage or dev", ErrInvalidEnvironment, quote(v))
}

// checkCASPath checks an optional cas:// path: "cas://" and then one or
// more non-empty segments separated by '/', with no control characters,
// backslashes, query or fragment, valid percent-encoding, no encoded
// separators, and no "." or ".." segment before or after percent-decoding.
// Such a path names something inside the content store and nothing else,
// so it resolves the same way inside an offline kit.
func checkCASPath(name, v string) error {
	if v == "" {
		return nil
	}
	rest, ok := strings.CutPrefix(v, casScheme)
	if !ok {
		return fmt.Errorf("%w: %s is %s, want a cas:// URI", ErrInvalidPath, name, quote(v))
	}
	if rest == "" {
		return fmt.Errorf("%w: %s %s names nothing after cas://", ErrInvalidPath, name, quote(v))
	}
	if i := strings.IndexFunc(rest, func(r rune) bool {
		return unicode.IsControl(r) || r == '\\' || r == '?' || r == '#'
	}); i >= 0 {
		return fmt.Errorf("%w: %s %s has a control character, backslash, query or fragment", ErrInvalidPath, name, quote(v))
	}
	for seg := range strings.SplitSeq(rest, "/") {
		if err := checkCASSegment(name, v, seg); err != nil {
			return err
		}
	}
	return nil
}

func checkCASSegment(name, v, seg string) error {
	if seg == "" {
		return fmt.Errorf("%w: %s %s has an empty segment, want cas://a/b", ErrInvalidPath, name, quote(v))
	}
	dec, err := url.PathUnescape(seg)
	if err != nil {
		return fmt.Errorf("%w: %s %s has invalid percent-encoding", ErrInvalidPath, name, quote(v))
	}
	if dec == "." || dec == ".." {
		return fmt.Errorf("%w: %s %s has a %q segment", ErrPathTraversal, name, quote(v), dec)
	}
	if strings.ContainsAny(dec, "/\\") || strings.IndexFunc(dec, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s %s encodes a separator or control character", ErrInvalidPath, name, quote(v))
	}
	return nil
}

func (s *Submission) checkIdempotencyKey() error {
	want := IdempotencyKey(s.RunID, s.ArtifactHash, s.TenantID)
	if !strings.EqualFold(s.IdempotencyKey, want) {
		return fmt.Errorf("%w: got %s, want %s = sha256(runId + artifactHash + tenantId)", ErrIdempotencyKeyMismatch, quote(s.IdempotencyKey), want)
	}
	return nil
}
