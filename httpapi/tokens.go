package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/internal/durable"
)

// TokenFile is the name of the token file in a data directory.
const TokenFile = "tokens.json"

// TokenPrefix starts every token CreateToken makes, so that leaked tokens
// are easy to recognize and scan for.
const TokenPrefix = "assay_"

// maxTokenFile bounds the token file the server reads.
const maxTokenFile = 16 << 20

// TokenRecord is one token in the token file. Only the token's hash is kept.
// Expires and Revoked are absent from the file when zero, so files written
// before tokens could expire read as tokens that never do.
type TokenRecord struct {
	Name    string    `json:"name"`
	Tenant  string    `json:"tenant"`
	Scopes  []string  `json:"scopes"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"` // zero: never expires
	Revoked time.Time `json:"revoked,omitzero"` // zero: not revoked
	Hash    string    `json:"hash"`             // "sha256:" + hex SHA-256 of the token
}

// TokenState says whether a token is accepted at a given time.
type TokenState string

// The states of a token. A revoked token is TokenRevoked even after its
// expiry, so the answer names the deliberate act.
const (
	TokenActive  TokenState = "active"
	TokenExpired TokenState = "expired"
	TokenRevoked TokenState = "revoked"
)

// State returns the record's state at now: revoked once Revoked is set,
// expired from Expires on (the expiry instant itself is refused), else
// active.
func (r TokenRecord) State(now time.Time) TokenState {
	return tokenState(r.Expires, r.Revoked, now)
}

func tokenState(expires, revoked, now time.Time) TokenState {
	switch {
	case !revoked.IsZero():
		return TokenRevoked
	case !expires.IsZero() && !now.Before(expires):
		return TokenExpired
	}
	return TokenActive
}

// ErrTokenExpired and ErrTokenRevoked report a token that is in the token
// file but no longer accepted, so that the server can say why rather than
// call it unknown.
var (
	ErrTokenExpired = errors.New("token expired")
	ErrTokenRevoked = errors.New("token revoked")
)

type tokenFile struct {
	Tokens []TokenRecord `json:"tokens"`
}

// tokenRecheck is how long Tokens trusts its last look at the token file
// for tokens it knows: a token removed from the file, revoked or given an
// earlier expiry stops working within this time. A token it does not know
// makes it look again at once.
const tokenRecheck = time.Second

// Tokens authenticates bearer tokens against a token file. It re-reads the
// file whenever its modification time, size or inode changes, so tokens
// created by CreateToken count at once; it looks at the file again for
// every unknown token, and at most every tokenRecheck for known ones, so
// that the common lookup takes no system call or lock. A missing file holds
// no tokens. It also keeps, in memory, when each token was last accepted
// (see FlushUsed). It is safe for concurrent use.
type Tokens struct {
	path string
	now  func() time.Time
	mu   sync.Mutex // serializes refreshes
	snap atomic.Pointer[tokenSnapshot]
	used lastUsed
}

// tokenSnapshot is the token file as last loaded.
type tokenSnapshot struct {
	stat    fs.FileInfo // nil when the file is absent
	checked time.Time   // when the file was last stat'ed
	entries []tokenEntry
}

// tokenEntry is one record of the token file, ready for lookups.
type tokenEntry struct {
	id      Identity
	hash    []byte
	expires time.Time
	revoked time.Time
	used    *usedClock // shared by every snapshot holding this name
}

// OpenTokens returns the token set of the token file at path.
func OpenTokens(path string) *Tokens { return &Tokens{path: path, now: time.Now} }

