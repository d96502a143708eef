package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/retention"
)

// devOrigin is the checkpoint origin of a --dev server started without one.
const devOrigin = "assay.local/dev"

// devTokenName names the all-scopes token --dev creates on first start.
const devTokenName = "dev"

// devTenant is the tenant of the dev token, which job exports must send in
// X-Tenant-Id.
const devTenant = "dev"

// shutdownGrace bounds how long in-flight requests may run after a signal.
const shutdownGrace = 10 * time.Second

// dataDir is the server's data directory:
//
//	DIR/ledger/                Badger: the log and its projections
//	DIR/keys/checkpoint.key    checkpoint signer key (0600)
//	DIR/keys/checkpoint.vkey   its verifier key
//	DIR/keys/store.key         local store key (0600; created by --dev)
//	DIR/tokens.json            token hashes, names, tenants, scopes, expiry, revocation (0600)
//	DIR/tokens-used.json       when each token was last used, flushed every 10s (0600)
type dataDir string

func (d dataDir) ledger() string { return filepath.Join(string(d), "ledger") }
func (d dataDir) keys() string   { return filepath.Join(string(d), "keys") }
func (d dataDir) tokens() string { return filepath.Join(string(d), httpapi.TokenFile) }

type serveOptions struct {
	data, addr, origin string
	dev, metricsPublic bool
	mirrorWrites       bool
	promoteMirror      bool
	logFormat          string // json or text
	memoryBudget       string // such as 1GiB; 0 for Badger's defaults
	exports            exportFlags
	catalog            catalogFlags
	promotion          promotionFlags
	ledgerKey          ledgerKeyFlag
	publish            publishFlags
	intake             intakeFlags
	witness            witnessFlags
	oci                ociFlags
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Assay server",
		Long: `Run the Assay server on the ledger in --data. It signs checkpoints with
DATA/keys/checkpoint.key, records its policy (origin and verifier key, export
trust, retention classes, encryption at rest, promotion tiers and their keys) in the log, and stops gracefully
on SIGINT or SIGTERM.

With --dev, the first start creates the key and an all-scopes token named "dev",
and prints the token with a curl example; it also creates DATA/keys/store.key,
which encrypts the local store's blobs at rest (AES-256-GCM). Without --dev that
key is used if it exists, and nothing is created: encrypt the store with
--store-key-file and the ledger with --ledger-key-file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.data, "data", envOr("ASSAY_DATA", "./var"), "data directory [ASSAY_DATA]")
	f.StringVar(&o.addr, "addr", envOr("ASSAY_ADDR", "127.0.0.1:8080"), "listen address [ASSAY_ADDR]")
	f.StringVar(&o.origin, "origin", envOr("ASSAY_ORIGIN", ""), "checkpoint origin line, e.g. assay.example/log; required without --dev [ASSAY_ORIGIN]")
	f.BoolVar(&o.dev, "dev", false, "development mode: create the key, a dev token and a store key on first start")
	f.BoolVar(&o.metricsPublic, "metrics-public", false, "serve /metrics without a token (default: scope metrics:read)")
	f.BoolVar(&o.mirrorWrites, "mirror-writes", false, "on a mirror (a ledger that imported bundles), accept direct writes too")
	f.BoolVar(&o.promoteMirror, "promote-mirror", false,
		"make a mirror kept by assay mirror a primary of its own (disaster recovery): it takes writes, and its policy.applied names the old log's last verified checkpoint; once is enough")
	f.StringVar(&o.memoryBudget, "memory-budget", envOr("ASSAY_MEMORY_BUDGET", "1GiB"),
		"memory the server is sized for (such as 512MiB, 2GiB): Badger's memtables and caches, and GOMEMLIMIT unless set; 0 keeps Badger's defaults, whose memory grows with the log [ASSAY_MEMORY_BUDGET]")
	f.StringVar(&o.logFormat, "log-format", envOr("ASSAY_LOG_FORMAT", "json"), "server log on stderr: json (one object a line, for log pipelines) or text [ASSAY_LOG_FORMAT]")
	o.exports.register(f)
	o.catalog.register(f)
	o.promotion.register(f)
	o.ledgerKey.register(f)
	o.publish.register(f)
	o.intake.register(f)
	o.witness.register(f)
	o.oci.flags(f)
	return cmd
}

func runServe(ctx context.Context, out, errOut io.Writer, o serveOptions) (err error) {
	var logger *slog.Logger
	switch o.logFormat {
	case "json":
		logger = slog.New(slog.NewJSONHandler(errOut, nil))
	case "text":
		logger = slog.New(slog.NewTextHandler(errOut, nil))
	default:
		return fmt.Errorf("--log-format %q: want json or text", o.logFormat)
	}
	if o.origin == "" && !o.dev {
		return errors.New("no --origin (or ASSAY_ORIGIN): name the log, e.g. --origin assay.example/log")
	}
	if o.origin == "" {
		o.origin = devOrigin
	}
	d := dataDir(o.data)
	// Flags and key files are checked before anything is written.
	budget, err := memoryBudget(o.memoryBudget)
	if err != nil {
		return err
	}
	if err := o.publish.check(); err != nil {
		return err
	}
	witnesses, err := o.witness.witnesses()
	if err != nil {
		return err
	}
	if err := o.oci.check(); err != nil {
		return err
	}
	if err := o.intake.check(); err != nil {
		return err
	}
	trust, err := o.exports.trust()
	if err != nil {
		return err
	}
	catalogPolicy, err := o.catalog.policy()
	if err != nil {
		return err
	}
	promotionCfg, err := o.promotion.config()
	if err != nil {
		return err
	}
	ledgerKey, err := o.ledgerKey.key()
	if err != nil {
		return err
	}
	if err := o.catalog.checkStoreKey(d); err != nil {
		return err
	}
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return err
	}
	signer, vkey, err := checkpointKey(d, o.origin, o.dev)
	if err != nil {
		return err
	}
	seqMetrics := httpapi.NewSequencerMetrics()
	lg, err := ledger.Open(ledger.Config{Dir: d.ledger(), Origin: o.origin, Signer: signer, Logger: logger, Modules: domains.Modules(),
		MirrorWrites: o.mirrorWrites || o.promoteMirror || fileExists(d.promotedFrom()), EncryptionKey: ledgerKey, Observer: seqMetrics, MemoryBudget: budget})
	if err != nil {
		return err
	}
	if budget > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(budget)
	}
	logger.InfoContext(ctx, "memory budget", "bytes", budget, "gomemlimit", debug.SetMemoryLimit(-1))
	defer func() { err = errors.Join(err, lg.Close()) }()
	if o.dev {
		if err := o.catalog.createDevStoreKey(d); err != nil {
			return err
		}
	}
	policy := map[string]any{"checkpoint": map[string]string{"origin": o.origin, "verifier_key": vkey}, "exports": trust.Policy(), "catalog": catalogPolicy,
		"encryption": encryptionPolicy(ledgerKey, &o.catalog), "promotion": promotion.Policy(promotionCfg),
		retention.PolicyMember: retention.Policy(o.catalog.grace)}
	if len(witnesses) > 0 {
		policy["witnesses"] = witnessPolicy(witnesses, o.witness.quorum)
	}
	promo, err := mirrorPromotion(d, lg, o.promoteMirror)
	if err != nil {
		return err
	}
	if promo != nil {
		policy["promoted_from"] = promo
	}
	if _, err := lg.ApplyPolicy(ctx, "system", policy); err != nil {
		return fmt.Errorf("record policy: %w", err)
	}
	devToken, err := ensureDevToken(d, o.dev)
	if err != nil {
		return err
	}
	tokens := httpapi.OpenTokens(d.tokens())
	stopFlush := tokens.FlushUsedEvery(httpapi.TokenUsedFlush, func(err error) { logger.Error("record token last use", "err", err) })
	defer func() { err = errors.Join(err, stopFlush()) }()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	apiCfg := httpapi.Config{Log: lg, Tokens: tokens, Logger: logger, MetricsPublic: o.metricsPublic, Sequencer: seqMetrics, Registry: reg}
	wsvc, err := o.witness.service(lg, witnesses, reg, logger)
	if err != nil {
		return err
	}
	if wsvc != nil {
		apiCfg.Witnesses = wsvc
	}
	api, err := httpapi.New(apiCfg)
	if err != nil {
		return err
	}
	defer runWitnesses(ctx, wsvc)()
	stopPublish, err := o.publish.start(ctx, lg, o.catalog.s3, reg, logger)
	if err != nil {
		return err
	}
	defer stopPublish()
	wrap, err := o.intake.readThrough(ctx, lg, o.catalog.s3)
	if err != nil {
		return err
	}
	store, err := registerCatalog(ctx, api, lg, d, &o.catalog, logger, wrap)
	if err != nil {
		return err
	}
	stopIntake, err := o.intake.start(ctx, api, lg, store, o.catalog.s3, reg, logger)
	if err != nil {
		return err
	}
	defer stopIntake()
	if err := registerExports(api, lg, trust, store); err != nil {
		return err
	}
	promotions, stopPromotions, err := registerPromotions(ctx, api, lg, store, promotionCfg, logger)
	if err != nil {
		return err
	}
	defer stopPromotions()
	if err := o.oci.register(api, lg, store, promotions, wsvc); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	printBanner(out, "http://"+ln.Addr().String(), o, vkey, devToken)
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	hs.RegisterOnShutdown(api.CloseStreams)
	return serveUntilDone(ctx, hs, ln, logger)
}

// checkpointKey loads the checkpoint key pair, creating it in dev mode.
func checkpointKey(d dataDir, origin string, dev bool) (note.Signer, string, error) {
	signer, vkey, err := loadKeyPair(d.keys(), "checkpoint")
	if errors.Is(err, fs.ErrNotExist) && dev {
		if _, err := writeKeyPair(d.keys(), "checkpoint", origin); err != nil {
			return nil, "", err
		}
		return loadKeyPair(d.keys(), "checkpoint")
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("no checkpoint key in %s: run `assay keys generate --name checkpoint --out %s --key-name %s` (or start with --dev)",
			d.keys(), d.keys(), origin)
	}
	return signer, vkey, err
}

// ensureDevToken creates the dev token if dev is set and none exists, and
// returns it; "" when it existed already or dev is unset.
func ensureDevToken(d dataDir, dev bool) (string, error) {
	if !dev {
		return "", nil
	}
	recs, err := httpapi.ReadTokenFile(d.tokens())
	if err != nil {
		return "", err
	}
	if slices.ContainsFunc(recs, func(r httpapi.TokenRecord) bool { return r.Name == devTokenName }) {
		return "", nil
	}
	return httpapi.CreateToken(d.tokens(), httpapi.Identity{Name: devTokenName, Tenant: devTenant, Scopes: []string{httpapi.AllScopes}}, time.Now())
}

func printBanner(w io.Writer, url string, o serveOptions, vkey, devToken string) {
	fmt.Fprintf(w, "Assay serving %s (origin %s, data %s)\n", url, o.origin, o.data)
	fmt.Fprintf(w, "Checkpoint verifier key: %s\n", vkey)
	tok := "$ASSAY_TOKEN"
	switch {
	case devToken != "":
		tok = devToken
		fmt.Fprintf(w, "Dev token (all scopes; shown only now): %s\n", devToken)
	case o.dev:
		fmt.Fprintf(w, "Dev token: printed on first start (only its hash is kept); make another with\n"+
			"  assay token create --data %s --name NAME --tenant %s --scope '*'\n", o.data, devTenant)
	}
	if o.dev {
		fmt.Fprintf(w, "Dev token tenant: %s (job exports send it in %s; `assay whoami` shows a token's tenant)\n", devTenant, wire.TenantHeader)
	}
	fmt.Fprintf(w, "Try:\n  curl -H 'Authorization: Bearer %s' %s/v1/log/checkpoint\n", tok, url)
}

// serveUntilDone serves on ln until ctx ends, then shuts down gracefully.
func serveUntilDone(ctx context.Context, hs *http.Server, ln net.Listener, logger *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.InfoContext(ctx, "shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// memoryBudget parses --memory-budget: bytes with an optional unit (KiB,
// MiB, GiB, or KB, MB, GB), 0 for none, at least ledger.MinMemoryBudget
// otherwise.
func memoryBudget(v string) (int64, error) {
	n, err := humanize.ParseBytes(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("--memory-budget %q: want a size such as 1GiB or 512MiB: %w", v, err)
	case n != 0 && n < ledger.MinMemoryBudget:
		return 0, fmt.Errorf("--memory-budget %q: at least %d MiB, or 0 for Badger's defaults", v, ledger.MinMemoryBudget>>20)
	case n > 1<<50:
		return 0, fmt.Errorf("--memory-budget %q: too large", v)
	}
	return int64(n), nil
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
