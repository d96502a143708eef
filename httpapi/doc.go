// Package httpapi serves Assay's HTTP API: the log, tile and search routes,
// health and metrics, and (registered by the server) the package, object,
// store, retention, deletion, promotion and job-export routes, behind bearer-token authentication, with
// every error written as an RFC 9457 problem.
//
// # Routes
//
//	GET /health                      no token; {"status","size"}
//	GET /metrics                     scope metrics:read (or no token, see Config.MetricsPublic)
//	GET /v1/log/checkpoint[?size=N]  scope log:read; the signed checkpoint note, text/plain
//	GET /v1/log/entries?start=&end=  scope log:read; at most MaxPage entries, end exclusive
//	GET /v1/log/entries/{index}      scope log:read
//	GET /v1/log/proof/inclusion?index=N|leaf_hash=HEX[&tree_size=M]
//	GET /v1/log/proof/consistency?first=A[&second=B]
//
// With Server.HandleExports, the job-export routes (docs/exports.md):
//
//	POST /internal/orchestrator/exports                    scope orchestrator:exports:write; 201 + ExportReceipt
//	GET  /internal/orchestrator/exports?artifactHash=&runId=&cursor=&limit=   scope orchestrator:exports:read
//	GET  /internal/orchestrator/exports/{idempotencyKey}   scope orchestrator:exports:read
//
// With Server.HandleRetention, the retention routes (see HandleRetention):
// extensions (scope retention:write), legal holds and their release
// (retention:hold), a package's retention view and the eligible list
// (retention:read). With Server.HandleDeletion, the deletion routes (see
// HandleDeletion): sweep, purge, delete and restore (retention:delete;
// early deletion also retention:admin); the bytes of a deleted package
// then answer 410 with the deletion's ledger index.
//
// With Server.HandlePromotions, the promotion gate (see HandlePromotions):
// promotion requests (promotions:write, answered 202 and decided by the
// gate's background worker), their views (promotions:read), and retries and
// quarantine review (promotions:review).
//
// Entries travel as {"index","leaf_hash","entry"} where entry is the leaf
// bytes unchanged, so a client recomputes the leaf hash from them. Hashes are
// lowercase hex (see Hash).
//
// # Adding routes
//
// Later features register their routes with Server.Handle (or
// Server.HandleHTTP for streaming handlers), naming the scope each requires.
// A handler returns a value (encoded as JSON, or a *Response) or an error;
// Server.WriteError is the one place errors become problems: a *Problem is
// written as it is; an error of a domain module, or of the log itself, maps
// through its ledger.ErrorSpec (its kind gives the status, its slug the
// type); anything else is a logged 500 whose cause is never sent to the
// client.
// Handlers read the caller's Identity with IdentityFrom.
//
// # Authentication
//
// Every route but /health (and /metrics when public) demands
// "Authorization: Bearer <token>". Tokens are random strings shown once when
// created; the token file (TokenFile in the data directory) keeps only their
// SHA-256 hashes, with a name, a tenant and scopes, and optionally an expiry
// (ExpiresIn) and a revocation time (RevokeToken). The server re-reads the
// file when it changes, so CreateToken and RevokeToken work against a
// running server. An expired or revoked token gets 401 with the type
// token-expired or token-revoked; an unknown one gets unauthorized. When
// each token was last accepted is kept in memory and written to a sidecar
// file (TokenUsedFile) by Tokens.FlushUsed, never per request.
package httpapi
