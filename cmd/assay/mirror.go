package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/internal/durable"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/verifier"
)

// mirrorOptions are the flags of assay mirror.
type mirrorOptions struct {
	data, origin, addr string
	interval           time.Duration
	once               bool
	blobs, missing     bool
	trust              trustFlags
	store              catalogFlags
	ledgerKey          ledgerKeyFlag
}

func newMirrorCmd() *cobra.Command {
	var f serverFlags
	var o mirrorOptions
	cmd := &cobra.Command{
		Use:   "mirror --server PRIMARY --token T --data DIR --origin MIRROR --key PRIMARY_KEY",
		Short: "Follow a primary server continuously into a verified, read-only mirror",
		Long: `Follow the primary at --server into the mirror ledger in --data, as repeated
bundle imports: every --interval it fetches the primary's checkpoint, checks
its signature with --key, and imports the entries the mirror lacks as a
bundle, which is verified before anything is written (the checkpoint, the
consistency proof from the mirror's own tree, every entry against the root)
and replayed through the same state machine, so the mirror's projections
equal the primary's at the same size. A primary whose tree shrank, or whose
history differs from what the mirror holds (a split view, another history
under the same key), stops the mirror with an error and writes nothing.

The token needs log:read and log:audit on the primary (entry bundles hold
every tenant's entries), and store:admin with --blobs, which also copies the
blobs the entries name into the mirror's store. The mirror ledger signs its
own checkpoints with the key in DIR/keys (assay keys generate --name
checkpoint --out DIR/keys --key-name MIRROR). With --addr it serves the log's
read routes (entries, proofs, tiles, history, the event stream) to the tokens
of DIR/tokens.json while it follows; writes are refused. --once imports what
is there and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			return runMirror(cmd.Context(), cmd.OutOrStdout(), c, o)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&o.data, "data", envOr("ASSAY_DATA", "./var"), "the mirror's data directory [ASSAY_DATA]")
	fl.StringVar(&o.origin, "origin", envOr("ASSAY_ORIGIN", ""), "the mirror's own checkpoint origin; required [ASSAY_ORIGIN]")
	fl.StringVar(&o.addr, "addr", "", "serve the mirror's read routes on this address while following (none when empty)")
	fl.DurationVar(&o.interval, "interval", 2*time.Second, "how often to ask the primary for a new checkpoint")
	fl.BoolVar(&o.once, "once", false, "import what the primary has now and exit")
	fl.BoolVar(&o.blobs, "blobs", false, "copy the blobs the entries name into the mirror's store (token scope store:admin)")
	fl.BoolVar(&o.missing, "allow-missing", false, "with --blobs, go on when the primary's store lacks a blob an entry names")
	o.trust.register(cmd)
	o.store.register(fl)
	o.ledgerKey.register(fl)
	cmd.MarkFlagRequired("origin")
	return cmd
}

func runMirror(ctx context.Context, w io.Writer, c *client.Client, o mirrorOptions) error {
	opts, err := o.trust.options()
	if err != nil {
		return err
	}
	d := dataDir(o.data)
	if err := o.store.checkStoreKey(d); err != nil {
		return err
	}
	key, err := o.ledgerKey.key()
	if err != nil {
		return err
	}
	signer, _, err := checkpointKey(d, o.origin, false)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	lg, err := ledger.Open(ledger.Config{Dir: d.ledger(), Origin: o.origin, Signer: signer, Logger: logger, Modules: domains.Modules(), EncryptionKey: key})
	if err != nil {
		return err
	}
	defer lg.Close()
	st, _, err := o.store.openStore(ctx, d)
	if err != nil {
		return err
	}
	if o.addr != "" {
		stop, err := serveMirror(ctx, w, lg, d, o.addr)
		if err != nil {
			return err
		}
		defer stop()
	}
	m := &mirror{c: c, lg: lg, st: st, opts: opts, dir: d.ledger(), state: d.mirrorCheckpoint(), blobs: client.BundleOptions{Blobs: o.blobs, AllowMissing: o.missing}, w: w}
	t := time.NewTicker(o.interval)
	defer t.Stop()
	for {
		err := m.catchUp(ctx)
		switch {
		case err == nil:
		case ctx.Err() != nil && !errors.Is(err, ErrPrimaryDiverged):
			return nil // stopped mid-way: what was imported is committed, the rest comes next time
		case o.once || errors.Is(err, ErrPrimaryDiverged):
			return err
		default: // the primary or the network failed: try again
			fmt.Fprintf(w, "mirror: %v; retrying in %v\n", err, o.interval)
		}
		if o.once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// serveMirror serves lg's read routes on addr until the returned stop.
func serveMirror(ctx context.Context, w io.Writer, lg *ledger.Log, d dataDir, addr string) (func(), error) {
	api, err := httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(d.tokens()), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second}
	hs.RegisterOnShutdown(api.CloseStreams)
	go hs.Serve(ln)
	fmt.Fprintf(w, "mirror serving on http://%s\n", ln.Addr())
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}, nil
}

// mirror is one follower of a primary.
type mirror struct {
	c     *client.Client
	lg    *ledger.Log
	st    cas.Store
	opts  bundle.Options
	dir   string
	state string // where the primary's checkpoint of the last import is kept
	blobs client.BundleOptions
	w     io.Writer
}

// ErrPrimaryDiverged: the primary's signed tree is not an extension of
// what the mirror holds.
var ErrPrimaryDiverged = errors.New("the primary's log is not the one this mirror follows")

// catchUp imports the entries the primary's latest checkpoint has beyond
// the mirror's tree, as one verified bundle.
func (m *mirror) catchUp(ctx context.Context) error {
	note, err := m.c.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("primary checkpoint: %w", err)
	}
	cp, err := verifier.OpenCheckpoint(note, m.opts.Key, m.opts.Origin)
	if err != nil {
		return fmt.Errorf("primary checkpoint: %w", err)
	}
	size, root := m.lg.Head()
	switch {
	case cp.Size < size:
		return fmt.Errorf("%w: rollback: the primary's tree has %d entries, the mirror %d", ErrPrimaryDiverged, cp.Size, size)
	case cp.Size == size && !bytes.Equal(cp.Root, root):
		return fmt.Errorf("%w: split view: size %d has root %x at the primary, %x here", ErrPrimaryDiverged, size, cp.Root, root)
	case cp.Size == size:
		return nil
	}
	o := m.blobs
	o.From, o.To = size, cp.Size
	c4, err := m.c.BundleContents(ctx, o)
	if err != nil {
		return exportFlagError(err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(m.dir), ".mirror-*.tar.zst")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := bundle.Write(tmp, c4, m.c.BundleEntries(ctx, o.From, o.To, nil), filepath.Dir(m.dir)); err != nil {
		return err
	}
	open := func() (io.ReadCloser, error) { return os.Open(tmp.Name()) }
	sink := func(d string, r io.Reader) error {
		want, err := cas.ParseDigest("sha256:" + d)
		if err == nil {
			_, err = m.st.Put(ctx, r, want)
		}
		return err
	}
	res, err := bundle.Import(ctx, open, m.lg, m.opts, sink)
	if err != nil {
		// The bundle was built from the primary's own answers: one that
		// does not verify against the mirror's tree is another history.
		return fmt.Errorf("%w: %w", ErrPrimaryDiverged, err)
	}
	if err := durable.WriteFile(m.state, c4.Checkpoint, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(m.w, "mirrored entries [%d, %d): %d entries, root %x\n", size, res.Size, res.Size, res.Root)
	return nil
}
