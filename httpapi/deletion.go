package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/retention"
)

// Scopes of deletion.
const (
	// ScopeRetentionDelete deletes expired, unheld packages, restores them
	// within the grace period, sweeps and purges.
	ScopeRetentionDelete = "retention:delete"
	// ScopeRetentionAdmin, with retention:delete, also deletes a
	// governance-mode package before its expiry (never a held one, never a
	// compliance-mode one).
	ScopeRetentionAdmin = "retention:admin"
)

// HandleDeletion registers the deletion routes backed by d, and makes the
// package, manifest, file and object routes answer for deleted packages
// (410 for their bytes, the tombstone with the package):
//
//	POST /v1/retention/sweep?dry_run=true  retention:delete  announce eligible packages, purge; or what it would do
//	POST /v1/retention/purge               retention:delete  purge deletions past their grace period
//	POST /v1/packages/{id}/delete          retention:delete  (+ retention:admin before expiry) {"reason"}
//	POST /v1/packages/{id}/restore         retention:delete  {"reason"} within the grace period
//
// Every route serves the caller's tenant only.
func (s *Server) HandleDeletion(d *retention.Deleter, svc *retention.Service) {
	s.deletions = svc
	h := deletionRoutes{d: d}
	s.Handle(http.MethodPost, "/v1/retention/sweep", ScopeRetentionDelete, h.sweep)
	s.Handle(http.MethodPost, "/v1/retention/purge", ScopeRetentionDelete, h.purge)
	s.Handle(http.MethodPost, "/v1/packages/{id}/delete", ScopeRetentionDelete, h.delete, MaxBody(maxRetentionBody))
	s.Handle(http.MethodPost, "/v1/packages/{id}/restore", ScopeRetentionDelete, h.restore, MaxBody(maxRetentionBody))
}

type deletionRoutes struct{ d *retention.Deleter }

func (h deletionRoutes) sweep(r *http.Request) (any, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	dry, _, err := q.str("dry_run")
	if err != nil {
		return nil, err
	}
	if dry != "" && dry != "true" && dry != "false" {
		return nil, invalidParam("dry_run %q: want true or false", echo(dry))
	}
	id := caller(r)
	return h.d.Sweep(r.Context(), id.Name, id.Tenant, dry == "true")
}

func (h deletionRoutes) purge(r *http.Request) (any, error) {
	id := caller(r)
	purged, asOf, err := h.d.PurgeNow(r.Context(), id.Name, id.Tenant)
	if err != nil {
		return nil, err
	}
	return wire.PurgeResult{AsOf: asOf, Purged: purged}, nil
}

func (h deletionRoutes) delete(r *http.Request) (any, error) {
	var req wire.DeleteRequest
	if err := decodeStrict(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	return h.d.Delete(r.Context(), id.Name, id.Tenant, mux.Vars(r)["id"],
		retention.DeleteRequest{Reason: req.Reason, Admin: id.HasScope(ScopeRetentionAdmin)})
}

func (h deletionRoutes) restore(r *http.Request) (any, error) {
	var req wire.RestoreRequest
	if err := decodeStrict(r, &req); err != nil {
		return nil, err
	}
	id := caller(r)
	return h.d.Restore(r.Context(), id.Name, id.Tenant, mux.Vars(r)["id"], req.Reason)
}

// checkReadable refuses, with a 410 naming the deletion's ledger index,
// the bytes of a deleted package; nil without deletion routes.
func (s *Server) checkReadable(pkg string) error {
	if s.deletions == nil || pkg == "" {
		return nil
	}
	return s.deletions.CheckReadable(pkg)
}

// tombstone returns the latest deletion of the tenant's package id, nil
// when it has none or the server has no deletion routes.
func (s *Server) tombstone(tenant, id string) (*retention.Deletion, error) {
	if s.deletions == nil {
		return nil, nil
	}
	return s.deletions.Deletion(tenant, id)
}
