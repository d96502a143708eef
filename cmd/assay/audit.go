package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/internal/durable"
	"github.com/assay-ledger/assay/verifier"
)

type auditOptions struct {
	key, origin, state string
	entries            bool
	tiles              string // base URL of a published copy of the tiles
}

func newAuditCmd() *cobra.Command {
	var f serverFlags
	var o auditOptions
	var witnesses witnessRequirement
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Follow a log: verify it only grew append-only since the last audit",
		Long: `Fetch the server's latest checkpoint, check its signature with the trusted key
and prove it consistent with the checkpoint verified last time, kept in --state
(the first run trusts the server's current tree, on first use). With --entries,
also fetch every new entry from the tlog-tiles API and recompute the tree over
them; entry bundles hold every tenant's entries, so that needs a token with the
auditor scope log:audit (log:read is enough without it). A split view (another root for a verified size), a rollback or a rewritten
history exits non-zero and leaves --state as it was; success saves the new
checkpoint there.

With --tiles URL it follows a published copy of the log instead (serve
--publish, behind any static HTTP server or CDN), with no server and no
token: the checkpoint at URL/checkpoint, the consistency proof computed from
the hash tiles at URL/tile/..., and every hash tile holding a new leaf, each
checked against the checkpoint's root.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.key, err = readKeyArg(o.key); err != nil {
				return err
			}
			if o.tiles != "" {
				if o.entries {
					return errors.New("--entries reads entry bundles from a server; --tiles verifies the published hash tiles")
				}
				if len(witnesses.keys) > 0 {
					return errors.New("--witness needs a server: the checkpoint serve --publish writes to a bucket carries no cosignatures")
				}
				return runTileAudit(cmd.Context(), cmd.OutOrStdout(), &client.TileAuditor{BaseURL: o.tiles, Key: o.key, Origin: o.origin}, o)
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			a := &client.Auditor{Client: c, Key: o.key, Origin: o.origin}
			if a.Witnesses, err = witnesses.value(); err != nil {
				return err
			}
			return runAudit(cmd.Context(), cmd.OutOrStdout(), a, o)
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	witnesses.register(fl)
	fl.StringVar(&o.key, "key", "", "trusted checkpoint verifier key, or @FILE holding it; required")
	fl.StringVar(&o.origin, "origin", envOr("ASSAY_ORIGIN", ""), "expected checkpoint origin; any when empty [ASSAY_ORIGIN]")
	fl.StringVar(&o.state, "state", "", "file keeping the last verified checkpoint; required")
	fl.BoolVar(&o.entries, "entries", false, "recompute the tree over every new entry from the tiles")
	fl.StringVar(&o.tiles, "tiles", "", "follow a published copy of the log (serve --publish) at this URL instead of a server: no token; every new hash tile is checked against the checkpoint")
	cmd.MarkFlagRequired("key")
	cmd.MarkFlagRequired("state")
	return cmd
}

// runTileAudit is runAudit over a published copy of the tiles.
func runTileAudit(ctx context.Context, w io.Writer, a *client.TileAuditor, o auditOptions) error {
	prev, err := loadAuditState(o.state, a.Key, a.Origin)
	if err != nil {
		return err
	}
	cp, note, rep, err := a.Follow(ctx, prev)
	if err != nil {
		return fmt.Errorf("audit failed: %w", err)
	}
	if err := durable.WriteFile(o.state, note, 0o644); err != nil {
		return fmt.Errorf("save audit state: %w", err)
	}
	fmt.Fprintf(w, "log %s consistent from size %d to %d (root %x); %d new leaf hashes checked in the published tiles\n", cp.Origin, rep.From, rep.To,
		cp.Root, rep.Recomputed)
	return nil
}

func runAudit(ctx context.Context, w io.Writer, a *client.Auditor, o auditOptions) error {
	prev, err := loadAuditState(o.state, a.Key, a.Origin)
	if err != nil {
		return err
	}
	cp, rep, err := a.Follow(ctx, prev, o.entries)
	if err != nil {
		return fmt.Errorf("audit failed: %w", err)
	}
	note, err := a.Client.CheckpointAt(ctx, cp.Size)
	if err != nil {
		return err
	}
	if err := durable.WriteFile(o.state, note, 0o644); err != nil {
		return fmt.Errorf("save audit state: %w", err)
	}
	fmt.Fprintf(w, "log %s consistent from size %d to %d (root %x)", cp.Origin, rep.From, rep.To, cp.Root)
	if o.entries {
		fmt.Fprintf(w, "; %d new entries recomputed", rep.Recomputed)
	}
	fmt.Fprintln(w)
	return nil
}

// loadAuditState reads the last verified checkpoint (a signed note), or nil
// when the state file does not exist yet. It checks the signature again, so a
// state file edited by hand is refused.
func loadAuditState(path, key, origin string) (*verifier.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cp, err := verifier.OpenCheckpoint(b, key, origin)
	if err != nil {
		return nil, fmt.Errorf("audit state %s: %w", path, err)
	}
	return &cp, nil
}
