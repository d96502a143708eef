package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/retention"
	"github.com/assay-ledger/assay/ledger/runlog"
)

// catalogFlags configure the content store and the package and object
// routes. S3 credentials come only from the environment or the AWS shared
// files, never from flags.
type catalogFlags struct {
	store      string // "local" or "s3"
	compress   bool
	keyFile    string
	s3         s3.Config
	maxUpload  int64
	readEvents bool
	retention  []string // CLASS=PERIOD overrides
	compliance []string // classes in compliance mode
	grace      time.Duration
	collectAge time.Duration
	sweepEvery time.Duration
}

func (c *catalogFlags) register(f *pflag.FlagSet) {
	f.StringVar(&c.store, "store", envOr("ASSAY_STORE", "local"), "content store backend: local (DATA/blobs) or s3 [ASSAY_STORE]")
	f.BoolVar(&c.compress, "store-compress", false, "local store: keep new blobs zstd-compressed")
	f.StringVar(&c.keyFile, "store-key-file", "", "local store: encrypt new blobs (AES-256-GCM) with the 32-byte key in this file, raw or 64 hex digits (keep it off the data disk); default DATA/keys/store.key if it exists, which --dev creates")
	f.StringVar(&c.s3.Endpoint, "s3-endpoint", "", "s3 store: endpoint URL of an S3-compatible service (empty for AWS)")
	f.StringVar(&c.s3.Bucket, "s3-bucket", "", "s3 store: bucket (required with --store s3)")
	f.StringVar(&c.s3.Prefix, "s3-prefix", "", "s3 store: key prefix, e.g. assay/")
	f.StringVar(&c.s3.Region, "s3-region", "", "s3 store: region (default from the environment, else us-east-1)")
	f.BoolVar(&c.s3.PathStyle, "s3-path-style", false, "s3 store: path-style addressing (MinIO, Ceph RGW, versitygw)")
	f.StringVar(&c.s3.StorageClass, "s3-storage-class", "", "s3 store: storage class of new objects")
	f.StringVar(&c.s3.SSE, "s3-sse", "", "s3 store: server-side encryption: AES256 or aws:kms")
	f.StringVar(&c.s3.SSEKMSKeyID, "s3-sse-kms-key-id", "", "s3 store: KMS key for --s3-sse aws:kms")
	f.BoolVar(&c.s3.ObjectLock, "s3-object-lock", false, "s3 store: set S3 Object Lock on blobs: COMPLIANCE retention until expiry for compliance-mode packages, legal holds for held ones (the bucket must be created with object lock)")
	f.Int64Var(&c.maxUpload, "max-upload", httpapi.DefaultMaxUpload, "largest upload request body in bytes")
	f.BoolVar(&c.readEvents, "object-read-events", true, "log an object.read entry for every download")
	f.StringArrayVar(&c.retention, "retention", nil,
		"set a retention class's period: CLASS=PERIOD with PERIOD Nd, Ny or none (defaults: transient=7d, raw-evidence=90d, summary-evidence=365d, release-evidence=7y, permanent-record=none); repeatable")
	f.StringArrayVar(&c.compliance, "retention-compliance", nil,
		"put new packages of retention class CLASS in compliance mode (default: governance); repeatable")
	f.DurationVar(&c.grace, "deletion-grace", retention.DefaultGrace, "how long a deleted package's bytes stay in the store's trash, restorable, before a purge removes them")
	f.DurationVar(&c.collectAge, "collect-age", retention.DefaultCollectAge, "safety age of the collection of unreferenced blobs (left by rejected or interrupted uploads): the periodic sweep collects only blobs written longer ago than this")
	f.DurationVar(&c.sweepEvery, "retention-sweep-interval", time.Hour, "announce packages eligible for deletion, purge deletions past their grace period and collect unreferenced blobs this often, for every tenant (0: never; POST /v1/retention/sweep does it on demand)")
}

// classes returns the retention classes: the defaults with the overrides.
func (c *catalogFlags) classes() (catalog.Classes, error) {
	cl := catalog.DefaultClasses()
	for _, spec := range c.retention {
		if err := cl.Set(spec); err != nil {
			return nil, fmt.Errorf("--retention: %w", err)
		}
	}
	for _, class := range c.compliance {
		if err := cl.SetCompliance(class); err != nil {
			return nil, fmt.Errorf("--retention-compliance: %w", err)
		}
	}
	return cl, nil
}

// policy is the public part of the catalog configuration recorded in the
// policy.applied entry: the retention classes (periods and compliance
// flags) and whether reads are logged.
func (c *catalogFlags) policy() (map[string]any, error) {
	cl, err := c.classes()
	if err != nil {
		return nil, err
	}
	p := cl.Policy()
	p["object_read_events"] = c.readEvents
	return p, nil
}

// openStore opens the configured backend and describes it.
func (c *catalogFlags) openStore(ctx context.Context, d dataDir) (cas.Store, httpapi.BackendInfo, error) {
	switch c.store {
	case "local":
		root := filepath.Join(string(d), "blobs")
		st, err := local.Open(local.Config{Root: root, Compress: c.compress, KeyFile: c.keyFile})
		info := httpapi.BackendInfo{Name: "default", Kind: "local",
			Settings: map[string]any{"root": root, "compress": c.compress, "encrypted": c.keyFile != ""}}
		return st, info, err
	case "s3":
		st, err := s3.New(ctx, c.s3)
		info := httpapi.BackendInfo{Name: "default", Kind: "s3", Settings: map[string]any{"endpoint": c.s3.Endpoint,
			"bucket": c.s3.Bucket, "prefix": c.s3.Prefix, "region": c.s3.Region, "path_style": c.s3.PathStyle,
			"storage_class": c.s3.StorageClass, "sse": c.s3.SSE, "object_lock": c.s3.ObjectLock}}
		return st, info, err
	}
	return nil, httpapi.BackendInfo{}, fmt.Errorf("--store %q: want local or s3", c.store)
}

