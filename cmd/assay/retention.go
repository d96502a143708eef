package main

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
)

func newRetentionCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "Show and extend packages' retention; apply and release legal holds; delete, restore, purge",
		Long: `Read and change the retention of packages. Every change is an entry in the log
(retention.extended, retention.hold_applied, retention.hold_released,
retention.deletion_eligible, deletion.*) with its actor, reason and the policy in
force. An expiry only ever moves later; a package with an active hold is never
eligible for deletion and never deleted. A deleted package's bytes wait in the
store's trash for the grace period (serve --deletion-grace), restorable, then a
purge removes them.`,
	}
	f.register(cmd)
	cmd.AddCommand(newRetentionShowCmd(&f), newRetentionExtendCmd(&f), newRetentionHoldCmd(&f),
		newRetentionReleaseCmd(&f), newRetentionEligibleCmd(&f), newRetentionSweepCmd(&f), newRetentionDeleteCmd(&f),
		newRetentionRestoreCmd(&f), newRetentionPurgeCmd(&f))
	return cmd
}

func newRetentionShowCmd(f *serverFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Print package ID's retention: class, mode, expiry, holds and every retention event",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.Retention(ctx, args[0])
		}),
	}
}

func newRetentionExtendCmd(f *serverFlags) *cobra.Command {
	var req wire.ExtendRetentionRequest
	cmd := &cobra.Command{
		Use:   "extend ID (--expires-at TIME | --duration PERIOD) --reason TEXT",
		Short: "Move package ID's expiry later and print the logged event",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.ExtendRetention(ctx, args[0], req)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&req.ExpiresAt, "expires-at", "", "new expiry, RFC 3339 (such as 2030-01-31T00:00:00Z)")
	fl.StringVar(&req.Duration, "duration", "", "period to add to the expiry in force: Nd or Ny (such as 30d)")
	fl.StringVar(&req.Reason, "reason", "", "why (required; logged)")
	cmd.MarkFlagsMutuallyExclusive("expires-at", "duration")
	cmd.MarkFlagsOneRequired("expires-at", "duration")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newRetentionHoldCmd(f *serverFlags) *cobra.Command {
	var req wire.HoldRequest
	cmd := &cobra.Command{
		Use:   "hold ID --reason TEXT [--case-ref REF]",
		Short: "Put a legal hold on package ID and print it (its id is .hold_id)",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.ApplyHold(ctx, args[0], req)
		}),
	}
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why (required; logged)")
	cmd.Flags().StringVar(&req.CaseRef, "case-ref", "", "reference of the legal case")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newRetentionReleaseCmd(f *serverFlags) *cobra.Command {
	var req wire.ReleaseHoldRequest
	cmd := &cobra.Command{
		Use:   "release ID HOLD_ID --reason TEXT",
		Short: "Release legal hold HOLD_ID of package ID and print it",
		Args:  cobra.ExactArgs(2),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.ReleaseHold(ctx, args[0], args[1], req)
		}),
	}
	cmd.Flags().StringVar(&req.Reason, "reason", "", "why (required; logged)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

func newRetentionEligibleCmd(f *serverFlags) *cobra.Command {
	var cursor, limit string
	cmd := &cobra.Command{
		Use:   "eligible",
		Short: "List packages past their expiry with no active hold (one page; next_cursor continues)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"cursor": cursor, "limit": limit} {
				if v != "" {
					q.Set(k, v)
				}
			}
			page, err := c.Eligible(cmd.Context(), q)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), page)
		},
	}
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue after this cursor")
	cmd.Flags().StringVar(&limit, "limit", "", "page size (1 to 1000)")
	return cmd
}
