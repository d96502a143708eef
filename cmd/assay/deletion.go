package main

import (
	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"

	"context"
)

func newRetentionSweepCmd(f *serverFlags) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "sweep [--dry-run]",
		Short: "Announce packages newly eligible for deletion and purge deletions past their grace period",
		Long: `Logs retention.deletion_eligible once for each of the tenant's packages past its
expiry with no active hold, and purges (deletion.purged) the deletions whose grace
period is over. With --dry-run it changes nothing and prints what it would do,
with the bytes deleting every eligible package would free after deduplication.`,
		Args: cobra.NoArgs,
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.Sweep(ctx, dryRun)
		}),
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print what a sweep would do; change nothing")
	return cmd
}

func newRetentionDeleteCmd(f *serverFlags) *cobra.Command {
	var req wire.DeleteRequest
	cmd := &cobra.Command{
		Use:   "delete ID --reason TEXT",
		Short: "Delete package ID: its bytes go to the store's trash, restorable during the grace period",
		Long: `Deletes an expired package with no active hold (scope retention:delete); with
retention:admin also a governance-mode package before its expiry, never a
compliance-mode one. The package's metadata and log entries stay; its files
answer 410 Gone until it is restored.`,
		Args: cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.DeletePackage(ctx, args[0], req)
		}),
	}
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why (required; logged)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newRetentionRestoreCmd(f *serverFlags) *cobra.Command {
	var req wire.RestoreRequest
	cmd := &cobra.Command{
		Use:   "restore ID --reason TEXT",
		Short: "Bring deleted package ID's bytes back from the trash (before they are purged)",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.RestorePackage(ctx, args[0], req)
		}),
	}
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why (required; logged)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newRetentionPurgeCmd(f *serverFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "purge",
		Short: "Remove for good the trashed bytes of deletions past their grace period",
		Args:  cobra.NoArgs,
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.Purge(ctx)
		}),
	}
}
