package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// parseCreate splits a create request into its known members and the open
// attributes, checking that the body and the metadata are JSON objects.
func parseCreate(body []byte) (catalog.CreateRequest, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(body, &all); err != nil || all == nil {
		return catalog.CreateRequest{}, fmt.Errorf("%w: body: want a JSON object with name and retention_class", catalog.ErrMetadataNotJSON)
	}
	var req wire.CreatePackageRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return catalog.CreateRequest{}, fmt.Errorf("%w: %w", catalog.ErrInvalidField, err)
	}
	meta, err := catalog.CheckMetadata(req.Metadata)
	if err != nil {
		return catalog.CreateRequest{}, err
	}
	for _, k := range []string{"name", "producer", "subject", "run_id", "retention_class", "metadata"} {
		delete(all, k)
	}
	var attrs json.RawMessage
	if len(all) > 0 {
		b, err := json.Marshal(all)
		if err != nil {
			return catalog.CreateRequest{}, err
		}
		if attrs, err = catalog.CheckMetadata(b); err != nil {
			return catalog.CreateRequest{}, err
		}
	}
	return catalog.CreateRequest{Name: req.Name, Producer: req.Producer, Subject: req.Subject, RunID: req.RunID,
		RetentionClass: req.RetentionClass, Metadata: meta, Attributes: attrs}, nil
}

func (h *catalogRoutes) createPackage(r *http.Request) (any, error) {
	body, err := io.ReadAll(r.Body) // capped by the route's MaxBody
	if err != nil {
		return nil, err
	}
	req, err := parseCreate(body)
	if err != nil {
		return nil, err
	}
	id := caller(r)
	p, err := h.svc.CreatePackage(r.Context(), id.Name, id.Tenant, req)
	if err != nil {
		return nil, err
	}
	return &Response{Status: http.StatusCreated, Value: p}, nil
}

func (h *catalogRoutes) listPackages(r *http.Request) (any, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	var f catalog.PackageFilter
	var cursor string
	for _, p := range []struct {
		name string
		dst  *string
	}{{"producer", &f.Producer}, {"subject", &f.Subject}, {"run_id", &f.RunID}, {"status", &f.Status}, {"cursor", &cursor}} {
		if *p.dst, _, err = q.str(p.name); err != nil {
			return nil, err
		}
	}
	limit, err := pageLimit(q)
	if err != nil {
		return nil, err
	}
	pkgs, next, err := h.cat.Packages(r.Context(), caller(r).Tenant, f, cursor, limit)
	if err != nil {
		return nil, err
	}
	if pkgs == nil {
		pkgs = []catalog.Package{}
	}
	return wire.PackagesPage{Packages: pkgs, NextCursor: next}, nil
}

// pageLimit reads the optional limit parameter (1..catalog.MaxPage).
func pageLimit(q query) (int, error) {
	o, err := q.uint("limit")
	if err != nil || !o.set {
		return catalog.MaxPage, err
	}
	if o.v == 0 || o.v > catalog.MaxPage {
		return 0, invalidParam("limit %d: want 1 to %d", o.v, catalog.MaxPage)
	}
	return int(o.v), nil
}

func (h *catalogRoutes) getPackage(r *http.Request) (any, error) {
	p, err := h.cat.Package(caller(r).Tenant, mux.Vars(r)["id"])
	if err != nil {
		return nil, err
	}
	del, err := h.s.tombstone(p.Tenant, p.ID)
	if err != nil {
		return nil, err
	}
	return wire.PackageWithDeletion{Package: p, Deletion: del}, nil
}

func (h *catalogRoutes) finalize(r *http.Request) (any, error) {
	id := caller(r)
	p, err := h.svc.Finalize(r.Context(), id.Name, id.Tenant, mux.Vars(r)["id"])
	if err != nil {
		return nil, err
	}
	return p, nil
}

// manifest serves the manifest bytes exactly as hashed at finalize.
func (h *catalogRoutes) manifest(r *http.Request) (any, error) {
	b, p, err := h.cat.Manifest(r.Context(), caller(r).Tenant, mux.Vars(r)["id"])
	if err != nil {
		return nil, err
	}
	hdr := http.Header{}
	hdr.Set(wire.ManifestDigestHeader, p.ManifestDigest)
	hdr.Set(wire.ManifestIndexHeader, strconv.FormatUint(p.FinalizedIndex, 10))
	del, err := h.s.tombstone(p.Tenant, p.ID)
	if err != nil {
		return nil, err
	}
	if del.Gone() {
		hdr.Set(wire.DeletedIndexHeader, strconv.FormatUint(del.StartedIndex, 10))
	}
	return &Response{ContentType: "application/json", Body: b, Header: hdr}, nil
}
