package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/transparency-dev/tessera/api/layout"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/publish"
)

// TestServePublish: serve --publish writes the log's checkpoint and hash
// tiles to the bucket and the entry bundles to the private prefix; the
// bucket catches up with the server's checkpoint, byte for byte, and the
// metrics show no lag then.
func TestServePublish(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	s := startServe(t, "--dev", "--data", t.TempDir(), "--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style",
		"--publish", "s3://"+bucket+"/public", "--publish-entries", "s3://"+bucket+"/private/", "--publish-interval", "1ms", "--metrics-public")
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	dir := t.TempDir()
	for i := range 300 {
		p := filepath.Join(dir, "f.txt")
		if err := os.WriteFile(p, []byte(strings.Repeat("x", i+1)), 0o600); err != nil {
			t.Fatal(err)
		}
		cli("put", p, "--key", "pub/f.txt")
	}
	pub := &publish.S3Store{Client: g.Client(), Bucket: bucket, Prefix: "public/"}
	priv := &publish.S3Store{Client: g.Client(), Bucket: bucket, Prefix: "private/"}
	ctx := t.Context()
	waitBucket(t, pub, cli("log", "checkpoint"))
	size := sizeOfServer(t, s)
	if size < 300 {
		t.Fatalf("server size %d", size)
	}
	if _, err := pub.Get(ctx, layout.TilePath(0, 0, 0)); err != nil {
		t.Fatalf("full level-0 tile: %v", err)
	}
	if _, err := priv.Get(ctx, layout.EntriesPath(0, 0)); err != nil {
		t.Fatalf("full entry bundle: %v", err)
	}
	if _, err := pub.Get(ctx, layout.EntriesPath(0, 0)); !errors.Is(err, publish.ErrNotFound) {
		t.Fatalf("an entry bundle in the public prefix: %v", err)
	}
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "\nassay_publish_size ") || !strings.Contains(string(body), "\nassay_publish_lag_entries ") {
		t.Fatalf("metrics without the publisher's gauges:\n%.2000s", body)
	}
}

func TestServePublishFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--publish", "http://bucket/x"}, "want s3://BUCKET/PREFIX"},
		{[]string{"--publish", "s3:///x"}, "want s3://BUCKET/PREFIX"},
		{[]string{"--publish-entries", "s3://b/e/"}, "needs --publish"},
		{[]string{"--publish", "s3://b/log/", "--publish-entries", "s3://b/log/entries/"}, "must not go where the public hash tiles go"},
		{[]string{"--publish", "s3://b/log/x/", "--publish-entries", "s3://b/log/"}, "must not go where the public hash tiles go"},
		{[]string{"--publish", "s3://b/", "--publish-entries", "s3://b/private/"}, "must not go where the public hash tiles go"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "var")
			_, err := run(t.Context(), append([]string{"serve", "--dev", "--data", data, "--addr", "127.0.0.1:0"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want an error saying %q", err, tc.want)
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Fatalf("a refused start created %s", data)
			}
		})
	}
}

