package httpapi

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi/wire"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// ObjectsPage is the body of GET /v1/objects/{zone}.
type ObjectsPage struct {
	Objects    []catalog.Object `json:"objects"`
	NextCursor string           `json:"next_cursor"`
}

// downloadFile streams a package file, logging an object.read event first
// when the service has them enabled.
func (h *catalogRoutes) downloadFile(w http.ResponseWriter, r *http.Request) {
	id := caller(r)
	f, err := h.cat.File(id.Tenant, mux.Vars(r)["file_id"])
	if err != nil {
		h.s.WriteError(w, r, err)
		return
	}
	obj, err := h.cat.Object(id.Tenant, f.Zone, f.Key)
	if err == nil {
		err = h.s.checkReadable(f.PackageID)
	}
	if err != nil {
		h.s.WriteError(w, r, err)
		return
	}
	h.serveBlob(w, r, f.ObjectRef, func(rng byteRange) error {
		return h.svc.Read(r.Context(), id.Name, id.Tenant, catalog.ObjectRead{Zone: f.Zone, Key: f.Key, Digest: f.Digest,
			Version: obj.Version, PackageID: f.PackageID, FileID: f.FileID, Offset: rng.offset, Length: rng.length})
	})
}

// putObject stores the body as a new version of raw/{key}.
func (h *catalogRoutes) putObject(r *http.Request) (any, error) {
	id, key := caller(r), mux.Vars(r)["key"]
	if err := catalog.CheckObjectKey(key); err != nil {
		return nil, err
	}
	land, err := landingFrom(r.Header)
	if err != nil {
		return nil, err
	}
	media, err := mediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	meta, err := catalog.CheckMetadata([]byte(r.Header.Get(wire.MetadataHeader)))
	if err != nil {
		return nil, err
	}
	body := &bodyReader{r: r.Body}
	src, done := readAheadFor(h.svc.Store, body)
	obj, err := h.svc.PutObject(r.Context(), id.Name, id.Tenant, key, media, meta, land, src)
	done()
	if err != nil {
		h.s.metrics.promotion.landed(err)
		return nil, writeProblem(err, body)
	}
	return &Response{Status: http.StatusCreated, Value: obj}, nil
}

// checkZone refuses a zone name that is not one of catalog.Zones.
func checkZone(zone string) error {
	if !slices.Contains(catalog.Zones(), zone) {
		return catalog.ErrUnknownZone
	}
	return nil
}

// getObject answers GET (streaming the bytes, with an object.read event)
// and HEAD (headers only) of the current version of zone/key.
func (h *catalogRoutes) getObject(w http.ResponseWriter, r *http.Request) {
	id, v := caller(r), mux.Vars(r)
	if err := checkZone(v["zone"]); err != nil {
		h.s.WriteError(w, r, err)
		return
	}
	o, err := h.lookupObject(r, id.Tenant, v["zone"], v["key"])
	if err == nil {
		err = h.s.checkReadable(o.PackageID)
	}
	if err != nil {
		h.s.WriteError(w, r, err)
		return
	}
	h.serveBlob(w, r, o.ObjectRef, func(rng byteRange) error {
		return h.svc.Read(r.Context(), id.Name, id.Tenant, catalog.ObjectRead{Zone: o.Zone, Key: o.Key, Digest: o.Digest,
			Version: o.Version, PackageID: o.PackageID, FileID: o.FileID, Offset: rng.offset, Length: rng.length})
	})
}

// lookupObject returns the version named by ?version=N, or the current
// version.
func (h *catalogRoutes) lookupObject(r *http.Request, tenant, zone, key string) (*catalog.Object, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	v, err := q.uint("version")
	if err != nil {
		return nil, err
	}
	if v.set {
		return h.cat.ObjectVersion(tenant, zone, key, v.v)
	}
	return h.cat.Object(tenant, zone, key)
}

