package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/tessera/api/layout"

	"github.com/assay-ledger/assay/cas/castest"
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
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var want string
	for {
		want = cli("log", "checkpoint")
		got, err := pub.Get(ctx, layout.CheckpointPath)
		if err == nil && string(got) == want {
			break
		}
		if err != nil && !errors.Is(err, publish.ErrNotFound) {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the bucket's checkpoint %q never reached the server's %q", got, want)
		case <-time.After(5 * time.Millisecond):
		}
	}
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
