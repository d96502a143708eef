package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
)

// fillConcurrently appends n entries from 64 goroutines (big batches).
func (f *fixture) fillConcurrently(n int) {
	f.t.Helper()
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 64 {
				body := json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))
				if _, err := f.log.Append(context.Background(), ledger.Entry{Type: "test.entry", Actor: "t", Body: body}); err != nil {
					f.t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func (f *fixture) tesseraFetcher() *client.HTTPFetcher {
	u, err := url.Parse(f.srv.URL + "/")
	if err != nil {
		f.t.Fatal(err)
	}
	fetcher, err := client.NewHTTPFetcher(u, f.srv.Client())
	if err != nil {
		f.t.Fatal(err)
	}
	fetcher.SetAuthorizationHeader("Bearer " + f.audit)
	return fetcher
}

// TestTilesFollowedByTesseraClient follows the log through the tlog-tiles API
// only, with transparency-dev/tessera's client, and checks inclusion of random
// entries with sumdb/tlog.
func TestTilesFollowedByTesseraClient(t *testing.T) {
	f := newFixture(t, 0)
	f.fillConcurrently(70_000) // a full level-1 tile needs 65536 leaves
	ctx := t.Context()
	fetcher := f.tesseraFetcher()
	v, err := note.NewVerifier(f.vkey)
	if err != nil {
		t.Fatal(err)
	}
	cp, _, _, err := client.FetchCheckpoint(ctx, fetcher.ReadCheckpoint, v, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.size(); cp.Size != want {
		t.Fatalf("checkpoint size %d, log size %d", cp.Size, want)
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, fetcher.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	var root tlog.Hash
	copy(root[:], cp.Hash)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		i := rng.Uint64N(cp.Size)
		bundle, err := client.GetEntryBundle(ctx, fetcher.ReadEntryBundle, i/ledger.TileWidth, cp.Size)
		if err != nil {
			t.Fatalf("entry bundle of %d: %v", i, err)
		}
		entry := bundle.Entries[i%ledger.TileWidth]
		if want, _ := f.log.Entry(i); !bytes.Equal(entry, want) {
			t.Fatalf("bundle entry %d = %s, log has %s", i, entry, want)
		}
		p, err := pb.InclusionProof(ctx, i)
		if err != nil {
			t.Fatalf("inclusion proof of %d from tiles: %v", i, err)
		}
		hs := make(tlog.RecordProof, len(p))
		for k := range p {
			copy(hs[k][:], p[k])
		}
		if err := tlog.CheckRecord(hs, int64(cp.Size), root, int64(i), tlog.RecordHash(entry)); err != nil {
			t.Fatalf("tlog rejects inclusion of %d built from tiles: %v", i, err)
		}
	}
}

// TestTilesConsistencyAsLogGrows lets tessera's LogStateTracker follow the
// log through partial tiles as it grows; it checks consistency at each step.
func TestTilesConsistencyAsLogGrows(t *testing.T) {
	f := newFixture(t, 3)
	ctx := t.Context()
	fetcher := f.tesseraFetcher()
	v, _ := note.NewVerifier(f.vkey)
	raw, err := fetcher.ReadCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tracker, err := client.NewLogStateTracker(ctx, fetcher.ReadTile, raw, v, testOrigin, client.UnilateralConsensus(fetcher.ReadCheckpoint))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 250, 10, 600, 3000} {
		f.fillConcurrently(n)
		if _, _, _, err := tracker.Update(ctx); err != nil {
			t.Fatalf("tracker update to %d: %v", f.size(), err)
		}
		if got := tracker.Latest().Size; got != f.size() {
			t.Fatalf("tracker at %d, log at %d", got, f.size())
		}
	}
}

func TestTileResponses(t *testing.T) {
	f := newFixture(t, 0)
	f.fillConcurrently(300)
	for _, tc := range []struct {
		path   string
		status int
		typ    string
		cache  string
	}{
		{"/tile/0/000", http.StatusOK, "", "immutable"},
		{"/tile/0/001.p/44", http.StatusOK, "", "immutable"},
		{"/tile/0/001.p/43", http.StatusOK, "", "immutable"},
		{"/tile/1/000.p/1", http.StatusOK, "", "immutable"},
		{"/tile/entries/000", http.StatusOK, "", "immutable"},
		{"/tile/entries/001.p/44", http.StatusOK, "", "immutable"},
		{"/tile/0/001", http.StatusNotFound, wire.TypeNotFound, ""},
		{"/tile/0/001.p/45", http.StatusNotFound, wire.TypeNotFound, ""},
		{"/tile/1/000.p/2", http.StatusNotFound, wire.TypeNotFound, ""},
		{"/tile/entries/x001/000", http.StatusNotFound, wire.TypeNotFound, ""},
		{"/tile/0/1", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/x000/001", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/000.p/256", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/000.p/0", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/000.p/07", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/64/000", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/00/000", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/-1/000", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/abc", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/001/002", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/entries", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/x999/x999/x999/x999/x999/x999/999", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/x018/x446/x744/x073/x709/x551/616", http.StatusBadRequest, wire.TypeInvalidParameter, ""},
		{"/tile/0/x018/x446/x744/x073/x709/x551/615", http.StatusNotFound, wire.TypeNotFound, ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			r := f.do(http.MethodGet, tc.path, f.audit, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.typ != "" {
				if p := r.problem(t); p.Type != tc.typ {
					t.Fatalf("problem type %s, want %s", p.Type, tc.typ)
				}
				return
			}
			if cc := r.header.Get("Cache-Control"); !bytes.Contains([]byte(cc), []byte(tc.cache)) {
				t.Fatalf("Cache-Control %q", cc)
			}
		})
	}
	if r := f.do(http.MethodGet, "/tile/0/000", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("tile without token: %d", r.status)
	}
	// Hash tiles are public to log:read; entry bundles hold every tenant's
	// entries, so they need log:audit.
	if r := f.do(http.MethodGet, "/tile/0/000", f.reader, nil); r.status != http.StatusOK {
		t.Fatalf("hash tile with log:read: %d %s", r.status, r.body)
	}
	if r := f.do(http.MethodGet, "/tile/entries/000", f.reader, nil); r.status != http.StatusForbidden || r.problem(t).Type != wire.TypeForbidden {
		t.Fatalf("entry bundle without log:audit: %d %s", r.status, r.body)
	}
	if size := f.size(); size != 300 {
		t.Fatalf("log size %d after tile reads", size)
	}
}
