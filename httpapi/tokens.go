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
type TokenRecord struct {
	Name    string    `json:"name"`
	Tenant  string    `json:"tenant"`
	Scopes  []string  `json:"scopes"`
	Created time.Time `json:"created"`
	Hash    string    `json:"hash"` // "sha256:" + hex SHA-256 of the token
}

type tokenFile struct {
	Tokens []TokenRecord `json:"tokens"`
}

// tokenRecheck is how long Tokens trusts its last look at the token file
// for tokens it knows: a token removed from the file stops working within
// this time. A token it does not know makes it look again at once.
const tokenRecheck = time.Second

// Tokens authenticates bearer tokens against a token file. It re-reads the
// file whenever its modification time, size or inode changes, so tokens
// created by CreateToken count at once; it looks at the file again for
// every unknown token, and at most every tokenRecheck for known ones, so
// that the common lookup takes no system call or lock. A missing file holds
// no tokens. It is safe for concurrent use.
type Tokens struct {
	path string
	now  func() time.Time
	mu   sync.Mutex // serializes refreshes
	snap atomic.Pointer[tokenSnapshot]
}

// tokenSnapshot is the token file as last loaded.
type tokenSnapshot struct {
	stat    fs.FileInfo // nil when the file is absent
	checked time.Time   // when the file was last stat'ed
	ids     []Identity
	hashes  [][]byte
}

// OpenTokens returns the token set of the token file at path.
func OpenTokens(path string) *Tokens { return &Tokens{path: path, now: time.Now} }

// Lookup returns the identity of token. The token's SHA-256 hash is compared
// with every stored hash in constant time.
func (t *Tokens) Lookup(token string) (Identity, bool, error) {
	sum := sha256.Sum256([]byte(token))
	if s := t.snap.Load(); s != nil && t.now().Sub(s.checked) < tokenRecheck {
		if id, ok := s.find(sum[:]); ok {
			return id, true, nil
		}
	}
	s, err := t.refresh()
	if err != nil {
		return Identity{}, false, err
	}
	id, ok := s.find(sum[:])
	return id, ok, nil
}

// find returns the identity whose token hashes to sum.
func (s *tokenSnapshot) find(sum []byte) (Identity, bool) {
	found := -1
	for i, h := range s.hashes {
		if subtle.ConstantTimeCompare(sum, h) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Identity{}, false
	}
	return s.ids[found], true
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
		s := &tokenSnapshot{stat: old.stat, checked: now, ids: old.ids, hashes: old.hashes}
		t.snap.Store(s)
		return s, nil
	}
	recs, err := ReadTokenFile(t.path)
	if err != nil {
		return nil, err
	}
	ids, hashes := make([]Identity, len(recs)), make([][]byte, len(recs))
	for i, r := range recs {
		ids[i] = Identity{Name: r.Name, Tenant: r.Tenant, Scopes: r.Scopes}
		if hashes[i], err = decodeTokenHash(r.Hash); err != nil {
			return nil, fmt.Errorf("token file %s, token %q: %w", t.path, r.Name, err)
		}
	}
	s := &tokenSnapshot{stat: st, checked: now, ids: ids, hashes: hashes}
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

// CreateToken makes a new random token for id, adds its hash to the token
// file at path (created 0600 if missing) and returns the token, which is
// never stored. Names are unique within the file. Concurrent calls, from
// any process, are serialized by a lock file beside the token file.
func CreateToken(path string, id Identity, now time.Time) (string, error) {
	if err := checkIdentity(id); err != nil {
		return "", err
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	recs, err := ReadTokenFile(path)
	if err != nil {
		return "", err
	}
	for _, r := range recs {
		if r.Name == id.Name {
			return "", fmt.Errorf("%w: a token named %q exists already; choose another name", ErrTokenSpec, id.Name)
		}
	}
	tok := newToken()
	sum := sha256.Sum256([]byte(tok))
	recs = append(recs, TokenRecord{Name: id.Name, Tenant: id.Tenant, Scopes: id.Scopes,
		Created: now.UTC(), Hash: "sha256:" + hex.EncodeToString(sum[:])})
	b, err := json.MarshalIndent(tokenFile{Tokens: recs}, "", "  ")
	if err != nil {
		return "", err
	}
	if err := durable.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("write token file: %w", err)
	}
	return tok, nil
}

// newToken returns TokenPrefix and 32 random bytes in unpadded base64url.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand crashes the program instead)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}
