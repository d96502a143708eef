package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/intake"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// intakeFlags are serve's flags for bucket intake (package intake).
type intakeFlags struct {
	sources  []string // s3://BUCKET/PREFIX
	tenant   string
	receipts bool
	interval time.Duration
	notify   string // the webhook secret of bucket notifications
	mode     string // copy or reference
}

// readThrough returns the store wrapper that serves bytes intake records in
// place (nil unless --intake-mode reference).
func (f *intakeFlags) readThrough(ctx context.Context, lg *ledger.Log, s3cfg s3.Config) (func(cas.Store) cas.Store, error) {
	if len(f.sources) == 0 || f.mode != "reference" {
		return nil, nil
	}
	client, err := s3.NewClient(ctx, s3cfg)
	if err != nil {
		return nil, err
	}
	cat := catalog.New(lg)
	return func(st cas.Store) cas.Store { return &intake.ReadThrough{Store: st, Catalog: cat, Client: client} }, nil
}

func (f *intakeFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.sources, "intake", nil,
		"record every object version producers put under s3://BUCKET/PREFIX (repeatable), with the --s3-endpoint, --s3-region and --s3-path-style settings")
	fs.StringVar(&f.tenant, "intake-tenant", "", "the tenant the recorded objects belong to (required with --intake)")
	fs.BoolVar(&f.receipts, "intake-receipts", false, "write each recorded version's receipt back to the bucket under provenance/<key>.json")
	fs.DurationVar(&f.interval, "intake-interval", 5*time.Second, "how often to list the buckets")
	fs.StringVar(&f.mode, "intake-mode", "copy",
		"copy: store each version's bytes in the content store; reference: record them in place, reads fetch the version from its bucket and refuse bytes that changed")
	fs.StringVar(&f.notify, "intake-notify-secret", envOr("ASSAY_INTAKE_NOTIFY_SECRET", ""),
		"accept bucket event notifications at POST /v1/intake/notify/SECRET (point the bucket server's webhook there): each wakes the intake of its bucket at once [ASSAY_INTAKE_NOTIFY_SECRET]")
}

// check validates the flags without contacting anything.
func (f *intakeFlags) check() error {
	if len(f.sources) == 0 {
		return nil
	}
	if f.tenant == "" {
		return errors.New("--intake needs --intake-tenant")
	}
	for _, s := range f.sources {
		if _, _, err := parseS3URL("intake", s); err != nil {
			return err
		}
	}
	if f.interval <= 0 {
		return fmt.Errorf("--intake-interval %v: want a positive duration", f.interval)
	}
	if f.mode != "copy" && f.mode != "reference" {
		return fmt.Errorf("--intake-mode %q: want copy or reference", f.mode)
	}
	if f.notify != "" && (len(f.notify) < 16 || strings.ContainsAny(f.notify, "/?#% ")) {
		return errors.New("--intake-notify-secret: want at least 16 characters, none of / ? # % or space")
	}
	return nil
}

// start runs one Intake per source until the returned stop, with their
// counters as metrics in reg.
func (f *intakeFlags) start(ctx context.Context, api *httpapi.Server, lg *ledger.Log, store cas.Store, s3cfg s3.Config, reg *prometheus.Registry, logger *slog.Logger) (func(), error) {
	if len(f.sources) == 0 {
		return func() {}, nil
	}
	client, err := s3.NewClient(ctx, s3cfg)
	if err != nil {
		return nil, err
	}
	svc := &catalog.Service{Catalog: catalog.New(lg), Store: store, Classes: catalog.DefaultClasses()}
	var ins []*intake.Intake
	for _, src := range f.sources {
		bucket, prefix, _ := parseS3URL("intake", src)
		in, err := intake.New(intake.Config{Client: client, Bucket: bucket, Prefix: prefix, Service: svc, Log: lg, Tenant: f.tenant,
			Receipts: f.receipts, InPlace: f.mode == "reference", Logger: logger.With("component", "intake")})
		if err != nil {
			return nil, err
		}
		ins = append(ins, in)
	}
	if f.notify != "" {
		api.SetIntakeNotify(f.notify, func(buckets []string) int {
			woken := 0
			for _, in := range ins {
				if slices.Contains(buckets, in.Bucket()) {
					in.Notify()
					woken++
				}
			}
			return woken
		})
	}
	api.SetIntakeScrub(func(ctx context.Context) (*catalog.DriftReport, error) {
		all := &catalog.DriftReport{Drifted: []catalog.ObjectDrift{}}
		for _, in := range ins {
			rep, err := in.Scrub(ctx)
			if err != nil {
				return nil, err
			}
			all.Checked += rep.Checked
			all.Drifted = append(all.Drifted, rep.Drifted...)
		}
		return all, nil
	})
	sum := func(pick func(seen, recorded, skipped, failures uint64, lag int64) float64) func() float64 {
		return func() float64 {
			t := 0.0
			for _, in := range ins {
				t += pick(in.Counters())
			}
			return t
		}
	}
	for _, c := range []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "assay_intake_seen_total", Help: "Bucket object versions intake listed."},
			sum(func(s, _, _, _ uint64, _ int64) float64 { return float64(s) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "assay_intake_recorded_total", Help: "Bucket object versions intake recorded."},
			sum(func(_, r, _, _ uint64, _ int64) float64 { return float64(r) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "assay_intake_skipped_total", Help: "Listed versions recorded before."},
			sum(func(_, _, k, _ uint64, _ int64) float64 { return float64(k) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "assay_intake_failures_total", Help: "Intake passes that failed (each retried with backoff)."},
			sum(func(_, _, _, x uint64, _ int64) float64 { return float64(x) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "assay_intake_lag_versions", Help: "Versions the last pass listed but did not record (a failure cut it short)."},
			sum(func(_, _, _, _ uint64, l int64) float64 { return float64(l) })),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, len(ins))
	for _, in := range ins {
		go func() {
			defer func() { done <- struct{}{} }()
			in.Run(ctx, f.interval)
		}()
	}
	logger.InfoContext(ctx, "bucket intake", "sources", f.sources, "tenant", f.tenant)
	return func() {
		cancel()
		for range ins {
			<-done
		}
	}, nil
}
