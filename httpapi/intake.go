package httpapi

import (
	"context"
	"net/http"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// IntakeScrub re-reads the external objects bucket intake recorded and
// records their drift (intake.Intake.Scrub over every configured source).
type IntakeScrub func(ctx context.Context) (*catalog.DriftReport, error)

// SetIntakeScrub gives POST /v1/intake/scrub its work; without it the
// route answers that no intake is configured.
func (s *Server) SetIntakeScrub(fn IntakeScrub) { s.intakeScrub.Store(&fn) }

// registerIntakeRoutes adds POST /v1/intake/scrub (store:admin).
func (s *Server) registerIntakeRoutes() {
	s.Handle(http.MethodPost, wire.IntakeScrubPath, ScopeStoreAdmin, func(r *http.Request) (any, error) {
		if r.URL.RawQuery != "" {
			return nil, invalidParam("POST %s takes no parameters", wire.IntakeScrubPath)
		}
		fn := s.intakeScrub.Load()
		if fn == nil {
			return nil, NewProblem(http.StatusNotFound, wire.TypeNotFound, "no bucket intake is configured (serve --intake)")
		}
		return (*fn)(r.Context())
	})
}
