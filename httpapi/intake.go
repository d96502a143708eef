package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// IntakeScrub re-reads the external objects bucket intake recorded and
// records their drift (intake.Intake.Scrub over every configured source).
type IntakeScrub func(ctx context.Context) (*catalog.DriftReport, error)

// SetIntakeScrub gives POST /v1/intake/scrub its work; without it the
// route answers that no intake is configured.
func (s *Server) SetIntakeScrub(fn IntakeScrub) { s.intakeScrub.Store(&fn) }

// IntakeNotify wakes the intakes of the buckets named by a bucket
// notification; it returns how many it woke.
type IntakeNotify func(buckets []string) int

type intakeNotifier struct {
	secret string
	fn     IntakeNotify
}

// SetIntakeNotify enables POST /v1/intake/notify/{secret}: the webhook an
// S3-compatible server sends bucket notifications to. The secret in the
// path is the only credential (a bucket server sends no bearer token); the
// route only wakes intake, which then lists the bucket as it always does.
func (s *Server) SetIntakeNotify(secret string, fn IntakeNotify) {
	s.intakeNotify.Store(&intakeNotifier{secret: secret, fn: fn})
}

// s3Event is the part of an S3 event notification the route reads.
type s3Event struct {
	Records []struct {
		S3 struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
		} `json:"s3"`
	} `json:"Records"`
}

// registerIntakeRoutes adds POST /v1/intake/scrub (store:admin) and POST
// /v1/intake/notify/{secret} (public: the secret is the credential).
func (s *Server) registerIntakeRoutes() {
	s.Handle(http.MethodPost, wire.IntakeNotifyPath+"/{secret}", PublicScope, func(r *http.Request) (any, error) {
		n := s.intakeNotify.Load()
		if n == nil || subtle.ConstantTimeCompare([]byte(n.secret), []byte(mux.Vars(r)["secret"])) != 1 {
			return nil, NewProblem(http.StatusNotFound, wire.TypeNotFound, "no intake notification endpoint here")
		}
		var ev s3Event
		if err := decodeLenient(r, &ev); err != nil || len(ev.Records) == 0 {
			return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidBody, "want an S3 event notification (Records[].s3.bucket.name): %v", err)
		}
		var buckets []string
		for _, rec := range ev.Records {
			if rec.S3.Bucket.Name != "" {
				buckets = append(buckets, rec.S3.Bucket.Name)
			}
		}
		if len(buckets) == 0 {
			return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidBody, "the notification names no bucket")
		}
		return map[string]int{"woken": n.fn(buckets)}, nil
	}, MaxBody(1<<20))
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

// decodeLenient reads one JSON object into v, ignoring members v does not
// name: notifications carry many.
func decodeLenient(r *http.Request, v any) error {
	return json.NewDecoder(r.Body).Decode(v)
}
