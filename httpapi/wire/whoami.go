package wire

// WhoAmIPath answers who the caller's token is (GET, any valid token).
const WhoAmIPath = "/v1/whoami"

// WhoAmI is the answer of GET /v1/whoami: the name of the caller's token
// (the actor of the entries it causes), its tenant (which job exports must
// send in X-Tenant-Id) and its scopes ("*" for all).
type WhoAmI struct {
	Name   string   `json:"name"`
	Tenant string   `json:"tenant"`
	Scopes []string `json:"scopes"`
}

// OpenAPIPath serves the OpenAPI 3 document of the server's routes (GET,
// no token).
const OpenAPIPath = "/v1/openapi.json"
