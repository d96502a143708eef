package publish

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/transparency-dev/tessera/api/layout"
	tclient "github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// bucketTiles reads hash tiles from a store, for sumdb/tlog.
type bucketTiles struct {
	ctx context.Context
	s   Store
}

func (b bucketTiles) Height() int { return 8 }

func (b bucketTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		d, err := b.s.Get(b.ctx, layout.TilePath(uint64(t.L), uint64(t.N), partial(t.W)))
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (bucketTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// checkBucket verifies the store's checkpoint with the log's key and,
// with sumdb/tlog alone, that the hash tiles there prove its last entry
// (every tile on the way is loaded and checked against the root); it
// returns the checkpoint's size.
func checkBucket(ctx context.Context, s Store, v note.Verifier) (int64, error) {
	b, err := s.Get(ctx, layout.CheckpointPath)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := note.Open(b, note.VerifierList(v))
	if err != nil {
		return 0, err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 3 {
		return 0, fmt.Errorf("checkpoint %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return 0, err
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return 0, fmt.Errorf("checkpoint root %q: %v", lines[2], err)
	}
	tree := tlog.Tree{N: size}
	copy(tree.Hash[:], root)
	hr := tlog.TileHashReader(tree, bucketTiles{ctx, s})
	if _, err := tlog.ProveRecord(tree.N, tree.N-1, hr); err != nil {
		return tree.N, fmt.Errorf("checkpoint of size %d: %w", tree.N, err)
	}
	if tree.N >= 2 {
		if _, err := tlog.ProveTree(tree.N, tree.N/2, hr); err != nil {
			return tree.N, fmt.Errorf("checkpoint of size %d: %w", tree.N, err)
		}
	}
	return tree.N, nil
}

// TestPublishUnderLoad: while the log takes appends, a reader polling the
// bucket never sees a checkpoint whose tiles are not all there (checked
// with sumdb/tlog at every poll); at the end the bucket's checkpoint is
// the log's, entry bundles are only in the private prefix and equal the
// log's, no immutable object has a second version, and anonymous reads of
// the private prefix are refused.
func TestPublishUnderLoad(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	lg, vkey := ledgertest.Open(t, filepath.Join(t.TempDir(), "ledger"), ledgertest.Options{})
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	client := g.Client()
	pub, priv := &S3Store{Client: client, Bucket: bucket, Prefix: "pub/"}, &S3Store{Client: client, Bucket: bucket, Prefix: "priv/"}
	p, err := New(Config{Log: lg, Public: pub, Private: priv, Interval: time.Millisecond, Retry: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	const total = 3000
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < total; i += 8 {
				if _, err := lg.AppendJSON(context.Background(), "test.entry", "t", "acme", map[string]int{"i": i}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	polls, seen := 0, map[int64]bool{}
	for {
		n, err := checkBucket(t.Context(), pub, verifier)
		if err != nil {
			t.Fatalf("poll %d: %v", polls, err)
		}
		polls++
		seen[n] = true
		if n == total {
			break
		}
		if polls > 100000 {
			t.Fatalf("the bucket never caught up: at %d of %d", n, total)
		}
	}
	wg.Wait()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(seen) < 3 {
		t.Fatalf("the poller saw %d checkpoint sizes (%v): the load did not overlap publishing", len(seen), seen)
	}
	size, _ := lg.Head()
	if p.Published() != size || p.Lag() != 0 {
		t.Fatalf("published %d, lag %d; the log is %d", p.Published(), p.Lag(), size)
	}
	// The bucket's objects: bundles only under priv/, each once.
	versions := map[string]int{}
	var marker, vmarker *string
	for {
		out, err := client.ListObjectVersions(t.Context(), &s3sdk.ListObjectVersionsInput{Bucket: &bucket, KeyMarker: marker, VersionIdMarker: vmarker})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			versions[*v.Key]++
		}
		if out.IsTruncated == nil || !*out.IsTruncated {
			break
		}
		marker, vmarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	bundles := 0
	for k, n := range versions {
		switch {
		case strings.HasPrefix(k, "pub/tile/entries/"):
			t.Errorf("an entry bundle in the public prefix: %s", k)
		case strings.HasPrefix(k, "priv/tile/entries/"):
			bundles++
		case k == "pub/checkpoint":
		case n != 1:
			t.Errorf("%s has %d versions: an immutable object was rewritten", k, n)
		}
	}
	if bundles < total/256 {
		t.Fatalf("%d entry bundles in the private prefix, want at least %d", bundles, total/256)
	}
	for i := range uint64(size / 256) {
		want, err := lg.EntryBundle(i, 256)
		if err != nil {
			t.Fatal(err)
		}
		got, err := priv.Get(t.Context(), layout.EntriesPath(i, 0))
		if err != nil || string(got) != string(want) {
			t.Fatalf("bundle %d: %d bytes, %v; want the log's %d", i, len(got), err, len(want))
		}
	}
	// Tessera's client follows the bucket (behind a front that reads the
	// private prefix with credentials, as an auditor's proxy would).
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/")
		store := Store(pub)
		if strings.HasPrefix(key, "tile/entries/") {
			store = priv
		}
		b, err := store.Get(r.Context(), key)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer front.Close()
	u, _ := url.Parse(front.URL + "/")
	fetcher, err := tclient.NewHTTPFetcher(u, front.Client())
	if err != nil {
		t.Fatal(err)
	}
	tcp, _, _, err := tclient.FetchCheckpoint(t.Context(), fetcher.ReadCheckpoint, verifier, lg.Origin())
	if err != nil || tcp.Size != size {
		t.Fatalf("tessera's client read checkpoint %+v, %v; want size %d", tcp, err, size)
	}
	pb, err := tclient.NewProofBuilder(t.Context(), tcp.Size, fetcher.ReadTile)
	if err != nil {
		t.Fatal(err)
	}
	var root tlog.Hash
	copy(root[:], tcp.Hash)
	for _, i := range []uint64{0, 255, 256, 1000, size - 1} {
		b, err := tclient.GetEntryBundle(t.Context(), fetcher.ReadEntryBundle, i/256, tcp.Size)
		if err != nil {
			t.Fatalf("entry bundle of %d: %v", i, err)
		}
		entry := b.Entries[i%256]
		proof, err := pb.InclusionProof(t.Context(), i)
		if err != nil {
			t.Fatalf("inclusion proof of %d from the bucket: %v", i, err)
		}
		hs := make(tlog.RecordProof, len(proof))
		for k := range proof {
			copy(hs[k][:], proof[k])
		}
		if err := tlog.CheckRecord(hs, int64(tcp.Size), root, int64(i), tlog.RecordHash(entry)); err != nil {
			t.Fatalf("entry %d from the bucket: %v", i, err)
		}
	}
	resp, err := http.Get(g.Endpoint + "/" + bucket + "/priv/" + layout.EntriesPath(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous GET of an entry bundle: %d, want 403", resp.StatusCode)
	}
}

// TestPublishResumesAndRefusesRewrites: a new Publisher on a store that
// holds a checkpoint resumes after it, writing nothing again; one whose
// next tile is already there with other bytes, or whose store holds
// another log's checkpoint, stops with ErrRewrite and writes no checkpoint.
func TestPublishResumesAndRefusesRewrites(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	lg, _ := ledgertest.Open(t, filepath.Join(t.TempDir(), "ledger"), ledgertest.Options{})
	appendN := func(n int) {
		for i := range n {
			if _, err := lg.AppendJSON(t.Context(), "test.entry", "t", "acme", map[string]int{"i": i}); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendN(300)
	store := &S3Store{Client: g.Client(), Bucket: bucket, Prefix: "log/"}
	p, err := New(Config{Log: lg, Public: store})
	if err != nil {
		t.Fatal(err)
	}
	size, err := p.PublishOnce(t.Context())
	if err != nil || size != 300 {
		t.Fatalf("first publication: %d, %v", size, err)
	}
	// A restart: Run reads the store's checkpoint and starts there.
	appendN(300)
	counting := &countingStore{Store: store}
	p2, err := New(Config{Log: lg, Public: counting, Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p2.Run(ctx) }()
	for p2.Published() != 600 {
		select {
		case err := <-done:
			t.Fatalf("Run ended: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// From 300 to 600 the new tiles are level-0 tiles 1 (full) and 2
	// (partial) and a partial level-1 tile: nothing of the first
	// publication again.
	for _, k := range counting.keys() {
		if k == layout.TilePath(0, 0, 0) {
			t.Fatalf("the restarted publisher wrote %s again; wrote %v", k, counting.keys())
		}
	}
	// A forged next tile: ErrRewrite, and the checkpoint stays at 600.
	appendN(300)
	forged := layout.TilePath(0, 2, 0)
	if err := store.put(t.Context(), forged, []byte(strings.Repeat("x", 8192)), cacheImmutable); err != nil {
		t.Fatal(err)
	}
	p3, err := New(Config{Log: lg, Public: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := p3.Run(t.Context()); !errors.Is(err, ErrRewrite) {
		t.Fatalf("Run over a forged tile: %v, want ErrRewrite", err)
	}
	if n, _ := p3.storeSize(t.Context()); n != 600 {
		t.Fatalf("the store's checkpoint moved to %d", n)
	}
	// Another log's store.
	other, _ := ledgertest.Open(t, filepath.Join(t.TempDir(), "other"), ledgertest.Options{Origin: "other.example/log"})
	p4, err := New(Config{Log: other, Public: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := p4.Run(t.Context()); !errors.Is(err, ErrRewrite) {
		t.Fatalf("Run on another log's store: %v, want ErrRewrite", err)
	}
}

type countingStore struct {
	Store
	mu      sync.Mutex
	written []string
}

func (c *countingStore) PutImmutable(ctx context.Context, key string, body []byte) error {
	c.mu.Lock()
	c.written = append(c.written, key)
	c.mu.Unlock()
	return c.Store.PutImmutable(ctx, key, body)
}

func (c *countingStore) keys() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.written...)
}
