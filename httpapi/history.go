package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/verifier"
)

// DefaultHistoryLimit is the page size of a history query without limit=.
const DefaultHistoryLimit = 100

// historyParams are the filters shared by GET /v1/history, its export and
// the timelines, parsed before any read.
type historyParams struct {
	q       ledger.HistoryQuery
	tenant  *string // tenant=, which only an auditor may set to another tenant
	proofs  bool
	format  string // the export's
	limited bool   // limit= was given
}

// historyFilters are the parameters each route accepts beyond the paging
// ones; any other is refused, so a misspelt filter never widens an answer.
var (
	historyFilters  = []string{"type", "actor", "zone", "key_prefix", "digest", "package", "run_id", "since", "until", "tenant"}
	historyPaging   = []string{"cursor", "order", "limit", "proofs"}
	timelineParams  = []string{"cursor", "order", "limit", "proofs"}
	exportParams    = append(slices.Clone(historyFilters), "order", "format")
	historyParamSet = append(slices.Clone(historyFilters), historyPaging...)
)

// parseHistoryQuery parses raw, allowing only the names of allowed.
func parseHistoryQuery(raw string, allowed []string) (p historyParams, err error) {
	q, err := parseQuery(raw)
	if err != nil {
		return p, err
	}
	for name := range q {
		if !slices.Contains(allowed, name) {
			return p, invalidParam("unknown parameter %q; expected one of %s", echo(name), strings.Join(allowed, ", "))
		}
	}
	p.q.Limit = DefaultHistoryLimit
	p.q.Types = q["type"]
	where := func(param, attr string, check func(string) (string, error)) error {
		v, ok, err := q.str(param)
		if err != nil || !ok {
			return err
		}
		if v == "" {
			return invalidParam("%s is empty", param)
		}
		if check != nil {
			if v, err = check(v); err != nil {
				return err
			}
		}
		p.q.Where = append(p.q.Where, ledger.Attr{Name: attr, Value: v})
		return nil
	}
	checkZone := func(z string) (string, error) {
		if !slices.Contains(catalog.Zones(), z) {
			return "", invalidParam("zone %q: expected one of %s", echo(z), strings.Join(catalog.Zones(), ", "))
		}
		return z, nil
	}
	checkDigest := func(d string) (string, error) {
		if !isDigest(d) {
			return "", invalidParam("digest %q: expected sha256: and 64 hex digits", echo(d))
		}
		return strings.ToLower(strings.TrimPrefix(d, "sha256:")), nil
	}
	for _, f := range []struct {
		param, attr string
		check       func(string) (string, error)
	}{{"actor", ledger.AttrActor, nil}, {"package", ledger.AttrPackage, nil}, {"run_id", ledger.AttrRun, nil}, {"digest", ledger.AttrDigest, checkDigest}} {
		if err := where(f.param, f.attr, f.check); err != nil {
			return p, err
		}
	}
	zone, hasZone, err := q.str("zone")
	if err != nil {
		return p, err
	}
	if hasZone {
		if _, err := checkZone(zone); err != nil {
			return p, err
		}
	}
	prefix, hasPrefix, err := q.str("key_prefix")
	switch {
	case err != nil:
		return p, err
	case hasPrefix && !hasZone:
		return p, invalidParam("key_prefix needs zone=")
	case hasPrefix && prefix != "":
		p.q.KeyPrefix = zone + "/" + prefix
	case hasZone:
		p.q.Where = append(p.q.Where, ledger.Attr{Name: ledger.AttrZone, Value: zone})
	}
	for _, b := range []struct {
		name string
		t    *time.Time
	}{{"since", &p.q.Since}, {"until", &p.q.Until}} {
		v, ok, err := q.str(b.name)
		if err != nil {
			return p, err
		}
		if ok {
			if *b.t, err = time.Parse(time.RFC3339Nano, v); err != nil {
				return p, invalidParam("%s %q: expected an RFC 3339 time such as 2026-12-03T10:00:00Z", b.name, echo(v))
			}
		}
	}
	if !p.q.Since.IsZero() && !p.q.Until.IsZero() && p.q.Since.After(p.q.Until) {
		return p, invalidParam("since %s is after until %s", p.q.Since.Format(time.RFC3339Nano), p.q.Until.Format(time.RFC3339Nano))
	}
	if t, ok, err := q.str("tenant"); err != nil {
		return p, err
	} else if ok {
		p.tenant = &t
	}
	cursor, err := q.uint("cursor")
	if err != nil {
		return p, err
	}
	if cursor.set {
		p.q.After = &cursor.v
	}
	if order, ok, err := q.str("order"); err != nil {
		return p, err
	} else if ok {
		switch order {
		case "asc":
		case "desc":
			p.q.Desc = true
		default:
			return p, invalidParam("order %q: expected asc or desc", echo(order))
		}
	}
	limit, err := q.uint("limit")
	if err != nil {
		return p, err
	}
	if limit.set {
		if limit.v < 1 || limit.v > ledger.MaxHistoryLimit {
			return p, invalidParam("limit %d: expected 1 to %d", limit.v, ledger.MaxHistoryLimit)
		}
		p.q.Limit, p.limited = int(limit.v), true
	}
	if v, ok, err := q.str("proofs"); err != nil {
		return p, err
	} else if ok {
		if p.proofs, err = strconv.ParseBool(v); err != nil {
			return p, invalidParam("proofs %q: expected true or false", echo(v))
		}
	}
	if v, ok, err := q.str("format"); err != nil {
		return p, err
	} else if ok {
		p.format = v
	}
	return p, nil
}