// Lookup returns the identity of token. The token's SHA-256 hash is compared
// with every stored hash in constant time. ok is false, with a nil error,
// for a token the file does not hold; a token it holds that expired or was
// revoked gets an error wrapping ErrTokenExpired or ErrTokenRevoked. Other
// errors are failures to read the file. An accepted lookup counts as a use
// of the token.
func (t *Tokens) Lookup(token string) (Identity, bool, error) {
	sum := sha256.Sum256([]byte(token))
	now := t.now()
	var e *tokenEntry
	if s := t.snap.Load(); s != nil && now.Sub(s.checked) < tokenRecheck {
		e = s.find(sum[:])
	}
	if e == nil {
		s, err := t.refresh()
		if err != nil {
			return Identity{}, false, err
		}
		if e = s.find(sum[:]); e == nil {
			return Identity{}, false, nil
		}
	}
	if err := e.check(now); err != nil {
		return Identity{}, false, err
	}
	if e.used.advance(now) {
		t.used.dirty.Store(true)
	}
	return e.id, true, nil
}

// find returns the entry whose token hashes to sum, or nil.
func (s *tokenSnapshot) find(sum []byte) *tokenEntry {
	found := -1
	for i := range s.entries {
		if subtle.ConstantTimeCompare(sum, s.entries[i].hash) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	return &s.entries[found]
}

// check returns why the entry's token is refused at now, or nil.
func (e *tokenEntry) check(now time.Time) error {
	switch tokenState(e.expires, e.revoked, now) {
	case TokenRevoked:
		return fmt.Errorf("%w: %q since %s", ErrTokenRevoked, e.id.Name, e.revoked.UTC().Format(time.RFC3339))
	case TokenExpired:
		return fmt.Errorf("%w: %q since %s", ErrTokenExpired, e.id.Name, e.expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// refresh stats the file, reloads it if it changed since the last load,
// and returns the current snapshot.
func (t *Tokens) refresh() (*tokenSnapshot, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	st, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		s := &tokenSnapshot{checked: now}
		t.snap.Store(s)
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	if old := t.snap.Load(); old != nil && old.stat != nil && os.SameFile(st, old.stat) && st.ModTime().Equal(old.stat.ModTime()) && st.Size() == old.stat.Size() {
		s := &tokenSnapshot{stat: old.stat, checked: now, entries: old.entries}
		t.snap.Store(s)
		return s, nil
	}
	recs, err := ReadTokenFile(t.path)
	if err != nil {
		return nil, err
	}
	entries := make([]tokenEntry, len(recs))
	for i, r := range recs {
		hash, err := decodeTokenHash(r.Hash)
		if err != nil {
			return nil, fmt.Errorf("token file %s, token %q: %w", t.path, r.Name, err)
		}
		entries[i] = tokenEntry{id: Identity{Name: r.Name, Tenant: r.Tenant, Scopes: r.Scopes}, hash: hash,
			expires: r.Expires, revoked: r.Revoked, used: t.used.clock(r.Name)}
	}
	s := &tokenSnapshot{stat: st, checked: now, entries: entries}
	t.snap.Store(s)
	return s, nil
}

func decodeTokenHash(s string) ([]byte, error) {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok {
		return nil, fmt.Errorf("hash %q: expected \"sha256:\" and 64 hex digits", echo(s))
	}
	b, err := wire.DecodeHash(h)
	if err != nil {
		return nil, fmt.Errorf("hash: %w", err)
	}
	return b, nil
}

// ReadTokenFile returns the records of the token file at path; a missing
// file has none.
func ReadTokenFile(path string) ([]TokenRecord, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	if len(b) > maxTokenFile {
		return nil, fmt.Errorf("token file %s is %d bytes, limit %d", path, len(b), maxTokenFile)
	}
	var f tokenFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return f.Tokens, nil
}

var (
	namePattern  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	scopePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]*(:[a-z][a-z0-9_.-]*)*$`)
)

// ErrTokenSpec reports a token name, tenant or scope list CreateToken
// refuses.
var ErrTokenSpec = errors.New("invalid token request")

func checkIdentity(id Identity) error {
	if !namePattern.MatchString(id.Name) {
		return fmt.Errorf("%w: name %q; expected 1-64 letters, digits, '.', '_' or '-'", ErrTokenSpec, id.Name)
	}
	if !namePattern.MatchString(id.Tenant) {
		return fmt.Errorf("%w: tenant %q; expected 1-64 letters, digits, '.', '_' or '-'", ErrTokenSpec, id.Tenant)
	}
	if len(id.Scopes) == 0 {
		return fmt.Errorf("%w: no scopes; expected at least one, e.g. %s or %q", ErrTokenSpec, ScopeLogRead, AllScopes)
	}
	for _, s := range id.Scopes {
		if s != AllScopes && !scopePattern.MatchString(s) {
			return fmt.Errorf("%w: scope %q; expected %q or names like log:read", ErrTokenSpec, s, AllScopes)
		}
	}
	return nil
}

// TokenOption sets a property of a token CreateToken makes.
type TokenOption func(*TokenRecord) error

// ExpiresIn makes the token expire ttl after its creation; ttl must be
// positive. Without it a token never expires.
func ExpiresIn(ttl time.Duration) TokenOption {
	return func(r *TokenRecord) error {
		if ttl <= 0 {
			return fmt.Errorf("%w: time to live %v; expected a positive duration", ErrTokenSpec, ttl)
		}
		r.Expires = r.Created.Add(ttl)
		return nil
	}
}

// CreateToken makes a new random token for id, adds its hash to the token
// file at path (created 0600 if missing) and returns the token, which is
// never stored. Names are unique within the file, revoked tokens included.
// Concurrent calls, from any process, are serialized by a lock file beside
// the token file.
func CreateToken(path string, id Identity, now time.Time, opts ...TokenOption) (string, error) {
	if err := checkIdentity(id); err != nil {
		return "", err
	}
	rec := TokenRecord{Name: id.Name, Tenant: id.Tenant, Scopes: id.Scopes, Created: now.UTC()}
	for _, o := range opts {
		if err := o(&rec); err != nil {
			return "", err
		}
	}
	tok := newToken()
	sum := sha256.Sum256([]byte(tok))
	rec.Hash = "sha256:" + hex.EncodeToString(sum[:])
	err := updateTokenFile(path, func(recs []TokenRecord) ([]TokenRecord, error) {
		for _, r := range recs {
			if r.Name == id.Name {
				return nil, fmt.Errorf("%w: a token named %q exists already; choose another name", ErrTokenSpec, id.Name)
			}
		}
		return append(recs, rec), nil
	})
	if err != nil {
		return "", err
	}
	return tok, nil
}

// ErrTokenUnknown reports a token name the token file does not hold.
var ErrTokenUnknown = errors.New("no such token")

// RevokeToken marks the token named name in the token file at path revoked
// at now and returns its record. The record stays, so that the server can
// answer "revoked" rather than "unknown" and the name is not reused. A
// token revoked already keeps its first revocation time, and changed is
// false. A running server refuses the token within tokenRecheck.
func RevokeToken(path, name string, now time.Time) (rec TokenRecord, changed bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return TokenRecord{}, false, fmt.Errorf("%w: %q; there is no token file %s", ErrTokenUnknown, name, path)
	}
	err = updateTokenFile(path, func(recs []TokenRecord) ([]TokenRecord, error) {
		i := slices.IndexFunc(recs, func(r TokenRecord) bool { return r.Name == name })
		if i < 0 {
			return nil, fmt.Errorf("%w: %q is not in %s", ErrTokenUnknown, name, path)
		}
		if changed = recs[i].Revoked.IsZero(); changed {
			recs[i].Revoked = now.UTC()
		}
		rec = recs[i]
		return recs, nil
	})
	if err != nil {
		return TokenRecord{}, false, err
	}
	return rec, changed, nil
}

// updateTokenFile replaces the records of the token file at path with what
// update makes of them, holding the lock file, and writes the file durably
// (mode 0600). Nothing is written when update fails.
func updateTokenFile(path string, update func([]TokenRecord) ([]TokenRecord, error)) error {
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	recs, err := ReadTokenFile(path)
	if err != nil {
		return err
	}
	if recs, err = update(recs); err != nil {
		return err
	}
	b, err := json.MarshalIndent(tokenFile{Tokens: recs}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode token file: %w", err)
	}
	if err := durable.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

// newToken returns TokenPrefix and 32 random bytes in unpadded base64url.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand crashes the program instead)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}
