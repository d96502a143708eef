package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/verifier"
)

// CheckpointContentType is the media type of a signed checkpoint note.
const CheckpointContentType = "text/plain; charset=utf-8"

func (s *Server) registerLogRoutes() {
	s.Handle(http.MethodGet, "/v1/log/checkpoint", ScopeLogRead, s.checkpoint)
	s.Handle(http.MethodGet, "/v1/log/entries", ScopeLogRead, s.entries)
	s.Handle(http.MethodGet, "/v1/log/entries/{index}", ScopeLogRead, s.entry)
	s.Handle(http.MethodGet, "/v1/log/proof/inclusion", ScopeLogRead, s.inclusion)
	s.Handle(http.MethodGet, "/v1/log/proof/consistency", ScopeLogRead, s.consistency)
}

func (s *Server) health(*http.Request) (any, error) {
	size, _ := s.cfg.Log.Head()
	return wire.Health{Status: "ok", Size: size}, nil
}

// treeSize resolves an optional size parameter: absent means the current
// size; a size beyond it is a beyond-tree problem.
func (s *Server) treeSize(name string, o optUint) (uint64, error) {
	cur, _ := s.cfg.Log.Head()
	if !o.set {
		return cur, nil
	}
	if o.v > cur {
		return 0, NewProblem(http.StatusBadRequest, wire.TypeBeyondTree, "%s %d beyond current size %d", name, o.v, cur)
	}
	return o.v, nil
}

func (s *Server) checkpoint(r *http.Request) (any, error) {
	p, err := parseCheckpointQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	var cp []byte
	if p.size.set {
		if _, err := s.treeSize("size", p.size); err != nil {
			return nil, err
		}
		cp, err = s.cfg.Log.CheckpointAt(p.size.v)
	} else {
		cp, err = s.servedCheckpoint(p.witnessed)
	}
	if err != nil {
		return nil, err
	}
	return &Response{ContentType: CheckpointContentType, Body: cp}, nil
}

func (s *Server) entry(r *http.Request) (any, error) {
	index, err := parseUint("index", mux.Vars(r)["index"])
	if err != nil {
		return nil, err
	}
	b, err := s.cfg.Log.Entry(index)
	if err != nil {
		return nil, err
	}
	if !readsEntry(caller(r), b) {
		return nil, NewProblem(http.StatusNotFound, wire.TypeNotFound, "no entry %d of tenant %q", index, caller(r).Tenant)
	}
	return newLogEntry(index, b), nil
}

func newLogEntry(index uint64, b []byte) wire.LogEntry {
	return wire.LogEntry{Index: index, LeafHash: verifier.LeafHash(b), Entry: b}
}

func (s *Server) entries(r *http.Request) (any, error) {
	p, err := parseEntriesQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	if err := checkPage(p); err != nil {
		return nil, err
	}
	start, err := s.treeSize("start", optUint{v: p.start.v, set: true})
	if err != nil {
		return nil, err
	}
	end, err := s.treeSize("end", p.end)
	if err != nil {
		return nil, err
	}
	if !p.end.set {
		end = min(end, start+wire.MaxPage)
	}
	data, err := s.cfg.Log.Entries(start, end)
	if err != nil {
		return nil, err
	}
	id := caller(r)
	page := wire.EntriesPage{Entries: make([]wire.LogEntry, 0, len(data))}
	for i, b := range data {
		if readsEntry(id, b) {
			page.Entries = append(page.Entries, newLogEntry(start+uint64(i), b))
		}
	}
	return page, nil
}

// checkPage checks the range [start, end) of an entries request before the
// tree is consulted: start <= end and at most MaxPage entries.
func checkPage(p entriesParams) error {
	if !p.end.set {
		return nil
	}
	start, end := p.start.v, p.end.v
	if start > end {
		return NewProblem(http.StatusBadRequest, wire.TypeInvalidRange, "start %d after end %d; expected start <= end", start, end)
	}
	if end-start > wire.MaxPage {
		return NewProblem(http.StatusBadRequest, wire.TypePageTooLarge,
			"range [%d, %d) holds %d entries; expected at most %d per request", start, end, end-start, wire.MaxPage)
	}
	return nil
}

func (s *Server) inclusion(r *http.Request) (any, error) {
	p, err := parseInclusionQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	size, err := s.treeSize("tree_size", p.treeSize)
	if err != nil {
		return nil, err
	}
	index, leaf := p.index.v, p.leafHash
	if leaf != nil {
		if index, err = s.cfg.Log.LeafIndex(leaf); err != nil {
			return nil, err
		}
	}
	if index >= size {
		return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidRange,
			"index %d not below tree_size %d; expected an entry within that tree", index, size)
	}
	if leaf == nil {
		b, err := s.cfg.Log.Entry(index)
		if err != nil {
			return nil, err
		}
		leaf = verifier.LeafHash(b)
	}
	hashes, err := s.cfg.Log.InclusionProof(index, size)
	if err != nil {
		return nil, err
	}
	root, err := s.cfg.Log.RootAt(size)
	if err != nil {
		return nil, err
	}
	return wire.InclusionProof{Index: index, TreeSize: size, LeafHash: leaf, RootHash: root, Hashes: wire.Hashes(hashes)}, nil
}

func (s *Server) consistency(r *http.Request) (any, error) {
	p, err := parseConsistencyQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	second, err := s.treeSize("second", p.second)
	if err != nil {
		return nil, err
	}
	first := p.first.v
	if first > second {
		return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidRange,
			"first %d greater than second %d; expected first <= second", first, second)
	}
	hashes, err := s.cfg.Log.ConsistencyProof(first, second)
	if err != nil {
		return nil, err
	}
	r1, err := s.cfg.Log.RootAt(first)
	if err != nil {
		return nil, err
	}
	r2, err := s.cfg.Log.RootAt(second)
	if err != nil {
		return nil, err
	}
	return wire.ConsistencyProof{First: first, Second: second, FirstRoot: r1, SecondRoot: r2, Hashes: wire.Hashes(hashes)}, nil
}