// tempGrace is how old a store temporary must be for the startup sweep to
// remove it: no Put of a server sharing the store runs that long idle.
const tempGrace = time.Hour

// sweepTemporaries removes what Puts of a process that died left in the
// store (temp files, pending multipart uploads). A store that is down now
// is swept at the next start.
func sweepTemporaries(ctx context.Context, st cas.Store) error {
	sw, ok := st.(cas.Sweeper)
	if !ok {
		return nil
	}
	_, err := sw.SweepTemp(ctx, time.Now().Add(-tempGrace))
	if err != nil && !errors.Is(err, cas.ErrUnavailable) {
		return fmt.Errorf("sweep store temporaries: %w", err)
	}
	return nil
}

// registerCatalog opens the content store, adds the package, object,
// store, retention and deletion routes to api, finishes the deletions a
// stopped server left in the middle and starts the periodic sweep.
// registerCatalog opens the content store and registers the catalog,
// run log, retention and deletion routes over it; wrap, when not nil,
// wraps the store every reader sees (intake's read-through of bytes
// referenced in place).
func registerCatalog(ctx context.Context, api *httpapi.Server, lg *ledger.Log, d dataDir, c *catalogFlags, logger *slog.Logger, wrap func(cas.Store) cas.Store) (cas.Store, error) {
	classes, err := c.classes()
	if err != nil {
		return nil, err
	}
	st, info, err := c.openStore(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("open content store: %w", err)
	}
	if err := st.Health(ctx); err != nil && !errors.Is(err, cas.ErrUnavailable) {
		return nil, fmt.Errorf("content store: %w", err)
	}
	if err := sweepTemporaries(ctx, st); err != nil {
		return nil, err
	}
	var lock cas.Locker
	if s, ok := st.(*s3.Store); ok {
		lock = s.Locker()
	}
	if wrap != nil {
		st = wrap(st)
	}
	svc := &catalog.Service{Catalog: catalog.New(lg), Store: st, Classes: classes, ReadEvents: c.readEvents}
	api.HandleCatalog(httpapi.CatalogConfig{Service: svc, Backend: info, MaxUpload: c.maxUpload})
	api.HandleRunLogs(&runlog.Service{Log: lg, Store: st})
	rs, err := retention.NewService(retention.Config{Log: lg, Catalog: svc.Catalog, Locker: lock})
	if err != nil {
		return nil, err
	}
	if n, err := rs.ReapplyLocks(ctx); err != nil {
		logger.ErrorContext(ctx, "apply the store's object locks again", "applied", n, "err", err)
	} else if n > 0 {
		logger.InfoContext(ctx, "applied the store's object locks again", "blobs", n)
	}
	api.HandleRetention(rs)
	svc.Withheld = rs.Withheld
	del, err := retention.NewDeleter(retention.DeleterConfig{Service: rs, Store: st, Grace: c.grace, CollectAge: c.collectAge})
	if err != nil {
		return nil, err
	}
	svc.FileAdded, svc.ObjectPut = del.FileAdded, del.ObjectPut
	api.HandleDeletion(del, rs)
	if n, err := del.Resume(ctx); err != nil {
		logger.ErrorContext(ctx, "resume interrupted deletions", "finished", n, "err", err)
	} else if n > 0 {
		logger.InfoContext(ctx, "resumed interrupted deletions", "finished", n)
	}
	if c.sweepEvery > 0 {
		go sweepEvery(ctx, c.sweepEvery, svc.Catalog, del, logger)
	}
	return st, nil
}

// sweepEvery runs the retention sweep of every tenant each interval until
// ctx ends: it announces packages newly eligible for deletion and purges
// deletions past their grace period; then it collects the store's
// unreferenced blobs older than --collect-age (Deleter.Collect).
func sweepEvery(ctx context.Context, interval time.Duration, cat *catalog.Catalog, del *retention.Deleter, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := sweepAll(ctx, cat, del); err != nil && ctx.Err() == nil {
			logger.ErrorContext(ctx, "retention sweep", "err", err)
		}
		res, err := del.Collect(ctx, "system")
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, retention.ErrNoTrash):
			logger.WarnContext(ctx, "collect unreferenced blobs", "err", err)
		case err != nil:
			logger.ErrorContext(ctx, "collect unreferenced blobs", "err", err)
		case len(res.Collected)+len(res.Purged)+len(res.Kept) > 0:
			logger.InfoContext(ctx, "collected unreferenced blobs", "collected", len(res.Collected), "bytes", res.Bytes,
				"purged", len(res.Purged), "kept", len(res.Kept))
		}
	}
}

// sweepAll sweeps every tenant's packages as the system.
func sweepAll(ctx context.Context, cat *catalog.Catalog, del *retention.Deleter) error {
	tenants, err := cat.Tenants(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, tenant := range tenants {
		if _, err := del.Sweep(ctx, "system", tenant, false); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", tenant, err))
		}
	}
	return errors.Join(errs...)
}
