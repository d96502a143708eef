package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/events"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/verifier"
)

// exportVectorsDir holds the shared export test vectors and test-key-1.
const exportVectorsDir = "../testdata/exports"

// exportFixture is a real ledger with the export Appliers in a temp dir,
// behind a real server on loopback, trusting test-key-1 for tenant acme and
// requiring signatures from tenant strict.
type exportFixture struct {
	t      testing.TB
	log    *ledger.Log
	srv    *httptest.Server
	vkey   string
	bus    *events.Bus
	key    ed25519.PrivateKey // test-key-1
	writer string             // acme token with orchestrator:exports:write and read
	strict string             // token of tenant strict, same scopes
	reader string             // acme token with log:read only
	tokens string
}

// newExportFixture starts the fixture; opts adjust the Service's
// configuration (a content store, say).
func newExportFixture(t testing.TB, opts ...func(*exports.ServiceConfig)) *exportFixture {
	t.Helper()
	dir := t.TempDir()
	logger := testLogger(t)
	if _, fuzz := t.(*testing.F); fuzz {
		logger = slog.New(slog.DiscardHandler) // F.Log may not be called from fuzz inputs
	}
	lg, vkey := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Logger: logger, Modules: []ledger.Module{exports.Module()}})
	f := &exportFixture{t: t, log: lg, vkey: vkey, bus: events.NewBus(0), key: testKey1(t), tokens: filepath.Join(dir, httpapi.TokenFile)}
	trust := exports.NewTrust()
	if err := trust.AddKey("acme", testKey1Verifier(t, f.key)); err != nil {
		t.Fatal(err)
	}
	trust.RequireSignatures("strict")
	if _, err := lg.ApplyPolicy(t.Context(), "system", map[string]any{"exports": trust.Policy()}); err != nil {
		t.Fatal(err)
	}
	cfg := exports.ServiceConfig{Log: lg, Trust: trust, Bus: f.bus}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := exports.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(f.tokens), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	api.HandleExports(st)
	f.srv = httptest.NewServer(api)
	t.Cleanup(f.srv.Close)
	f.writer = f.token("producer", "acme", httpapi.ScopeExportsWrite, httpapi.ScopeExportsRead)
	f.strict = f.token("strict-producer", "strict", httpapi.ScopeExportsWrite, httpapi.ScopeExportsRead)
	f.reader = f.token("reader", "acme", httpapi.ScopeLogRead)
	return f
}

func (f *exportFixture) token(name, tenant string, scopes ...string) string {
	f.t.Helper()
	return newToken(f.t, f.tokens, name, tenant, scopes...)
}

func testKey1(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	seed, err := hex.DecodeString(strings.TrimSpace(readFile(t, "test-key-1.seed.hex")))
	if err != nil || len(seed) != ed25519.SeedSize {
		t.Fatalf("test-key-1 seed: %v", err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// testKey1Verifier returns test-key-1 as a note verifier key named
// test-key-1, the form `assay keys generate` writes and the trust takes.
func testKey1Verifier(t testing.TB, key ed25519.PrivateKey) string {
	t.Helper()
	pub := append([]byte{1}, key.Public().(ed25519.PublicKey)...)
	vkey, err := note.NewEd25519VerifierKey("test-key-1", key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(vkey, base64.StdEncoding.EncodeToString(pub)) {
		t.Fatalf("verifier key %s does not end in the public key", vkey)
	}
	return vkey
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exportVectorsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exportVector is one entry of exports.json.
type exportVector struct {
	Name      string          `json:"name"`
	JCS       string          `json:"jcs"`
	KeyID     string          `json:"keyId"`
	Signature string          `json:"signature"`
	Submitted json.RawMessage `json:"submitted"`
}

func loadExportVectors(t testing.TB) []exportVector {
	t.Helper()
	var vs []exportVector
	if err := json.Unmarshal([]byte(readFile(t, "exports.json")), &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("%d vectors, want 2", len(vs))
	}
	return vs
}

// export is an export document under construction.
type export map[string]any

// newExport returns a valid unsigned export of tenant for run n.
func newExport(tenant string, n int, status string) export {
	runID := fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	art := fmt.Sprintf("sha256:%064x", n)
	return export{
		"runId": runID, "jobType": "scan", "artifactHash": art, "policyHash": "sha256:" + strings.Repeat("ab", 32),
		"startedAt": "2025-12-02T00:00:00Z", "status": status, "tenantId": tenant, "environment": "prod",
		"manifestPath": "cas://runs/manifest.json", "logsPath": "cas://runs/logs.ndjson",
		"idempotencyKey": exports.IdempotencyKey(runID, art, tenant),
	}
}

// with returns a copy of e with the given members set (nil deletes).
func (e export) with(kv ...any) export {
	out := export{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func (e export) json(t testing.TB) []byte {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signed returns e's body signed by key under keyID.
func (e export) signed(t testing.TB, key ed25519.PrivateKey, keyID string) []byte {
	t.Helper()
	b, err := exports.Sign(e.json(t), rawSigner{keyID, key})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawSigner is an exports.Signer over a bare Ed25519 key.
type rawSigner struct {
	name string
	key  ed25519.PrivateKey
}

func (s rawSigner) Name() string                    { return s.name }
func (s rawSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// post submits body with token and tenant header ("" omits either).
func (f *exportFixture) post(token, tenant string, body []byte) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), http.MethodPost, f.srv.URL+wire.ExportsPath, bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if tenant != "" {
		req.Header.Set(wire.TenantHeader, tenant)
	}
	return send(f.t, f.srv.Client(), req)
}

func (f *exportFixture) get(token, path string) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return send(f.t, f.srv.Client(), req)
}

func send(t testing.TB, c *http.Client, req *http.Request) response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b.Bytes()}
}

// receipt expects a 201 and decodes the receipt.
func (r response) receipt(t *testing.T) wire.ExportReceipt {
	t.Helper()
	if r.status != http.StatusCreated {
		t.Fatalf("status %d, want 201: %s", r.status, r.body)
	}
	var rc wire.ExportReceipt
	if err := json.Unmarshal(r.body, &rc); err != nil {
		t.Fatal(err)
	}
	return rc
}

func (f *exportFixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

// leafHashOf is the RFC 6962 leaf hash, for cross-checks.
func leafHashOf(b []byte) []byte { return verifier.LeafHash(b) }
