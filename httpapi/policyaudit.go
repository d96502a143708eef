package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/policyaudit"
)

// registerPolicyAudit adds GET /v1/policy/audit: the policy audit of a
// range of the live log, for monitoring. It reports every tenant's
// decisions, so it needs the auditor scope log:audit. It replays the log
// from its first entry (the rules need the state before the range), so
// its cost grows with the log; proofs are checked against the tier's keys,
// not re-verified (the route reads no blobs).
func (s *Server) registerPolicyAudit(reg *prometheus.Registry) error {
	violations := prometheus.NewCounter(prometheus.CounterOpts{Name: "assay_policy_violations_found_total",
		Help: "Policy violations that GET /v1/policy/audit found, counted at each audit that found them."})
	if err := reg.Register(violations); err != nil {
		return err
	}
	s.Handle(http.MethodGet, wire.PolicyAuditPath, ScopeLogAudit, func(r *http.Request) (any, error) {
		q, err := parseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, err
		}
		for name := range q {
			if name != "from" && name != "to" {
				return nil, invalidParam("unknown parameter %q; expected from and to", echo(name))
			}
		}
		from, err := q.uint("from")
		if err != nil {
			return nil, err
		}
		toParam, err := q.uint("to")
		if err != nil {
			return nil, err
		}
		to, err := s.treeSize("to", toParam)
		if err != nil {
			return nil, err
		}
		if from.v > to {
			return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidRange, "from %d after to %d; expected from <= to", from.v, to)
		}
		rep, err := policyaudit.Log(r.Context(), s.cfg.Log, from.v, to, nil)
		if err != nil {
			return nil, err
		}
		violations.Add(float64(len(rep.Violations)))
		return wire.PolicyAudit{From: rep.From, To: rep.To, Entries: rep.Entries, Checked: rep.Checked, Unproven: rep.Unproven, Violations: rep.Violations}, nil
	})
	return nil
}
