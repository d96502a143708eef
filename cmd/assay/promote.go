package main

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
)

func newPromoteCmd() *cobra.Command {
	var f serverFlags
	var tier, permission string
	cmd := &cobra.Command{
		Use:   "promote SRC DST --tier basic|signed|masked [--permission ID]",
		Short: "Verify raw objects and promote them to golden (or quarantine them); print the outcome of each",
		Long: `Ask the server to promote SRC (raw/KEY or raw/PREFIX/) to DST (golden/PREFIX/).
The server re-reads and hashes every object's stored bytes and compares the
digest with the one recorded at landing (tier basic); tier signed also needs
a verification-proof.json under SRC: a DSSE envelope over an in-toto Statement
v1, signed by a key the server trusts (serve --promotion-trust), listing each
object's sha256. Tier masked (serve --mask-rules) is signed, and each object
reaches golden as a masked copy (a new blob; raw keeps its bytes). Objects that
pass go to golden (the same blob, no copy, unless masked); the others to
quarantine, for review (assay quarantine). Every check and outcome
is an entry in the log. The command prints the promotion with each object's
outcome. --permission links the promotion to a permission from assay permit
(every object is verified all the same).`,
		Args: cobra.ExactArgs(2),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.Promote(ctx, wire.PromotionRequest{Source: args[0], Destination: args[1], Tier: tier, PermissionID: permission})
		}),
	}
	f.register(cmd)
	cmd.Flags().StringVar(&tier, "tier", promotion.TierBasic, "verification tier: basic, signed or masked")
	cmd.Flags().StringVar(&permission, "permission", "", "the permission id (from assay permit) the promotion is linked to")
	return cmd
}

func newQuarantineCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "quarantine",
		Short: "List quarantined objects; approve (promote to golden) or reject them",
		Long: `Review what the promotion gate quarantined. Approving places the object in
golden at the key its promotion gave it; rejecting keeps it out for good. Each
decision is an entry (quarantine.approved, quarantine.rejected) with the
reviewer and a reason code. The reviewer may not be the producer who landed
the object unless the server runs with --promotion-allow-self-review. Needs
scope promotions:review.`,
	}
	f.register(cmd)
	cmd.AddCommand(newQuarantineListCmd(&f), newQuarantineDecideCmd(&f, "approve"), newQuarantineDecideCmd(&f, "reject"))
	return cmd
}

func newQuarantineListCmd(f *serverFlags) *cobra.Command {
	var prefix, status, cursor, limit string
	cmd := &cobra.Command{
		Use:   "list [--prefix P] [--status pending|approved|rejected]",
		Short: "List quarantined objects (one page; next_cursor continues)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			q := url.Values{}
			for k, v := range map[string]string{"prefix": prefix, "status": status, "cursor": cursor, "limit": limit} {
				if v != "" {
					q.Set(k, v)
				}
			}
			page, err := c.Quarantine(cmd.Context(), q)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), page)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&prefix, "prefix", "", "only keys (the golden keys they would get) starting with this")
	fl.StringVar(&status, "status", "", "only items of this status: pending, approved or rejected")
	fl.StringVar(&cursor, "cursor", "", "continue after this cursor")
	fl.StringVar(&limit, "limit", "", "page size (1 to 1000)")
	return cmd
}

func newQuarantineDecideCmd(f *serverFlags, verb string) *cobra.Command {
	var reason string
	short := "Promote quarantined item ID to golden and print it"
	if verb == "reject" {
		short = "Reject quarantined item ID for good and print it"
	}
	cmd := &cobra.Command{
		Use:   verb + " ID --reason CODE",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			decide := c.ApproveQuarantine
			if verb == "reject" {
				decide = c.RejectQuarantine
			}
			it, err := decide(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), it)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "reason code, such as false-positive or confirmed-tampering (required; logged)")
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}
