package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/publish"
)

// publishFlags are serve's flags for publishing the log's read path to a
// bucket (package publish).
type publishFlags struct {
	public, entries string // s3://BUCKET/PREFIX
	interval        time.Duration
}

func (p *publishFlags) register(f *pflag.FlagSet) {
	f.StringVar(&p.public, "publish", envOr("ASSAY_PUBLISH", ""),
		"publish the checkpoint and hash tiles (C2SP tlog-tiles) to s3://BUCKET/PREFIX, with the --s3-endpoint, --s3-region and --s3-path-style settings [ASSAY_PUBLISH]")
	f.StringVar(&p.entries, "publish-entries", envOr("ASSAY_PUBLISH_ENTRIES", ""),
		"with --publish, also publish the entry bundles, which hold every tenant's entries, to s3://BUCKET/PREFIX: a location that needs credentials, never the public one [ASSAY_PUBLISH_ENTRIES]")
	f.DurationVar(&p.interval, "publish-interval", time.Second, "with --publish, the least time between two publications")
}

// parseS3URL splits s3://BUCKET/PREFIX; the prefix, when not empty, ends
// with a slash.
func parseS3URL(flag, v string) (bucket, prefix string, err error) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "s3" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("--%s %q: want s3://BUCKET/PREFIX", flag, v)
	}
	prefix = strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// check validates the flags without contacting anything.
func (p *publishFlags) check() error {
	if p.public == "" {
		if p.entries != "" {
			return errors.New("--publish-entries needs --publish")
		}
		return nil
	}
	pb, pp, err := parseS3URL("publish", p.public)
	if err != nil {
		return err
	}
	if p.entries == "" {
		return nil
	}
	eb, ep, err := parseS3URL("publish-entries", p.entries)
	if err != nil {
		return err
	}
	if eb == pb && (strings.HasPrefix(ep, pp) || strings.HasPrefix(pp, ep)) {
		return fmt.Errorf("--publish-entries %s lies in or over --publish %s: entry bundles must not go where the public hash tiles go", p.entries, p.public)
	}
	return nil
}

// start runs a Publisher until the returned stop; its lag is the gauge
// assay_publish_lag_entries of reg. Without --publish it does nothing.
func (p *publishFlags) start(ctx context.Context, lg *ledger.Log, s3cfg s3.Config, reg *prometheus.Registry, logger *slog.Logger) (stop func(), err error) {
	if p.public == "" {
		return func() {}, nil
	}
	client, err := s3.NewClient(ctx, s3cfg)
	if err != nil {
		return nil, err
	}
	bucket, prefix, _ := parseS3URL("publish", p.public)
	cfg := publish.Config{Log: lg, Public: &publish.S3Store{Client: client, Bucket: bucket, Prefix: prefix}, Interval: p.interval,
		Logger: logger.With("component", "publish")}
	if p.entries != "" {
		b, pre, _ := parseS3URL("publish-entries", p.entries)
		cfg.Private = &publish.S3Store{Client: client, Bucket: b, Prefix: pre}
	}
	pub, err := publish.New(cfg)
	if err != nil {
		return nil, err
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "assay_publish_lag_entries",
			Help: "Entries of the log's published tree that the bucket's checkpoint does not cover yet."}, func() float64 { return float64(pub.Lag()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "assay_publish_size",
			Help: "Tree size of the last checkpoint written to the bucket."}, func() float64 { return float64(pub.Published()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "assay_publish_failures_total",
			Help: "Publications to the bucket that failed (each is retried)."}, func() float64 { return float64(pub.Failures()) }),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := pub.Run(ctx); err != nil {
			logger.ErrorContext(ctx, "publishing stopped", "err", err)
		}
	}()
	logger.InfoContext(ctx, "publishing the log's tiles", "to", p.public, "entries_to", p.entries)
	return func() { cancel(); <-done }, nil
}
