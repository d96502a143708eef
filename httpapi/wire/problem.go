package wire

import (
	"encoding/json"
	"fmt"
	"maps"
)

// ProblemBase prefixes the type URI of every problem Assay writes.
const ProblemBase = "https://assay.dev/problems/"

// Problem type URIs. They are stable: clients may switch on them.
const (
	TypeInvalidParameter = ProblemBase + "invalid-parameter"
	TypeInvalidRange     = ProblemBase + "invalid-range"
	TypeBeyondTree       = ProblemBase + "beyond-tree"
	TypePageTooLarge     = ProblemBase + "page-too-large"
	TypeNotFound         = ProblemBase + "not-found"
	TypeUnauthorized     = ProblemBase + "unauthorized"
	TypeTokenExpired     = ProblemBase + "token-expired"
	TypeTokenRevoked     = ProblemBase + "token-revoked"
	TypeForbidden        = ProblemBase + "forbidden"
	TypeMethodNotAllowed = ProblemBase + "method-not-allowed"
	TypePayloadTooLarge  = ProblemBase + "payload-too-large"
	TypeInvalidEntry     = ProblemBase + "invalid-entry"
	TypeUnavailable      = ProblemBase + "unavailable"
	TypeInternal         = ProblemBase + "internal"
	TypeReadOnlyMirror   = ProblemBase + "read-only-mirror"
	TypeNotWitnessed     = ProblemBase + "not-witnessed"
	TypeInvalidBody      = ProblemBase + "invalid-body"
	TypeOCINotConfigured = ProblemBase + "oci-not-configured"
	TypePackageNotGolden = ProblemBase + "package-not-golden"
	TypeRegistryFailed   = ProblemBase + "registry-failed"
)

// RequestIDHeader carries a request's id: a client may send one (up to 128
// letters, digits and "-._:"), and every response echoes the id the server
// used, which is also in its log line and in any problem body.
const RequestIDHeader = "X-Request-Id"

// ProblemContentType is the media type of problem responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem detail. Handlers return one (directly or
// wrapped) to answer with that type, status and detail; it is also what the
// client package returns for an error response.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// RequestID is the id of the request that failed, as in its
	// X-Request-Id response header and the server's log line for it, so
	// that a problem a user reports can be found in the server's logs.
	RequestID string `json:"request_id,omitempty"`
	Err       error  `json:"-"` // the cause, for errors.Is and logs; never sent
	// Extensions are extra members (RFC 9457 §3.2) written beside the
	// standard ones, such as a pointer to the entry a conflict is with.
	Extensions map[string]any `json:"-"`
}

// Error returns the detail, or the title and status when there is none.
func (p *Problem) Error() string {
	if p.Detail == "" {
		return fmt.Sprintf("%s (%d)", p.Title, p.Status)
	}
	return p.Detail
}

// Unwrap returns the cause, so errors.Is sees through a problem.
func (p *Problem) Unwrap() error { return p.Err }

// MarshalJSON writes the standard members and the extension members; an
// extension cannot replace a standard member.
func (p *Problem) MarshalJSON() ([]byte, error) {
	type std Problem // without the methods, so this does not recurse
	if len(p.Extensions) == 0 {
		return json.Marshal((*std)(p))
	}
	m := make(map[string]any, len(p.Extensions)+4)
	maps.Copy(m, p.Extensions)
	m["type"], m["title"], m["status"] = p.Type, p.Title, p.Status
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	if p.RequestID != "" {
		m["request_id"] = p.RequestID
	}
	return json.Marshal(m)
}
