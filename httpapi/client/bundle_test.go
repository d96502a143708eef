package client_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// bundleServer is a real ledger and local store behind the real API with
// the catalog routes, and a client of it with every scope.
type bundleServer struct {
	log   *ledger.Log
	store cas.Store
	vkey  string
	cli   *client.Client
}

func newBundleServer(t *testing.T) *bundleServer {
	t.Helper()
	dir := t.TempDir()
	lg, vkey := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module()}})
	store, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	tokens := filepath.Join(dir, httpapi.TokenFile)
	tok, err := httpapi.CreateToken(tokens, httpapi.Identity{Name: "admin", Tenant: "acme", Scopes: []string{httpapi.AllScopes}}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(tokens), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	svc := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()}
	api.HandleCatalog(httpapi.CatalogConfig{Service: svc, Backend: httpapi.BackendInfo{Name: "default", Kind: "local"}})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cli, err := client.New(srv.URL, tok, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &bundleServer{log: lg, store: store, vkey: vkey, cli: cli}
}

// appendEntries appends n entries of tenant acme, each naming the digest
// of the blob its index picks in digests (none when digests is empty),
// and, when casURI is set, the first one naming it too.
func (s *bundleServer) appendEntries(t *testing.T, n int, digests []cas.Digest, casURI string) {
	t.Helper()
	for i := range n {
		body := map[string]any{"n": i}
		if len(digests) > 0 {
			body["artifact"] = digests[i%len(digests)].String()
		}
		if casURI != "" && i == 0 {
			body["logsPath"] = casURI
		}
		b, _ := json.Marshal(body)
		if _, err := s.log.Append(t.Context(), ledger.Entry{Type: "test.entry", Actor: "t", Tenant: "acme", Body: b}); err != nil {
			t.Fatal(err)
		}
	}
}

// write writes the bundle BundleContents and BundleEntries make for o,
// counting the progress calls, and returns it verified.
func (s *bundleServer) write(t *testing.T, o client.BundleOptions) (*bundle.Verified, error) {
	t.Helper()
	c, err := s.cli.BundleContents(t.Context(), o)
	if err != nil {
		return nil, err
	}
	var calls, last, total uint64
	progress := func(done, tot uint64) { calls, last, total = calls+1, done, tot }
	var buf bytes.Buffer
	if err := bundle.Write(&buf, c, s.cli.BundleEntries(t.Context(), c.Header.From, c.Header.To, progress), t.TempDir()); err != nil {
		return nil, err
	}
	if n := c.Header.To - c.Header.From; calls != n || last != n || total != n {
		t.Fatalf("progress called %d times, last with (%d, %d); want %d times, last (%d, %d)", calls, last, total, n, n, n)
	}
	return bundle.Verify(&buf, bundle.Options{Key: s.vkey})
}

func TestBundleContentsAndEntries(t *testing.T) {
	s := newBundleServer(t)
	stored, err := s.store.Put(t.Context(), strings.NewReader("evidence"), cas.Digest{})
	if err != nil {
		t.Fatal(err)
	}
	missing := cas.DigestOf([]byte("never stored"))
	first := uint64(wire.MaxPage + 10) // more than a page
	s.appendEntries(t, int(first), []cas.Digest{stored.Digest, missing}, "")

	v, err := s.write(t, client.BundleOptions{})
	if err != nil || v.Header.From != 0 || v.Header.To != first || v.Entries != first || v.Header.Blobs {
		t.Fatalf("bundle of everything: %+v, %v; want [0, %d) without blobs", v, err, first)
	}
	_, err = s.write(t, client.BundleOptions{Blobs: true})
	var me *client.MissingBlobsError
	if !errors.As(err, &me) || *me != (client.MissingBlobsError{Digests: 1}) || !strings.Contains(err.Error(), "not in the store") {
		t.Fatalf("blobs with one digest missing: %v; want a MissingBlobsError of 1 digest", err)
	}
	v, err = s.write(t, client.BundleOptions{Blobs: true, AllowMissing: true})
	if err != nil || !v.Header.Blobs || !slices.Equal(v.Header.Missing, []string{missing.Hex()}) {
		t.Fatalf("blobs, missing allowed: %+v, %v; want %s listed missing", v, err, missing.Hex())
	}

	s.appendEntries(t, 5, nil, "cas://evidence/none.txt")
	end, _ := s.log.Head()
	v, err = s.write(t, client.BundleOptions{From: first, To: end})
	if err != nil || v.Header.From != first || v.Header.To != end || v.Entries != end-first {
		t.Fatalf("bundle [%d, %d): %+v, %v", first, end, v, err)
	}
	_, err = s.write(t, client.BundleOptions{From: first, Blobs: true})
	if !errors.As(err, &me) || *me != (client.MissingBlobsError{CAS: 1}) {
		t.Fatalf("blobs with an unresolved cas:// URI: %v; want a MissingBlobsError of 1 path", err)
	}
	v, err = s.write(t, client.BundleOptions{From: first, Blobs: true, AllowMissing: true})
	if err != nil || len(v.Header.CAS) != 1 || v.Header.CAS[0].Digest != "" || v.Header.CAS[0].Tenant != "acme" {
		t.Fatalf("unresolved cas:// URI allowed: %+v, %v; want it listed unresolved", v, err)
	}
	v, err = s.write(t, client.BundleOptions{From: end})
	if err != nil || v.Entries != 0 {
		t.Fatalf("empty bundle at the end: %+v, %v", v, err)
	}

	_, err = s.cli.BundleContents(t.Context(), client.BundleOptions{From: end + 1})
	var re *client.RangeError
	if !errors.As(err, &re) || *re != (client.RangeError{From: end + 1, Size: end}) {
		t.Fatalf("from beyond the checkpoint: %v; want a RangeError", err)
	}
}

// TestBundleEntriesRefusesWrongAnswers checks that a server answering
// another entry than the one asked for, or an empty page, stops the export.
func TestBundleEntriesRefusesWrongAnswers(t *testing.T) {
	for name, tc := range map[string]struct {
		page []wire.LogEntry
		want string
	}{
		"empty page":  {nil, "server answered the page at 3 with no entries"},
		"wrong index": {[]wire.LogEntry{{Index: 4, LeafHash: make(wire.Hash, 32), Entry: json.RawMessage(`{}`)}}, "server answered entry 4 where 3 belongs"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/log/entries" || r.URL.Query().Get("start") != "3" || r.URL.Query().Get("end") != "5" {
					http.Error(w, fmt.Sprintf("unexpected request %s", r.URL), http.StatusBadRequest)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(wire.EntriesPage{Entries: tc.page})
			}))
			defer srv.Close()
			cli, err := client.New(srv.URL, "token", nil)
			if err != nil {
				t.Fatal(err)
			}
			next := cli.BundleEntries(t.Context(), 3, 5, nil)
			if _, err := next(); err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	cli, err := client.New("http://127.0.0.1:1", "token", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.BundleEntries(t.Context(), 7, 7, nil)(); err != io.EOF {
		t.Fatalf("no entries to fetch: %v, want io.EOF without a request", err)
	}
}