// scope limits q to the entries the caller may read: every tenant's for
// an auditor (or the one tenant= names), else the caller's own and the
// system's (tenant ""), or the caller's own only when tenant= names it.
func (p *historyParams) scope(r *http.Request) error {
	id := caller(r)
	audit := id.HasScope(ScopeLogAudit)
	switch {
	case p.tenant != nil && *p.tenant != id.Tenant && !audit:
		return NewProblem(http.StatusForbidden, wire.TypeForbidden,
			"tenant %q is another tenant's history: token %q lacks scope %q", echo(*p.tenant), id.Name, ScopeLogAudit)
	case p.tenant != nil:
		p.q.Where = append(p.q.Where, ledger.Attr{Name: ledger.AttrTenant, Value: *p.tenant})
	case !audit:
		p.q.AnyOf = append(p.q.AnyOf, []ledger.Attr{{Name: ledger.AttrTenant, Value: id.Tenant}, {Name: ledger.AttrTenant, Value: ""}})
	}
	return nil
}

func (s *Server) registerHistoryRoutes() {
	s.Handle(http.MethodGet, "/v1/history", ScopeLogRead, s.history)
	s.HandleHTTP(http.MethodGet, "/v1/history/export", ScopeLogRead, http.HandlerFunc(s.historyExport))
	s.Handle(http.MethodGet, "/v1/artifacts/{digest}/timeline", ScopeLogRead, s.artifactTimeline)
}

// history answers GET /v1/history: the entries the filters select that
// the caller may read, a page at a time.
func (s *Server) history(r *http.Request) (any, error) {
	p, err := parseHistoryQuery(r.URL.RawQuery, historyParamSet)
	if err != nil {
		return nil, err
	}
	return s.historyPage(r, p)
}

