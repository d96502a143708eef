package main

import (
	"encoding/json"
	"fmt"
	"strings"
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
