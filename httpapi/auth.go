package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// Scopes of the routes this package registers. AllScopes, held by a token,
// grants every scope.
const (
	AllScopes        = "*"
	ScopeLogRead     = "log:read"
	ScopeMetricsRead = "metrics:read"
	// PublicScope marks a route that needs no token.
	PublicScope = "public"
	// AuthenticatedScope marks a route that needs a valid token but no
	// particular scope, such as GET /v1/whoami. No token can hold it: it
	// does not have the form of a scope name (see scopePattern).
	AuthenticatedScope = "(authenticated)"
)

// maxTokenLen bounds the bearer token accepted in a header.
const maxTokenLen = 512

// Identity is the authenticated caller of a request: the token's name (used
// as the actor of entries it causes), its tenant and its scopes.
type Identity struct {
	Name   string   `json:"name"`
	Tenant string   `json:"tenant"`
	Scopes []string `json:"scopes"`
}

// HasScope reports whether the identity holds scope, or AllScopes.
func (id Identity) HasScope(scope string) bool {
	return slices.Contains(id.Scopes, scope) || slices.Contains(id.Scopes, AllScopes)
}

type identityKey struct{}

// IdentityFrom returns the identity that authenticated the request whose
// context is ctx; ok is false on routes that need no token.
func IdentityFrom(ctx context.Context) (id Identity, ok bool) {
	id, ok = ctx.Value(identityKey{}).(Identity)
	return id, ok
}

func withIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// authorize runs next only for a request whose token is known and holds
// scope; it records the caller's name for the request log.
func (s *Server) authorize(scope string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := s.authenticate(r)
		if err == nil && scope != AuthenticatedScope && !id.HasScope(scope) {
			err = NewProblem(http.StatusForbidden, wire.TypeForbidden,
				"token %q lacks scope %q, which this route requires", id.Name, scope)
		}
		if err != nil {
			s.WriteError(w, r, err)
			return
		}
		if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
			info.caller = id.Name
		}
		next.ServeHTTP(w, r.WithContext(withIdentity(r.Context(), id)))
	})
}

// authenticate resolves the request's bearer token to an identity. A token
// the file holds but no longer accepts gets its own problem type
// (token-expired, token-revoked), so that its holder knows to ask for a new
// one; any other refusal is unauthorized.
func (s *Server) authenticate(r *http.Request) (Identity, error) {
	unauthorized := func(format string, args ...any) error {
		return NewProblem(http.StatusUnauthorized, wire.TypeUnauthorized, format, args...)
	}
	vals := r.Header.Values("Authorization")
	switch {
	case len(vals) == 0:
		return Identity{}, unauthorized("no Authorization header; expected Authorization: Bearer <token>")
	case len(vals) > 1:
		return Identity{}, unauthorized("%d Authorization headers; expected exactly one", len(vals))
	}
	tok, err := ParseBearer(vals[0])
	if err != nil {
		return Identity{}, unauthorized("%v", err)
	}
	id, ok, err := s.cfg.Tokens.Lookup(tok)
	switch {
	case errors.Is(err, ErrTokenExpired):
		return Identity{}, NewProblem(http.StatusUnauthorized, wire.TypeTokenExpired, "%w; ask for a new one", err)
	case errors.Is(err, ErrTokenRevoked):
		return Identity{}, NewProblem(http.StatusUnauthorized, wire.TypeTokenRevoked, "%w; ask for a new one", err)
	case err != nil:
		return Identity{}, fmt.Errorf("token lookup: %w", err)
	}
	if !ok {
		return Identity{}, unauthorized("token not recognized")
	}
	return id, nil
}

// ErrBearer reports an Authorization header that is not a bearer token.
var ErrBearer = errors.New("malformed Authorization header")

// ParseBearer returns the token of an Authorization header value of the form
// "Bearer <token>" (RFC 6750): the scheme in any case, one or more spaces,
// then a token68 (letters, digits, "-._~+/", then optional "=" padding) of
// at most 512 bytes.
func ParseBearer(header string) (string, error) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("%w: expected the Bearer scheme, as in Authorization: Bearer <token>", ErrBearer)
	}
	tok = strings.TrimLeft(tok, " ")
	if tok == "" || len(tok) > maxTokenLen {
		return "", fmt.Errorf("%w: bearer token of %d bytes; expected 1 to %d", ErrBearer, len(tok), maxTokenLen)
	}
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return "", fmt.Errorf("%w: bearer token is only padding", ErrBearer)
	}
	for i := 0; i < len(body); i++ {
		if !isToken68(body[i]) {
			return "", fmt.Errorf("%w: bearer token has a character outside letters, digits and -._~+/", ErrBearer)
		}
	}
	return tok, nil
}

func isToken68(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~+/", c) >= 0
}
