package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/internal/durable"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/verifier"
)

func newBundleCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bundle", Short: "Export, verify and import air-gap bundles of the log"}
	cmd.AddCommand(newBundleExportCmd(), newBundleVerifyCmd(), newBundleImportCmd())
	return cmd
}

// trustFlags say which log a bundle must come from.
type trustFlags struct {
	key, sourceOrigin, base string
	witnesses               witnessRequirement
}

func (t *trustFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&t.key, "key", "", "the source log's checkpoint verifier key, or @FILE holding it; required")
	f.StringVar(&t.sourceOrigin, "source-origin", "", "expected origin of the source log; any when empty")
	f.StringVar(&t.base, "base-checkpoint", "", "trusted signed checkpoint FILE at the bundle's first index (chains bundles)")
	t.witnesses.register(f)
	cmd.MarkFlagRequired("key")
}

// options turns the flags into what bundle.Verify checks against.
func (t *trustFlags) options() (bundle.Options, error) {
	key, err := readKeyArg(t.key)
	if err != nil {
		return bundle.Options{}, err
	}
	o := bundle.Options{Key: key, Origin: t.sourceOrigin}
	if o.Witnesses, err = t.witnesses.value(); err != nil {
		return o, err
	}
	if t.base != "" {
		b, err := os.ReadFile(t.base)
		if err != nil {
			return o, err
		}
		cp, err := verifier.OpenCheckpoint(b, key, t.sourceOrigin)
		if err != nil {
			return o, fmt.Errorf("--base-checkpoint %s: %w", t.base, err)
		}
		o.Base = &cp
	}
	return o, nil
}

// openWithProgress opens path for reading with a progress bar over its bytes.
func openWithProgress(path, what string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		bar := newProgress(fi.Size()/1024, what+" (KiB)")
		return readCloser{io.TeeReader(f, kibCounter{bar}), f}, nil
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// kibCounter advances a progress bar by the KiB written to it.
type kibCounter struct{ bar *progressbar.ProgressBar }

func (k kibCounter) Write(p []byte) (int, error) {
	k.bar.Add64(int64(len(p)) / 1024)
	return len(p), nil
}

func newBundleVerifyCmd() *cobra.Command {
	var t trustFlags
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify a bundle offline against the source log's key",
		Long: `Check a bundle with no server and no network: every member's digest, the
checkpoint's signature, that the base range and the entries hash to the
checkpoint's root, the consistency proof, and (with --base-checkpoint) that the
bundle starts where a trusted checkpoint ends.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := t.options()
			if err != nil {
				return err
			}
			rc, err := openWithProgress(args[0], "verify")()
			if err != nil {
				return err
			}
			defer rc.Close()
			v, err := bundle.Verify(rc, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bundle %s verifies: log %s, entries [%d, %d), root %x\n",
				args[0], v.Header.Origin, v.Header.From, v.Header.To, v.Checkpoint.Root)
			return nil
		},
	}
	t.register(cmd)
	return cmd
}

func newBundleImportCmd() *cobra.Command {
	var t trustFlags
	var data, origin string
	var store catalogFlags
	var ledgerKey ledgerKeyFlag
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Verify a bundle and replay it into a ledger (a mirror)",
		Long: `Verify the bundle, then replay its entries into the ledger in --data through the
same state machine as the server, so its projections come out as the source's.
The ledger must be empty or hold the source's history up to the bundle's first
index; importing a bundle twice changes nothing. Blobs the bundle carries go
to the content store the server uses (the same --store flags as serve). The ledger becomes a mirror:
its server takes no direct writes. The server must not be running (the ledger
is locked). The mirror signs its checkpoints with DATA/keys/checkpoint.key. An
encrypted ledger needs its --ledger-key-file, as for serve; blobs are encrypted
with --store-key-file, else DATA/keys/store.key if it exists.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := t.options()
			if err != nil {
				return err
			}
			key, err := ledgerKey.key()
			if err != nil {
				return err
			}
			return runBundleImport(cmd.Context(), cmd.OutOrStdout(), args[0], dataDir(data), origin, o, &store, key)
		},
	}
	t.register(cmd)
	cmd.Flags().StringVar(&data, "data", envOr("ASSAY_DATA", "./var"), "data directory of the mirror [ASSAY_DATA]")
	cmd.Flags().StringVar(&origin, "origin", envOr("ASSAY_ORIGIN", ""), "the mirror's own checkpoint origin; required [ASSAY_ORIGIN]")
	cmd.MarkFlagRequired("origin")
	store.register(cmd.Flags())
	ledgerKey.register(cmd.Flags())
	return cmd
}

