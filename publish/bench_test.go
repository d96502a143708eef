package publish

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// BenchmarkPublishLag appends b.N*10,000 entries of 512 B from 64
// appenders to a log, once alone and once while a Publisher copies it to
// a versitygw bucket (make bench), and reports both append rates, their
// ratio, and the publisher's lag behind the log sampled every 10 ms (p50,
// max) and after the appends end (drain).
func BenchmarkPublishLag(b *testing.B) {
	g := castest.StartVersityGW(b)
	g.SetAWSEnv(b)
	n := 10_000 * b.N
	run := func(publish bool) (rate float64, lags []uint64, drain time.Duration) {
		lg, _ := ledgertest.Open(b, filepath.Join(b.TempDir(), "ledger"), ledgertest.Options{})
		var p *Publisher
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		if publish {
			bucket := g.CreateBucket(b, false)
			var err error
			p, err = New(Config{Log: lg, Public: &S3Store{Client: g.Client(), Bucket: bucket, Prefix: "log/"},
				Private: &S3Store{Client: g.Client(), Bucket: bucket, Prefix: "entries/"}, Interval: time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			go func() { done <- p.Run(ctx) }()
		}
		body := []byte(`{"pad":"` + strings.Repeat("x", 500) + `"}`)
		stop := make(chan struct{})
		var sampler sync.WaitGroup
		if publish {
			sampler.Go(func() {
				t := time.NewTicker(10 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						lags = append(lags, p.Lag())
					}
				}
			})
		}
		start := time.Now()
		var wg sync.WaitGroup
		for w := range 64 {
			wg.Go(func() {
				for i := w; i < n; i += 64 {
					if _, err := lg.Append(context.Background(), ledger.Entry{Type: "bench.entry", Actor: "bench", Body: body}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		rate = float64(n) / time.Since(start).Seconds()
		close(stop)
		sampler.Wait()
		if publish {
			t0 := time.Now()
			for p.Lag() > 0 {
				select {
				case err := <-done:
					b.Fatalf("publisher stopped: %v", err)
				case <-time.After(time.Millisecond):
				}
			}
			drain = time.Since(t0)
		}
		return rate, lags, drain
	}
	alone, _, _ := run(false)
	with, lags, drain := run(true)
	slices.Sort(lags)
	b.ReportMetric(alone, "appends/s_alone")
	b.ReportMetric(with, "appends/s_publishing")
	b.ReportMetric(with/alone, "ratio")
	if len(lags) > 0 {
		b.ReportMetric(float64(lags[len(lags)/2]), "lag_p50_entries")
		b.ReportMetric(float64(lags[len(lags)-1]), "lag_max_entries")
	}
	b.ReportMetric(drain.Seconds(), "drain_s")
}
