package httpapi

import (
	"net/http"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/verifier"
	"github.com/assay-ledger/assay/witness"
)

// registerWitnessRoutes adds GET /v1/witnesses, each witness's state, and
// GET /v1/log/receipt, an entry's proof in the served checkpoint.
func (s *Server) registerWitnessRoutes() {
	s.Handle(http.MethodGet, wire.WitnessesPath, ScopeLogRead, s.witnesses)
	s.Handle(http.MethodGet, wire.ReceiptPath, ScopeLogRead, s.receipt)
}

// servedCheckpoint is the checkpoint readers get: with witnesses
// configured and witnessed true, the latest one a quorum cosigned (a 503
// problem until there is one); otherwise the newest signed one.
func (s *Server) servedCheckpoint(witnessed bool) ([]byte, error) {
	w := s.cfg.Witnesses
	if w == nil || !witnessed {
		return s.cfg.Log.Checkpoint(), nil
	}
	if cp := w.Checkpoint(); cp != nil {
		return cp, nil
	}
	return nil, NewProblem(http.StatusServiceUnavailable, wire.TypeNotWitnessed,
		"no checkpoint has the cosignatures of %d witnesses yet; GET %s shows them, and ?witnessed=false the newest signed checkpoint", w.Quorum(), wire.WitnessesPath)
}

func (s *Server) witnesses(*http.Request) (any, error) {
	view := wire.WitnessesView{Witnesses: []wire.WitnessStatus{}}
	if w := s.cfg.Witnesses; w != nil {
		view.Quorum, view.Witnesses = w.Quorum(), w.Statuses()
		if cp := w.Checkpoint(); cp != nil {
			c, err := verifier.ReadCheckpoint(cp)
			if err != nil {
				return nil, err
			}
			view.WitnessedSize = c.Size
		}
	}
	return view, nil
}

// receipt answers an entry the caller may read with its inclusion proof in
// the served checkpoint's tree; an entry that tree does not hold yet is a
// 409 not-witnessed problem to retry.
func (s *Server) receipt(r *http.Request) (any, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	for name := range q {
		if name != "index" {
			return nil, invalidParam("unknown parameter %q; expected index", echo(name))
		}
	}
	index, err := q.uint("index")
	if err != nil {
		return nil, err
	}
	if !index.set {
		return nil, invalidParam("index is required")
	}
	b, err := s.cfg.Log.Entry(index.v)
	if err != nil {
		return nil, err
	}
	if !readsEntry(caller(r), b) {
		return nil, NewProblem(http.StatusNotFound, wire.TypeNotFound, "no entry %d of tenant %q", index.v, caller(r).Tenant)
	}
	cp, err := s.servedCheckpoint(true)
	if err != nil {
		return nil, err
	}
	c, err := verifier.ReadCheckpoint(cp)
	if err != nil {
		return nil, err
	}
	if index.v >= c.Size {
		return nil, NewProblem(http.StatusConflict, wire.TypeNotWitnessed,
			"entry %d is not in the served checkpoint's tree of size %d yet; retry shortly", index.v, c.Size)
	}
	proof, err := s.cfg.Log.InclusionProof(index.v, c.Size)
	if err != nil {
		return nil, err
	}
	return wire.Receipt{Index: index.v, LeafHash: verifier.LeafHash(b), Entry: b, TreeSize: c.Size,
		Checkpoint: string(cp), InclusionProof: wire.Hashes(proof)}, nil
}

// WitnessSource is what the server needs of a witness.Service.
type WitnessSource interface {
	Checkpoint() []byte
	Quorum() int
	Statuses() []witness.Status
}
