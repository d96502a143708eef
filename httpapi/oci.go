package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// ScopePackagesPublish publishes finalized golden packages to OCI
// registries.
const ScopePackagesPublish = "packages:publish"

// Publisher publishes the tenant's package id to the registry reference
// to (REGISTRY/REPO:TAG) for actor; package oci does the pushing (see
// cmd/assay's serve wiring).
type Publisher func(ctx context.Context, tenant, actor, id, to string) (*wire.PublishResult, error)

// SetPublisher gives POST /v1/packages/{id}/publish its work; without it
// the route answers that publishing is not configured.
func (s *Server) SetPublisher(p Publisher) { s.publisher.Store(&p) }

// registerPublishRoute adds POST /v1/packages/{id}/publish.
func (s *Server) registerPublishRoute() {
	s.Handle(http.MethodPost, "/v1/packages/{id}/publish", ScopePackagesPublish, func(r *http.Request) (any, error) {
		if r.URL.RawQuery != "" {
			return nil, invalidParam("POST /v1/packages/{id}/publish takes no parameters")
		}
		var req wire.PublishRequest
		if err := readObject(r, &req); err != nil {
			if errors.Is(err, errNotObject) {
				return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidBody, "want one JSON object {\"to\": \"REGISTRY/REPO:TAG\"}: %v", err)
			}
			return nil, err
		}
		to := strings.TrimSpace(req.To)
		if to == "" || len(to) > 512 || !strings.Contains(to, "/") || strings.ContainsAny(to, " \t\r\n") {
			return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidBody, "to %q: want REGISTRY/REPO:TAG", echo(req.To))
		}
		p := s.publisher.Load()
		if p == nil {
			return nil, NewProblem(http.StatusConflict, wire.TypeOCINotConfigured, "publishing to OCI registries is not configured (serve --oci-signing-key)")
		}
		id := caller(r)
		res, err := (*p)(r.Context(), id.Tenant, id.Name, mux.Vars(r)["id"], to)
		if err != nil {
			return nil, err
		}
		return &Response{Status: http.StatusCreated, Value: res}, nil
	}, MaxBody(4<<10))
}
