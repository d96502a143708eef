package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// TestServeIntakeCrash: serve --intake records 1,000 objects producers put
// with the AWS SDK; SIGKILLed midway and restarted on the same data, it
// ends with exactly one entry per object.
func TestServeIntakeCrash(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	const n = 1000
	for i := range n {
		key := fmt.Sprintf("incoming/o-%04d.txt", i)
		if _, err := g.Client().PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	args := []string{"--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style", "--intake", "s3://" + bucket + "/incoming/",
		"--intake-tenant", "dev", "--intake-interval", "10ms"}
	s := startServeProcess(t, data, args...)
	token := s.token
	waitSize := func(s *serveProcess, at uint64) uint64 {
		c := s.client(t, token)
		deadline := time.Now().Add(time.Minute)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			note, err := c.Checkpoint(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var size uint64
			fmt.Sscan(strings.Split(string(note), "\n")[1], &size)
			if size >= at {
				return size
			}
			if time.Now().After(deadline) {
				t.Fatalf("the log stayed at %d, want %d", size, at)
			}
			<-tick.C
		}
	}
	killedAt := waitSize(s, 300)
	s.kill(t)
	s = startServeProcess(t, data, args...)
	final := waitSize(s, n+1) // with the policy entry
	c := s.client(t, token)
	var entries []wire.LogEntry
	for from := uint64(0); from < final; from += 500 {
		page, err := c.Entries(t.Context(), from, min(from+500, final))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, page...)
	}
	s.stop(t)
	counts := map[string]int{}
	for _, e := range entries {
		var b struct{ External *catalog.External }
		if err := json.Unmarshal(e.Entry, &b); err != nil {
			t.Fatal(err)
		}
		if b.External != nil {
			counts[b.External.URL]++
		}
	}
	if len(counts) != n {
		t.Fatalf("%d objects recorded (killed at size %d), want %d", len(counts), killedAt, n)
	}
	for u, k := range counts {
		if k != 1 {
			t.Fatalf("%s recorded %d times", u, k)
		}
	}
}

// TestServeScrubExternal: objects serve --intake recorded, one then
// altered in place on versitygw's backing directory, are re-read by
// `assay scrub --external`, which reports the altered one and records its
// object.drift; without intake the command says there is none.
func TestServeScrubExternal(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	for _, k := range []string{"a", "b"} {
		key := "incoming/" + k + ".txt"
		if _, err := g.Client().PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("bytes of " + k)}); err != nil {
			t.Fatal(err)
		}
	}
	s := startServe(t, "--dev", "--data", t.TempDir(), "--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style",
		"--intake", "s3://"+bucket+"/incoming/", "--intake-tenant", "dev", "--intake-interval", "10ms")
	defer s.stop(t)
	for i := 0; ; i++ {
		var h wire.Health
		getJSON(t, s.url+"/health", s.token, &h)
		if h.Size >= 3 { // the policy and two object.put
			break
		}
		if i == 100000 {
			t.Fatalf("intake recorded nothing: size %d", h.Size)
		}
	}
	if out, err := run(t.Context(), "scrub", "--external", "--server", s.url, "--token", s.token); err != nil || !strings.Contains(out, "checked 2 external object versions: 0 drifted") {
		t.Fatalf("scrub --external of intact objects: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(g.Root, bucket, "incoming", "b.txt"), []byte("altered in place"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t.Context(), "scrub", "--external", "--server", s.url, "--token", s.token)
	if err == nil || !strings.Contains(err.Error(), "1 external object versions drifted") || !strings.Contains(out, "changed s3://"+bucket+"/incoming/b.txt") {
		t.Fatalf("scrub --external after an in-place change: %v\n%s", err, out)
	}
	var drift wire.HistoryPage
	getJSON(t, s.url+"/v1/history?type=object.drift", s.token, &drift)
	if len(drift.Entries) != 1 {
		t.Fatalf("object.drift entries: %+v", drift.Entries)
	}

	plain := startServe(t, "--dev", "--data", t.TempDir())
	defer plain.stop(t)
	if _, err := run(t.Context(), "scrub", "--external", "--server", plain.url, "--token", plain.token); err == nil || !strings.Contains(err.Error(), "no bucket intake is configured") {
		t.Fatalf("scrub --external without intake: %v", err)
	}
}

// TestIntakeCommand: `assay intake` records a bucket's objects into a
// stopped server's data directory once; a second pass records nothing;
// the server then serves them.
func TestIntakeCommand(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	for i := range 3 {
		key := fmt.Sprintf("incoming/%d.txt", i)
		if _, err := g.Client().PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(fmt.Sprint("object ", i))}); err != nil {
			t.Fatal(err)
		}
	}
	data := t.TempDir()
	first := startServe(t, "--dev", "--data", data) // keys and the dev token, shown only at the first start
	first.stop(t)
	args := []string{"intake", "s3://" + bucket + "/incoming/", "--data", data, "--origin", devOrigin, "--intake-tenant", devTenant,
		"--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style"}
	for _, want := range []string{"3 versions listed, 3 recorded, 0 recorded before", "3 versions listed, 0 recorded, 3 recorded before"} {
		if out, err := run(t.Context(), args...); err != nil || !strings.Contains(out, want) {
			t.Fatalf("assay intake: %v\n%s\nwant %q", err, out, want)
		}
	}
	if _, err := run(t.Context(), append(args[:len(args)-5:len(args)-5], "--s3-endpoint", "http://127.0.0.1:1", "--s3-region", g.Region, "--s3-path-style")...); err == nil {
		t.Fatal("assay intake against an unreachable endpoint succeeded")
	}
	s := startServe(t, "--dev", "--data", data)
	defer s.stop(t)
	var page wire.HistoryPage
	getJSON(t, s.url+"/v1/history?type=object.put", first.token, &page)
	if len(page.Entries) != 3 {
		t.Fatalf("object.put entries: %d", len(page.Entries))
	}
}

