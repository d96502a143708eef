package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/verifier"
)

const promotionVectorsDir = "../testdata/promotion"

// proofVector is testdata/promotion/verification-proof.json.
type proofVector struct {
	Files []struct {
		Key, Content, Digest string
	} `json:"files"`
	KeyID    string          `json:"keyId"`
	Proof    json.RawMessage `json:"verification_proof_json"`
	ProofKey string          `json:"verification_proof_key"`
}

func loadProofVector(t *testing.T) proofVector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(promotionVectorsDir, "verification-proof.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v proofVector
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// promotionKey returns test-key-1 as the promotion vector has it, checked
// against the export vectors' copy of its seed (which signs altered
// statements).
func promotionKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(promotionVectorsDir, "test-key-1.pub.hex"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	priv := testKey1(t)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), pub) {
		t.Fatal("test-key-1 seed and public key differ")
	}
	return pub, priv
}

// promFixture is a real ledger with every domain, a plain local store, the
// catalog and promotion routes, and tokens: producer (lands and promotes),
// reviewer (reviews quarantine), other (another tenant, all scopes) and
// noScope (acme, objects only).
type promFixture struct {
	t                                 *testing.T
	log                               *ledger.Log
	vkey, blobs, tokens, packager     string
	api                               *httpapi.Server
	srv                               *httptest.Server
	cat                               *catalog.Catalog
	producer, reviewer, other, noProm string
	prodCli, revCli                   *client.Client
	prom                              *promotion.Service
}

// newPromFixture starts the fixture; opts adjust the gate's configuration
// (its Observer is the server's metrics).
func newPromFixture(t *testing.T, opts ...func(*promotion.Config)) *promFixture {
	t.Helper()
	blobs := filepath.Join(t.TempDir(), "blobs")
	store, err := local.Open(local.Config{Root: blobs}) // plain: tests alter the stored bytes
	if err != nil {
		t.Fatal(err)
	}
	f := newPromFixtureOn(t, store, opts...)
	f.blobs = blobs
	return f
}

// newPromFixtureOn is newPromFixture over store (blobs is then empty).
func newPromFixtureOn(t *testing.T, store cas.Store, opts ...func(*promotion.Config)) *promFixture {
	t.Helper()
	dir := t.TempDir()
	lg, vkey := openLedger(t, dir, testLogger(t), domains.Modules()...)
	f := &promFixture{t: t, log: lg, vkey: vkey}
	var err error
	tokens := filepath.Join(dir, httpapi.TokenFile)
	f.tokens = tokens
	mk := func(name, tenant string, scopes ...string) string {
		return newToken(t, tokens, name, tenant, scopes...)
	}
	f.producer = mk("producer", "acme", httpapi.ScopeObjectsWrite, httpapi.ScopeObjectsRead, httpapi.ScopePromotionsWrite,
		httpapi.ScopePromotionsRead, httpapi.ScopePromotionsReview, httpapi.ScopeLogRead)
	f.reviewer = mk("reviewer", "acme", httpapi.ScopePromotionsReview, httpapi.ScopePromotionsRead, httpapi.ScopeObjectsRead)
	f.other = mk("intruder", "evil", httpapi.AllScopes)
	f.noProm = mk("ci", "acme", httpapi.ScopeObjectsWrite, httpapi.ScopeObjectsRead)
	if f.api, err = httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(tokens), Logger: testLogger(t)}); err != nil {
		t.Fatal(err)
	}
	svc := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()}
	f.cat = svc.Catalog
	f.api.HandleCatalog(httpapi.CatalogConfig{Service: svc, Backend: httpapi.BackendInfo{Name: "default", Kind: "local"}, MaxUpload: 1 << 20})
	pub, _ := promotionKey(t)
	cfg := promotion.Config{Log: lg, Catalog: svc.Catalog, Store: store,
		Trusted: map[string]ed25519.PublicKey{"test-key-1": pub}, Observer: f.api.PromotionObserver()}
	for _, o := range opts {
		o(&cfg)
	}
	ps, err := promotion.NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.api.HandlePromotions(ps)
	f.prom = ps
	t.Cleanup(ps.Start(t.Context())) // the server's worker
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	if f.prodCli, err = client.New(f.srv.URL, f.producer, nil); err != nil {
		t.Fatal(err)
	}
	if f.revCli, err = client.New(f.srv.URL, f.reviewer, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *promFixture) size() uint64 {
	n, _ := f.log.Head()
	return n
}

// land puts content at raw/key as the producer.
func (f *promFixture) land(key, content string) catalog.Object {
	f.t.Helper()
	o, err := f.prodCli.PutObject(f.t.Context(), key, strings.NewReader(content), int64(len(content)), "", "", nil)
	if err != nil {
		f.t.Fatalf("put %s: %v", key, err)
	}
	return o
}

// call sends a JSON body (nil for none) with token.
func (f *promFixture) call(method, path, token string, body any) response {
	f.t.Helper()
	var rd *bytes.Reader
	switch b := body.(type) {
	case nil:
		rd = bytes.NewReader(nil)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.srv.URL+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	return roundTrip(f.t, f.srv, req)
}

// promote posts a promotion as the producer and wants 202, waits for the
// worker to finish it, and returns it as GET shows it.
func (f *promFixture) promote(src, dst, tier string) wire.PromotionView {
	f.t.Helper()
	v, err := f.prodCli.Promote(f.t.Context(), wire.PromotionRequest{Source: src, Destination: dst, Tier: tier})
	if err != nil {
		f.t.Fatalf("promote %s -> %s (%s): %v", src, dst, tier, err)
	}
	return f.wait(v.ID)
}

// wait waits for the worker to finish promotion id and returns it as GET
// shows it.
func (f *promFixture) wait(id string) wire.PromotionView {
	f.t.Helper()
	if _, err := f.prom.Wait(f.t.Context(), "acme", id); err != nil {
		f.t.Fatal(err)
	}
	v, err := f.prodCli.Promotion(f.t.Context(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// object returns the tenant acme's current object zone/key, or nil.
func (f *promFixture) object(zone, key string) *catalog.Object {
	o, err := f.cat.Object("acme", zone, key)
	if err != nil {
		return nil
	}
	return o
}

// blobFile is the local store's file of a digest (plain layout).
func (f *promFixture) blobFile(digest string) string {
	h := strings.TrimPrefix(digest, "sha256:")
	return filepath.Join(f.blobs, "sha256", h[:2], h[2:4], h)
}

// storeFiles lists the local store's files.
func (f *promFixture) storeFiles() []string {
	var out []string
	_ = filepath.WalkDir(f.blobs, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// signedProof returns a DSSE envelope over the statement JSON stmt, signed
// by priv as test-key-1.
func signedProof(stmt []byte, priv ed25519.PrivateKey) []byte {
	pae := verifier.PAE(promotion.ProofPayloadType, stmt)
	env := map[string]any{"payloadType": promotion.ProofPayloadType, "payload": base64.StdEncoding.EncodeToString(stmt),
		"signatures": []map[string]string{{"keyid": "test-key-1", "sig": base64.StdEncoding.EncodeToString(ed25519.Sign(priv, pae))}}}
	b, _ := json.Marshal(env)
	return b
}