// TestAuditTiles: with the server stopped, assay audit --tiles follows the
// copy serve --publish left in the bucket (through a plain HTTP front, as a
// CDN would serve it): a first run checks every hash tile, a second run
// after more entries proves consistency from the tiles alone, and a tile
// whose bytes were changed in the bucket fails the audit and leaves the
// state as it was.
func TestAuditTiles(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	data := t.TempDir()
	pub := &publish.S3Store{Client: g.Client(), Bucket: bucket, Prefix: "log/"}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := pub.Get(r.Context(), strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer front.Close()
	token := ""
	serveAndLand := func(n int) (string, uint64) {
		s := startServe(t, "--dev", "--data", data, "--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style",
			"--publish", "s3://"+bucket+"/log/", "--publish-interval", "1ms")
		if token == "" {
			token = s.token // printed on the first start only
		}
		s.token = token
		cli := cliOf(t, s, token)
		p := filepath.Join(t.TempDir(), "f.txt")
		for i := range n {
			if err := os.WriteFile(p, []byte(strings.Repeat("y", i+1)), 0o600); err != nil {
				t.Fatal(err)
			}
			cli("put", p, "--key", "a/f.txt")
		}
		waitBucket(t, pub, cli("log", "checkpoint"))
		size := sizeOfServer(t, s)
		s.stop(t)
		return s.vkey, size
	}
	vkey, size := serveAndLand(600)
	state := filepath.Join(t.TempDir(), "audit.state")
	out := mustRun(t, "audit", "--tiles", front.URL, "--key", vkey, "--state", state)
	if !strings.Contains(out, fmt.Sprintf("consistent from size 0 to %d", size)) || !strings.Contains(out, fmt.Sprintf("%d new leaf hashes checked", size)) {
		t.Fatalf("first audit: %q", out)
	}
	_, size2 := serveAndLand(300)
	// A changed tile in the bucket: the audit fails, the state stays.
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	key := layout.TilePath(0, (size2-1)/256, uint8(size2%256))
	orig, err := pub.Get(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	forged := append([]byte(nil), orig...)
	forged[0] ^= 1
	putRaw(t, g, bucket, "log/"+key, forged)
	if _, err := run(t.Context(), "audit", "--tiles", front.URL, "--key", vkey, "--state", state); err == nil {
		t.Fatal("an audit over a changed tile passed")
	}
	if after, _ := os.ReadFile(state); string(after) != string(before) {
		t.Fatal("a failed audit changed the state")
	}
	putRaw(t, g, bucket, "log/"+key, orig)
	out = mustRun(t, "audit", "--tiles", front.URL, "--key", vkey, "--state", state)
	if !strings.Contains(out, fmt.Sprintf("consistent from size %d to %d", size, size2)) {
		t.Fatalf("second audit: %q", out)
	}
}

// putRaw writes an object straight to the bucket, as someone bypassing
// Assay would.
func putRaw(t *testing.T, g *castest.VersityGW, bucket, key string, body []byte) {
	t.Helper()
	if _, err := g.Client().PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// waitBucket polls the store until its checkpoint is want (a minute at
// most): publishing runs on the server's own schedule.
func waitBucket(t *testing.T, pub *publish.S3Store, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		got, err := pub.Get(ctx, layout.CheckpointPath)
		if err == nil && string(got) == want {
			return
		}
		if err != nil && !errors.Is(err, publish.ErrNotFound) {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the bucket's checkpoint %q never reached the server's %q", got, want)
		case <-tick.C:
		}
	}
}

// TestPublishCrash: assay serve --publish, a child process, is SIGKILLed
// at random points while it takes writes and publishes, and restarted on
// the same data; in the end the bucket's checkpoint is the server's, the
// whole published tree verifies from the bucket alone, and no immutable
// object ever got a version with other bytes.
func TestPublishCrash(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	data := t.TempDir()
	args := []string{"--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style", "--publish", "s3://" + bucket + "/log/",
		"--publish-entries", "s3://" + bucket + "/entries/", "--publish-interval", "1ms"}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 7))
	token := ""
	files := t.TempDir()
	for cycle := range 4 {
		s := startServeProcess(t, data, args...)
		if token == "" {
			token = s.token
		}
		c := s.client(t, token)
		kill := 20 + rng.IntN(80)
		for i := range kill {
			p := filepath.Join(files, "f.txt")
			body := fmt.Sprintf("cycle %d object %d", cycle, i)
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := c.PutObject(t.Context(), fmt.Sprintf("c%d/%d.txt", cycle, i), strings.NewReader(body), int64(len(body)), "", "", nil); err != nil {
				t.Fatal(err)
			}
		}
		s.kill(t)
	}
	s := startServeProcess(t, data, args...)
	c := s.client(t, token)
	want, err := c.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	pub := &publish.S3Store{Client: g.Client(), Bucket: bucket, Prefix: "log/"}
	waitBucket(t, pub, string(want))
	vkey, err := os.ReadFile(filepath.Join(data, "keys", "checkpoint.vkey"))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := pub.Get(r.Context(), strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	defer front.Close()
	a := &client.TileAuditor{BaseURL: front.URL, Key: strings.TrimSpace(string(vkey))}
	cp, _, rep, err := a.Follow(t.Context(), nil)
	if err != nil || rep.Recomputed != cp.Size || cp.Size < 80 {
		t.Fatalf("the bucket after the crashes: %+v %+v %v", cp, rep, err)
	}
	// Every version of every immutable object has the same bytes.
	etags := map[string]map[string]bool{}
	var marker, vmarker *string
	for {
		out, err := g.Client().ListObjectVersions(t.Context(), &s3sdk.ListObjectVersionsInput{Bucket: &bucket, KeyMarker: marker, VersionIdMarker: vmarker})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range out.Versions {
			if etags[*v.Key] == nil {
				etags[*v.Key] = map[string]bool{}
			}
			etags[*v.Key][*v.ETag] = true
		}
		if out.IsTruncated == nil || !*out.IsTruncated {
			break
		}
		marker, vmarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	bundles := 0
	for k, tags := range etags {
		if strings.HasPrefix(k, "entries/") {
			bundles++
		}
		if k != "log/checkpoint" && len(tags) != 1 {
			t.Errorf("%s has versions with %d different contents", k, len(tags))
		}
	}
	if bundles == 0 {
		t.Fatal("no entry bundle was published")
	}
	s.stop(t)
}