// historyPage runs p's query for the caller and answers the page, with
// inclusion proofs against the latest checkpoint when p asks for them.
func (s *Server) historyPage(r *http.Request, p historyParams) (any, error) {
	if err := p.scope(r); err != nil {
		return nil, err
	}
	if p.q.After != nil {
		if size, _ := s.cfg.Log.Head(); *p.q.After >= size {
			return nil, NewProblem(http.StatusBadRequest, wire.TypeBeyondTree, "cursor %d beyond the log of %d entries", *p.q.After, size)
		}
	}
	recs, next, err := s.cfg.Log.History(r.Context(), p.q)
	if err != nil {
		return nil, err
	}
	page := wire.HistoryPage{Entries: make([]wire.HistoryEntry, 0, len(recs))}
	if next != nil {
		page.NextCursor = strconv.FormatUint(*next, 10)
	}
	if p.proofs {
		size, cp := s.cfg.Log.Latest() // after the query: it covers every index found
		page.TreeSize, page.Checkpoint = size, string(cp)
	}
	for _, rec := range recs {
		e := historyEntry(rec)
		if p.proofs {
			proof, err := s.cfg.Log.InclusionProof(rec.Index, page.TreeSize)
			if err != nil {
				return nil, err
			}
			e.Proof = wire.Hashes(proof)
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}

func historyEntry(rec *ledger.Record) wire.HistoryEntry {
	return wire.HistoryEntry{Index: rec.Index, Time: rec.Time, Type: rec.Type, Actor: rec.Actor, Tenant: rec.Tenant,
		Body: rec.Body, LeafHash: verifier.LeafHash(rec.Bytes), Entry: rec.Bytes}
}

// maxTimelinePackages bounds the packages an artifact's timeline follows:
// those whose files hold the artifact, found from their file.added entries.
const maxTimelinePackages = 100

// artifactTimeline answers GET /v1/artifacts/{digest}/timeline: every
// entry the caller may read that names the digest (landing, reads,
// promotions, exports, deletions of its blob) or a package one of whose
// files is the artifact (the package's retention and deletion), in order.
func (s *Server) artifactTimeline(r *http.Request) (any, error) {
	d := mux.Vars(r)["digest"]
	if !isDigest(d) {
		return nil, invalidParam("digest %q: expected sha256: and 64 hex digits", echo(d))
	}
	p, err := parseHistoryQuery(r.URL.RawQuery, timelineParams)
	if err != nil {
		return nil, err
	}
	hexd := strings.ToLower(strings.TrimPrefix(d, "sha256:"))
	group := []ledger.Attr{{Name: ledger.AttrDigest, Value: hexd}}
	files := p
	files.q = ledger.HistoryQuery{Types: []string{catalog.TypeFileAdded}, Where: []ledger.Attr{{Name: ledger.AttrDigest, Value: hexd}}, Limit: maxTimelinePackages}
	if err := files.scope(r); err != nil {
		return nil, err
	}
	added, _, err := s.cfg.Log.History(r.Context(), files.q)
	if err != nil {
		return nil, err
	}
	for _, rec := range added {
		var b catalog.FileAdded
		if err := ledger.DecodeStrict(rec.Body, &b); err != nil {
			return nil, fmt.Errorf("entry %d: %w", rec.Index, err)
		}
		if a := (ledger.Attr{Name: ledger.AttrPackage, Value: b.PackageID}); !slices.Contains(group, a) {
			group = append(group, a)
		}
	}
	p.q.AnyOf = append(p.q.AnyOf, group)
	return s.historyPage(r, p)
}

// packageTimeline answers GET /v1/packages/{id}/timeline: every entry of
// the caller's package (creation, files, finalization, reads, retention,
// deletion), in order; another tenant's package is not found.
func (h *catalogRoutes) packageTimeline(r *http.Request) (any, error) {
	p, err := parseHistoryQuery(r.URL.RawQuery, timelineParams)
	if err != nil {
		return nil, err
	}
	pkg, err := h.cat.Package(caller(r).Tenant, mux.Vars(r)["id"])
	if err != nil {
		return nil, err
	}
	p.tenant = &pkg.Tenant
	p.q.Where = append(p.q.Where, ledger.Attr{Name: ledger.AttrPackage, Value: pkg.ID})
	return h.s.historyPage(r, p)
}

// flatten is the export row of rec: the object it touches is read from
// the body's zone and key (or its object, or the raw object a promotion
// checks), the digest from its digest (or artifactHash), the size from
// its size.
func flatten(rec *ledger.Record) wire.HistoryRow {
	row := wire.HistoryRow{EventTime: rec.Time, Type: rec.Type, Actor: rec.Actor, Tenant: rec.Tenant, LedgerIndex: rec.Index}
	var b struct {
		catalog.ObjectRef
		Object         *catalog.ObjectRef `json:"object"`
		SourceKey      string             `json:"source_key"`
		ExpectedDigest string             `json:"expected_digest"`
		ArtifactHash   string             `json:"artifactHash"`
	}
	if err := json.Unmarshal(rec.Body, &b); err != nil {
		return row
	}
	ref := b.ObjectRef
	if b.Object != nil {
		ref = *b.Object
	}
	if ref.Key == "" && b.SourceKey != "" {
		ref = catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: b.SourceKey, Digest: b.ExpectedDigest}
	}
	row.Zone, row.Key, row.Digest, row.Size = ref.Zone, ref.Key, ref.Digest, ref.Size
	if row.Digest == "" && b.ArtifactHash != "" {
		row.Digest = b.ArtifactHash
	}
	return row
}