// TestServeIntakeNotifications: versitygw sends its bucket notifications
// to serve's webhook; with polling an hour apart, an object put after the
// first pass is recorded at once, woken by its notification. A wrong
// secret and a body that is no notification are refused.
func TestServeIntakeNotifications(t *testing.T) {
	// versitygw posts a test event when it starts and stops if nobody
	// answers, before serve (which needs its endpoint) runs: a relay
	// answers until serve is up, then forwards to it.
	var target atomic.Value
	target.Store("")
	relay := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := target.Load().(string)
		if to == "" {
			return // 200 to the start-up test event
		}
		resp, err := http.Post(to+r.URL.Path, "application/json", r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
	}))
	defer relay.Close()
	const secret = "notify-secret-0123456789"
	g := castest.StartVersityGWWith(t, "--event-webhook-url", relay.URL+"/v1/intake/notify/"+secret)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	s := startServe(t, "--dev", "--data", t.TempDir(), "--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style",
		"--intake", "s3://"+bucket+"/incoming/", "--intake-tenant", "dev", "--intake-interval", "1h", "--intake-notify-secret", secret)
	defer s.stop(t)
	target.Store(s.url)
	size := func() uint64 {
		var h wire.Health
		getJSON(t, s.url+"/health", s.token, &h)
		return h.Size
	}
	base := size()
	key := "incoming/late.txt"
	if _, err := g.Client().PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("after the first pass")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for size() <= base {
		if time.Now().After(deadline) {
			t.Fatalf("the object put after the first pass was not recorded: size stayed %d (intake polls hourly; the notification did not wake it)", base)
		}
	}
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{"/v1/intake/notify/wrong-secret-0123456789", `{"Records":[{"s3":{"bucket":{"name":"` + bucket + `"}}}]}`, http.StatusNotFound},
		{"/v1/intake/notify/" + secret, `not json`, http.StatusBadRequest},
		{"/v1/intake/notify/" + secret, `{"Records":[]}`, http.StatusBadRequest},
		{"/v1/intake/notify/" + secret, `{"Records":[{"s3":{"bucket":{"name":"` + bucket + `"}}}]}`, http.StatusOK},
	} {
		resp, err := http.Post(s.url+tc.path, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("POST %s %s: %d, want %d", tc.path, tc.body, resp.StatusCode, tc.status)
		}
	}
}

// TestServeIntakeInPlace: serve --intake-mode reference records an object
// without copying it into the store; `assay get` reads it from the bucket;
// once its bytes change in the bucket, get and scrub refuse it.
func TestServeIntakeInPlace(t *testing.T) {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	bucket := g.CreateBucket(t, false)
	key := "incoming/ref.txt"
	if _, err := g.Client().PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader("referenced in place")}); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	s := startServe(t, "--dev", "--data", data, "--s3-endpoint", g.Endpoint, "--s3-region", g.Region, "--s3-path-style",
		"--intake", "s3://"+bucket+"/incoming/", "--intake-tenant", "dev", "--intake-interval", "10ms", "--intake-mode", "reference")
	defer s.stop(t)
	for i := 0; ; i++ {
		var h wire.Health
		getJSON(t, s.url+"/health", s.token, &h)
		if h.Size >= 2 {
			break
		}
		if i == 100000 {
			t.Fatal("intake recorded nothing")
		}
	}
	if blobs := blobSet(t, filepath.Join(data, "blobs")); len(blobs) != 0 {
		t.Fatalf("the store holds %d blobs; reference mode copies none", len(blobs))
	}
	out := filepath.Join(t.TempDir(), "ref.txt")
	object := "raw/intake/" + bucket + "/" + key
	if o, err := run(t.Context(), "get", "--object", object, "--output", out, "--server", s.url, "--token", s.token); err != nil {
		t.Fatalf("get in place: %v\n%s", err, o)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "referenced in place" {
		t.Fatalf("got %q %v", b, err)
	}
	if o, err := run(t.Context(), "scrub", "--full", "--server", s.url, "--token", s.token); err != nil {
		t.Fatalf("scrub of an intact object in place: %v\n%s", err, o)
	}
	if err := os.WriteFile(filepath.Join(g.Root, bucket, "incoming", "ref.txt"), []byte("REFERENCED in place"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t.Context(), "get", "--object", object, "--output", filepath.Join(t.TempDir(), "x"), "--server", s.url, "--token", s.token); err == nil {
		t.Fatal("get of bytes changed in the bucket succeeded")
	}
	if o, err := run(t.Context(), "scrub", "--full", "--server", s.url, "--token", s.token); err == nil || !strings.Contains(o, "corrupt") {
		t.Fatalf("scrub of changed bytes in place: %v\n%s", err, o)
	}
}
