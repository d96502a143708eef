package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/tools/loadgen"
	"github.com/assay-ledger/assay/verifier"
)

// benchTenant is the tenant of the benchmark's exports and token.
const benchTenant = "bench"

// assayServer is a real Assay server (ledger, export Appliers, HTTP API)
// listening on loopback, with a trusted signing key for benchTenant.
type assayServer struct {
	url    string
	token  string
	signer exports.Signer
	log    *ledger.Log
	hs     *http.Server
}

// keySigner signs with a bare Ed25519 key under a key name.
type keySigner struct {
	name string
	key  ed25519.PrivateKey
}

func (s keySigner) Name() string                    { return s.name }
func (s keySigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

func startAssay(dir string) *assayServer {
	l := openLog(filepath.Join(dir, "ledger"))
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	check(err)
	vkey, err := note.NewEd25519VerifierKey("bench-producer", pub)
	check(err)
	trust := exports.NewTrust()
	check(trust.AddKey(benchTenant, vkey))
	_, err = l.ApplyPolicy(context.Background(), "system", map[string]any{"exports": trust.Policy()})
	check(err)
	st, err := exports.NewService(exports.ServiceConfig{Log: l, Trust: trust})
	check(err)
	tokens := filepath.Join(dir, httpapi.TokenFile)
	tok, err := httpapi.CreateToken(tokens, httpapi.Identity{Name: "bench", Tenant: benchTenant, Scopes: []string{httpapi.ScopeExportsWrite}}, time.Now())
	check(err)
	api, err := httpapi.New(httpapi.Config{Log: l, Tokens: httpapi.OpenTokens(tokens), Logger: slog.New(slog.DiscardHandler)})
	check(err)
	api.HandleExports(st)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return &assayServer{url: "http://" + ln.Addr().String(), token: tok, signer: keySigner{"bench-producer", priv}, log: l, hs: hs}
}

func (s *assayServer) close() {
	check(s.hs.Close())
	check(s.log.Close())
}

// exportBodies returns n distinct valid export bodies for runs first..,
// signed by s.signer when signed is set.
func (s *assayServer) exportBodies(first, n int, signed bool) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		run := fmt.Sprintf("00000000-0000-4000-8000-%012d", first+i)
		art := fmt.Sprintf("sha256:%064x", first+i)
		b := fmt.Appendf(nil, `{"runId":%q,"jobType":"scan","artifactHash":%q,"policyHash":"sha256:%064x",`+
			`"startedAt":"2025-12-02T00:00:00Z","completedAt":"2025-12-02T00:05:30Z","status":"succeeded",`+
			`"manifestPath":"cas://bundles/%s/manifest.json","logsPath":"cas://bundles/%s/logs.ndjson",`+
			`"tenantId":%q,"environment":"prod","idempotencyKey":%q}`,
			run, art, i, run, run, benchTenant, exports.IdempotencyKey(run, art, benchTenant))
		if signed {
			var err error
			b, err = exports.Sign(b, s.signer)
			check(err)
		}
		out[i] = b
	}
	return out
}

// drive posts bodies from the given number of clients until they run out
// or d passes.
func (s *assayServer) drive(bodies [][]byte, clients int, d time.Duration) loadgen.Result {
	hdr := http.Header{"Authorization": {"Bearer " + s.token}, wire.TenantHeader: {benchTenant}, "Content-Type": {"application/json"}}
	return loadgen.Run(context.Background(), loadgen.Config{Clients: clients, Duration: d, Want: http.StatusCreated,
		Next: func(i int) (loadgen.Request, bool) {
			if i >= len(bodies) {
				return loadgen.Request{}, false
			}
			return loadgen.Request{Method: http.MethodPost, URL: s.url + wire.ExportsPath, Header: hdr, Body: bodies[i]}, true
		}})
}

// verifyRate measures Ed25519 verifications per second on one goroutine
// (one core) over a PAE the size of a signed export's.
func verifyRate(d time.Duration) float64 {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	check(err)
	msg := verifier.PAE(exports.PayloadType, make([]byte, 520))
	sig := ed25519.Sign(priv, msg)
	n, start := 0, time.Now()
	for ; time.Since(start) < d; n++ {
		if !ed25519.Verify(pub, msg, sig) {
			check(fmt.Errorf("verify failed"))
		}
	}
	return float64(n) / time.Since(start).Seconds()
}

// exportBench prints export throughput over HTTP beside the verify rate of
// one core, then the comparison with Tessera's POSIX log.
func exportBench(dir string, n int, tesseraFor time.Duration) {
	srv := startAssay(filepath.Join(dir, "exports"))
	defer srv.close()
	unsignedBodies := srv.exportBodies(0, n, false)
	signedBodies := srv.exportBodies(n, n, true)
	verify := verifyRate(2 * time.Second)
	cpu0 := cpuTime()
	unsigned := srv.drive(unsignedBodies, 64, time.Minute)
	cpu1 := cpuTime()
	signed := srv.drive(signedBodies, 64, time.Minute)
	cpu2 := cpuTime()
	fmt.Printf("\njob exports over HTTP on loopback, 64 clients, each answer a durable entry + checkpoint + inclusion proof\n")
	fmt.Printf("(cpu = this process: server and load generator together):\n")
	fmt.Printf("  unsigned exports:                  %s  cpu %v/export\n", unsigned, perReq(cpu1-cpu0, unsigned))
	fmt.Printf("  signed exports (1 Ed25519 verify): %s  cpu %v/export\n", signed, perReq(cpu2-cpu1, signed))
	fmt.Printf("  baseline: Ed25519 verify, one core: %9.0f /s  -> signed exports = %.2f x one core's verify rate\n",
		verify, signed.Rate()/verify)
	if tesseraFor > 0 {
		tesseraCompare(dir, srv, 2*n, tesseraFor)
	}
}

// perReq divides CPU time by the requests answered in r.
func perReq(cpu time.Duration, r loadgen.Result) time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return (cpu / time.Duration(r.Requests)).Round(time.Microsecond)
}