// listVersions lists every version of zone/key, oldest first.
func (h *catalogRoutes) listVersions(r *http.Request) (any, error) {
	v := mux.Vars(r)
	if err := checkZone(v["zone"]); err != nil {
		return nil, err
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	cursor, limit, err := pageQuery(q)
	if err != nil {
		return nil, err
	}
	objs, next, err := h.cat.Versions(r.Context(), caller(r).Tenant, v["zone"], v["key"], cursor, limit)
	if err != nil {
		return nil, err
	}
	if objs == nil {
		objs = []catalog.Object{}
	}
	return ObjectsPage{Objects: objs, NextCursor: next}, nil
}

func (h *catalogRoutes) listObjects(r *http.Request) (any, error) {
	zone := mux.Vars(r)["zone"]
	if err := checkZone(zone); err != nil {
		return nil, err
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	prefix, _, err := q.str("prefix")
	if err != nil {
		return nil, err
	}
	cursor, limit, err := pageQuery(q)
	if err != nil {
		return nil, err
	}
	objs, next, err := h.cat.Objects(r.Context(), caller(r).Tenant, zone, prefix, cursor, limit)
	if err != nil {
		return nil, err
	}
	if zone == catalog.ZoneGolden {
		return h.s.goldenPage(objs, next) // with each object's verification
	}
	if objs == nil {
		objs = []catalog.Object{}
	}
	return ObjectsPage{Objects: objs, NextCursor: next}, nil
}

// BackendStatus is one entry of GET /v1/backends.
type BackendStatus struct {
	BackendInfo
	Status string `json:"status"` // "ok" or "unavailable"
	Detail string `json:"detail,omitempty"`
}

// backends reports the content store and whether it answers now.
func (h *catalogRoutes) backends(r *http.Request) (any, error) {
	st := BackendStatus{BackendInfo: h.backend, Status: "ok"}
	if err := h.svc.Store.Health(r.Context()); err != nil {
		st.Status, st.Detail = "unavailable", err.Error()
		h.s.log.WarnContext(r.Context(), "content store unhealthy", "backend", h.backend.Name, "err", err)
	}
	return map[string][]BackendStatus{"backends": {st}}, nil
}

// StoreHealth is the body of GET /health/store when the store answers.
type StoreHealth struct {
	Status string `json:"status"` // "ok"
	Kind   string `json:"kind"`   // backend kind: local or s3
}

// storeHealth answers 200 when the content store is usable and a 503
// storage-unavailable problem when it is not, for load balancers; it
// names no settings.
func (h *catalogRoutes) storeHealth(r *http.Request) (any, error) {
	if err := h.svc.Store.Health(r.Context()); err != nil {
		return nil, fmt.Errorf("%w: %w", cas.ErrUnavailable, err)
	}
	return StoreHealth{Status: "ok", Kind: h.backend.Kind}, nil
}

// scrub verifies every blob the catalog references; ?full=true also
// recomputes sha256.
func (h *catalogRoutes) scrub(r *http.Request) (any, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	full, _, err := q.str("full")
	if err != nil {
		return nil, err
	}
	if full != "" && full != "true" && full != "false" {
		return nil, invalidParam("full %q: want true or false", echo(full))
	}
	rep, err := h.svc.Scrub(r.Context(), caller(r).Name, full == "true")
	if err != nil {
		return nil, err
	}
	for _, f := range rep.Findings {
		h.s.log.WarnContext(r.Context(), "scrub finding", "digest", f.Digest, "problem", f.Problem, "detail", f.Detail)
	}
	h.s.log.InfoContext(r.Context(), "scrub done", "checked", rep.Checked, "corrupt", rep.Corrupt, "missing", rep.Missing, "failed", rep.Failed)
	return rep, nil
}

// pageQuery parses the cursor and limit of a listing.
func pageQuery(q query) (string, int, error) {
	cursor, _, err := q.str("cursor")
	if err != nil {
		return "", 0, err
	}
	limit, err := pageLimit(q)
	return cursor, limit, err
}
