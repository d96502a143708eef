package httpapi

import (
	"net/http"
	"strings"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// MaxSearch is the most entries one GET /v1/log/search returns.
const MaxSearch = 100

// SearchHit and SearchResult are the body of GET /v1/log/search (package
// wire, which the client shares).
type (
	SearchHit    = wire.SearchHit
	SearchResult = wire.SearchResult
)

type searchParams struct {
	digest string
	after  optUint
	limit  int
}

func parseSearchQuery(raw string) (p searchParams, err error) {
	q, err := parseQuery(raw)
	if err != nil {
		return p, err
	}
	d, ok, err := q.str("digest")
	if err != nil {
		return p, err
	}
	if !ok || !isDigest(d) {
		return p, invalidParam("digest %q: expected sha256: and 64 hex digits", echo(d))
	}
	p.digest = d
	if p.after, err = q.uint("after"); err != nil {
		return p, err
	}
	limit, err := q.uint("limit")
	p.limit = MaxSearch
	if err == nil && limit.set {
		if limit.v < 1 || limit.v > MaxSearch {
			return p, invalidParam("limit %d: expected 1 to %d", limit.v, MaxSearch)
		}
		p.limit = int(limit.v)
	}
	return p, err
}

func isDigest(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	_, err := wire.DecodeHash(h)
	return err == nil
}

func (s *Server) registerSearchRoutes() {
	s.Handle(http.MethodGet, "/v1/log/search", ScopeLogRead, s.search)
}

// search answers the entries the caller may read (see readsEntry) that
// reference a digest, each with an inclusion proof against the latest
// checkpoint.
func (s *Server) search(r *http.Request) (any, error) {
	p, err := parseSearchQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	var after *uint64
	if p.after.set {
		after = &p.after.v
	}
	// One more than the page, to know whether another page follows.
	hits, err := s.readableWithDigest(r, p.digest, after, p.limit+1)
	if err != nil {
		return nil, err
	}
	size, cp := s.cfg.Log.Latest() // taken after the scan: it covers every index found
	res := SearchResult{Digest: p.digest, TreeSize: size, Checkpoint: string(cp), Entries: []SearchHit{}}
	if len(hits) > p.limit {
		hits = hits[:p.limit]
		res.Next = &hits[len(hits)-1].Index
	}
	for _, h := range hits {
		proof, err := s.cfg.Log.InclusionProof(h.Index, size)
		if err != nil {
			return nil, err
		}
		res.Entries = append(res.Entries, SearchHit{LogEntry: h, Proof: wire.Hashes(proof)})
	}
	return res, nil
}

// readableWithDigest returns up to limit entries after after that name
// digest and that the caller may read, in log order. It reads the digest
// index a page at a time, skipping entries of other tenants.
func (s *Server) readableWithDigest(r *http.Request, digest string, after *uint64, limit int) ([]wire.LogEntry, error) {
	id := caller(r)
	var hits []wire.LogEntry
	for len(hits) < limit {
		idx, err := s.cfg.Log.EntriesWithDigest(r.Context(), digest, after, limit)
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			b, err := s.cfg.Log.Entry(i)
			if err != nil {
				return nil, err
			}
			if readsEntry(id, b) && len(hits) < limit {
				hits = append(hits, newLogEntry(i, b))
			}
		}
		if len(idx) < limit {
			break
		}
		after = &idx[len(idx)-1]
	}
	return hits, nil
}