func runBundleImport(ctx context.Context, w io.Writer, path string, d dataDir, origin string, o bundle.Options, store *catalogFlags, ledgerKey []byte) error {
	if err := store.checkStoreKey(d); err != nil {
		return err
	}
	signer, _, err := checkpointKey(d, origin, false)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	lg, err := ledger.Open(ledger.Config{Dir: d.ledger(), Origin: origin, Signer: signer, Logger: logger, Modules: domains.Modules(), EncryptionKey: ledgerKey})
	if err != nil {
		return err
	}
	st, _, err := store.openStore(ctx, d)
	if err != nil {
		lg.Close()
		return err
	}
	sink := func(d string, r io.Reader) error {
		want, err := cas.ParseDigest("sha256:" + d)
		if err == nil {
			_, err = st.Put(ctx, r, want)
		}
		return err
	}
	res, err := bundle.Import(ctx, openWithProgress(path, "import"), lg, o, sink)
	if cerr := lg.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "imported %d entries from %s: the ledger has %d entries, root %x\n", res.Added, path, res.Size, res.Root)
	return nil
}

// exportOptions are the flags of bundle export: what to fetch, and where
// to write and how to check the bundle.
type exportOptions struct {
	client.BundleOptions
	out, key string
}

func newBundleExportCmd() *cobra.Command {
	var f serverFlags
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write entries [--from, --to) of a server's log as a bundle file",
		Long: `Fetch entries [--from, --to) (--to defaults to the latest checkpoint; it must be a
size with a published checkpoint), that checkpoint, the consistency proof from
--from and the tree's compact range at --from, and write them as one bundle
(tar + zstd) to --out. With --key the bundle is verified before it is kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if o.key != "" {
				if o.key, err = readKeyArg(o.key); err != nil {
					return err
				}
			}
			return runBundleExport(cmd.Context(), cmd.OutOrStdout(), c, o)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.Uint64Var(&o.From, "from", 0, "first entry index (0, or the end of the last bundle)")
	fl.Uint64Var(&o.To, "to", 0, "end of the bundle (exclusive); the latest checkpoint's size when 0")
	fl.StringVar(&o.out, "out", "", "bundle file to write (.tar.zst); required")
	fl.StringVar(&o.key, "key", "", "verify the written bundle against this checkpoint key (or @FILE) before keeping it")
	fl.BoolVar(&o.Blobs, "blobs", false, "carry the blobs the entries name (needs a token with store:admin)")
	fl.BoolVar(&o.AllowMissing, "allow-missing", false, "with --blobs, list digests the store does not hold instead of refusing")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runBundleExport(ctx context.Context, w io.Writer, c *client.Client, o exportOptions) error {
	c4, err := c.BundleContents(ctx, o.BundleOptions)
	if err != nil {
		return exportFlagError(err)
	}
	hdr := c4.Header
	dir := filepath.Dir(o.out)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(o.out)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	bar := newProgress(int64(hdr.To-hdr.From), "export (entries)")
	progress := func(done, _ uint64) { bar.Set64(int64(done)) }
	if err := bundle.Write(tmp, c4, c.BundleEntries(ctx, hdr.From, hdr.To, progress), dir); err != nil {
		return exportFlagError(err)
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if o.key != "" {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if _, err := bundle.Verify(tmp, bundle.Options{Key: o.key}); err != nil {
			return fmt.Errorf("the written bundle does not verify: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), o.out); err != nil {
		return err
	}
	if err := durable.SyncDir(dir); err != nil {
		return err
	}
	fmt.Fprintf(w, "bundle of entries [%d, %d) of %s written to %s\n", hdr.From, hdr.To, hdr.Origin, o.out)
	return nil
}

// exportFlagError names the flag to change in the client's refusals of a
// bundle export.
func exportFlagError(err error) error {
	if r, ok := errors.AsType[*client.RangeError](err); ok {
		return fmt.Errorf("--from %d is beyond the checkpoint's size %d", r.From, r.Size)
	}
	if m, ok := errors.AsType[*client.MissingBlobsError](err); ok {
		return fmt.Errorf("%w; --allow-missing lists them in the bundle instead", m)
	}
	return err
}
