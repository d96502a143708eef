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
	"time"

	"github.com/assay-ledger/assay/cas/durable"
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

// Tokens authenticates bearer tokens against a token file. It re-reads the
// file whenever its modification time, size or inode changes, so tokens
// created by CreateToken count at once. A missing file holds no tokens. It is
// safe for concurrent use.
type Tokens struct {
	path   string
	mu     sync.Mutex
	stat   fs.FileInfo // of the file as last loaded; nil when absent
	ids    []Identity
	hashes [][]byte
}

// OpenTokens returns the token set of the token file at path.
func OpenTokens(path string) *Tokens { return &Tokens{path: path} }

// Lookup returns the identity of token. The token's SHA-256 hash is compared
// with every stored hash in constant time.
func (t *Tokens) Lookup(token string) (Identity, bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.refresh(); err != nil {
		return Identity{}, false, err
	}
	sum := sha256.Sum256([]byte(token))
	found := -1
	for i, h := range t.hashes {
		if subtle.ConstantTimeCompare(sum[:], h) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Identity{}, false, nil
	}
	return t.ids[found], true, nil
}

// refresh reloads the file if it changed since the last load.
func (t *Tokens) refresh() error {
	st, err := os.Stat(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		t.stat, t.ids, t.hashes = nil, nil, nil
		return nil
	}
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if t.stat != nil && os.SameFile(st, t.stat) && st.ModTime().Equal(t.stat.ModTime()) && st.Size() == t.stat.Size() {
		return nil
	}
	recs, err := ReadTokenFile(t.path)
	if err != nil {
		return err
	}
	ids, hashes := make([]Identity, len(recs)), make([][]byte, len(recs))
	for i, r := range recs {
		ids[i] = Identity{Name: r.Name, Tenant: r.Tenant, Scopes: r.Scopes}
		if hashes[i], err = decodeTokenHash(r.Hash); err != nil {
			return fmt.Errorf("token file %s, token %q: %w", t.path, r.Name, err)
		}
	}
	t.stat, t.ids, t.hashes = st, ids, hashes
	return nil
}

func decodeTokenHash(s string) ([]byte, error) {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok {
		return nil, fmt.Errorf("hash %q: expected \"sha256:\" and 64 hex digits", echo(s))
	}
	b, err := decodeHash(h)
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
