package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi/wire"
)

// registerBlobRoutes adds GET and HEAD /v1/blobs/{digest} (a stored blob
// by its content address) and GET /v1/cas/{tenant}/{key} (what a tenant's
// cas:// URI names), for bundle export. They reach across tenants, so they
// need the auditor scope log:audit; tenants read their own bytes through
// packages and objects.
func (h *catalogRoutes) registerBlobRoutes() {
	h.s.HandleHTTP(http.MethodGet, "/v1/blobs/{digest}", ScopeLogAudit, http.HandlerFunc(h.blob))
	h.s.HandleHTTP(http.MethodHead, "/v1/blobs/{digest}", ScopeLogAudit, http.HandlerFunc(h.blob))
	h.s.Handle(http.MethodGet, "/v1/cas/{tenant}/{key:.+}", ScopeLogAudit, h.resolveCAS)
}

// resolveCAS answers what cas://{key} names for a tenant: the current
// version of the object raw/{key}. Bundle export uses it to carry the
// blobs of job exports' manifestPath and logsPath.
func (h *catalogRoutes) resolveCAS(r *http.Request) (any, error) {
	v := mux.Vars(r)
	o, err := h.cat.Object(v["tenant"], "raw", v["key"])
	if err != nil {
		return nil, err
	}
	return wire.CASObject{Tenant: v["tenant"], URI: "cas://" + v["key"], Digest: o.Digest, Size: o.Size}, nil
}

func (h *catalogRoutes) blob(w http.ResponseWriter, r *http.Request) {
	d, err := cas.ParseDigest(mux.Vars(r)["digest"])
	if err != nil {
		h.s.WriteError(w, r, NewProblem(http.StatusBadRequest, wire.TypeInvalidParameter, "digest: %v; expected sha256:<64 lowercase hex>", err))
		return
	}
	info, err := h.svc.Store.Head(r.Context(), d)
	if err != nil {
		h.s.WriteError(w, r, blobProblem(d, err))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	w.Header().Set("ETag", `"`+d.Hex()+`"`)
	if r.Method == http.MethodHead {
		return
	}
	rc, err := h.svc.Store.Get(r.Context(), d, 0, -1)
	if err != nil {
		h.s.WriteError(w, r, blobProblem(d, err))
		return
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		h.s.log.WarnContext(r.Context(), "blob download cut short", "digest", d.String(), "err", err)
	}
}

func blobProblem(d cas.Digest, err error) error {
	switch {
	case errors.Is(err, cas.ErrNotFound):
		return NewProblem(http.StatusNotFound, wire.TypeNotFound, "no blob %s in the store", d)
	case errors.Is(err, cas.ErrUnavailable):
		return NewProblem(http.StatusServiceUnavailable, wire.TypeUnavailable, "store unavailable: %v", err)
	}
	return fmt.Errorf("blob %s: %w", d, err)
}
