package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/intake"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/domains"
)

func newIntakeCmd() *cobra.Command {
	var f intakeFlags
	var data, origin string
	var store catalogFlags
	var ledgerKey ledgerKeyFlag
	cmd := &cobra.Command{
		Use:   "intake s3://BUCKET/PREFIX... --data DIR --origin ORIGIN --intake-tenant TENANT",
		Short: "Record the object versions of buckets into a stopped server's ledger, once",
		Long: `Do one intake pass, as serve --intake does on every interval, into the ledger of
the data directory of a stopped server (the ledger is locked while a server
runs: use serve --intake there): list every object version and delete marker
under each s3://BUCKET/PREFIX and record those not recorded yet (object.put,
with the bytes copied into the store, or object.deleted), with the same store
flags as serve and the --s3-endpoint, --s3-region and --s3-path-style settings.
Credentials come from the environment or the shared AWS files. Versions
recorded before are skipped, so a pass may be repeated.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.sources = args
			if err := f.check(); err != nil {
				return err
			}
			key, err := ledgerKey.key()
			if err != nil {
				return err
			}
			return runIntakeOnce(cmd.Context(), cmd.OutOrStdout(), dataDir(data), origin, &f, &store, key)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", envOr("ASSAY_DATA", "./var"), "data directory of the stopped server [ASSAY_DATA]")
	fl.StringVar(&origin, "origin", envOr("ASSAY_ORIGIN", ""), "the log's checkpoint origin; required [ASSAY_ORIGIN]")
	fl.StringVar(&f.tenant, "intake-tenant", "", "the tenant the recorded objects belong to; required")
	fl.BoolVar(&f.receipts, "intake-receipts", false, "write each recorded version's receipt back to the bucket under provenance/<key>.json")
	fl.StringVar(&f.mode, "intake-mode", "copy", "copy the bytes into the store, or reference them in place (see serve --intake-mode)")
	f.interval = time.Second // one pass: check wants a positive interval
	store.register(fl)
	ledgerKey.register(fl)
	cmd.MarkFlagRequired("origin")
	cmd.MarkFlagRequired("intake-tenant")
	return cmd
}

func runIntakeOnce(ctx context.Context, w io.Writer, d dataDir, origin string, f *intakeFlags, store *catalogFlags, ledgerKey []byte) error {
	signer, _, err := checkpointKey(d, origin, false)
	if err != nil {
		return err
	}
	lg, err := ledger.Open(ledger.Config{Dir: d.ledger(), Origin: origin, Signer: signer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: domains.Modules(), EncryptionKey: ledgerKey})
	if err != nil {
		return err
	}
	defer lg.Close()
	st, _, err := store.openStore(ctx, d)
	if err != nil {
		return err
	}
	client, err := s3.NewClient(ctx, store.s3)
	if err != nil {
		return err
	}
	svc := &catalog.Service{Catalog: catalog.New(lg), Store: st, Classes: catalog.DefaultClasses()}
	for _, src := range f.sources {
		bucket, prefix, _ := parseS3URL("intake", src)
		in, err := intake.New(intake.Config{Client: client, Bucket: bucket, Prefix: prefix, Service: svc, Log: lg, Tenant: f.tenant, Receipts: f.receipts, InPlace: f.mode == "reference"})
		if err != nil {
			return err
		}
		rep, err := in.Once(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: %d versions listed, %d recorded, %d recorded before\n", src, rep.Seen, rep.Recorded, rep.Skipped)
	}
	return nil
}
