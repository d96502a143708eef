package httpapi

import (
	"net/http"
	"slices"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// registerWhoAmI adds GET /v1/whoami, which any valid token may call to learn
// its own name, tenant and scopes: an operator handed a token can check it
// before use, and a job export producer can learn the tenant it must send.
func (s *Server) registerWhoAmI() {
	s.Handle(http.MethodGet, wire.WhoAmIPath, AuthenticatedScope, func(r *http.Request) (any, error) {
		id, _ := IdentityFrom(r.Context()) // set: the route needs a token
		return wire.WhoAmI{Name: id.Name, Tenant: id.Tenant, Scopes: slices.Clone(id.Scopes)}, nil
	})
}
