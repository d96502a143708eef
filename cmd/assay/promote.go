package main

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
)

func newPromoteCmd() *cobra.Command {
	var f serverFlags
	var tier, permission string
	var wait bool
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "promote SRC DST --tier basic|signed|masked [--permission ID] [--wait]",
		Short: "Request a promotion of raw objects to golden (or quarantine); --wait follows it to the end",
		Long: `Ask the server to promote SRC (raw/KEY or raw/PREFIX/) to DST (golden/PREFIX/).
The server answers at once (202) with the promotion's id, status requested,
and decides its objects in the background, in key order: it re-reads and
hashes every object's stored bytes and compares the digest with the one
recorded at landing (tier basic); tier signed also needs a
verification-proof.json under SRC: a DSSE envelope over an in-toto Statement
v1, signed by a key the server trusts (serve --promotion-trust), listing each
object's sha256. Tier masked (serve --mask-rules) is signed, and each object
reaches golden as a masked copy (a new blob; raw keeps its bytes). Objects
that pass go to golden (the same blob, no copy, unless masked); the others to
quarantine, for review (assay quarantine). Every check and outcome is an
entry in the log. --permission links the promotion to a permission from
assay permit (every object is verified all the same).

Without --wait the command prints the requested promotion (follow it with
assay promotion show ID). With --wait it polls the promotion until it is
finished, with a progress bar of the objects decided on stderr (when stderr
is a terminal), prints the finished promotion, and exits non-zero when any
object was quarantined (status failed).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			v, err := c.Promote(cmd.Context(), wire.PromotionRequest{Source: args[0], Destination: args[1], Tier: tier,
				PermissionID: permission})
			if err == nil && wait {
				v, err = waitPromotion(cmd.Context(), c, v.ID, poll)
			}
			if err != nil {
				return err
			}
			if err := printJSON(cmd.OutOrStdout(), v); err != nil {
				return err
			}
			if wait && (v.Status != promotion.StatusCompleted || v.Quarantined > 0) {
				return fmt.Errorf("promotion %s is %s: %d of %d objects quarantined", v.ID, v.Status, v.Quarantined, v.Checked)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&tier, "tier", promotion.TierBasic, "verification tier: basic, signed or masked")
	cmd.Flags().StringVar(&permission, "permission", "", "the permission id (from assay permit) the promotion is linked to")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the promotion is finished, showing its progress; exit non-zero if any object was quarantined")
	cmd.Flags().DurationVar(&poll, "poll", time.Second, "with --wait, how often to ask the server for the promotion's progress")
	return cmd
}

// waitPromotion polls promotion id every interval until it is finished,
// advancing a progress bar (objects decided) on stderr.
func waitPromotion(ctx context.Context, c *client.Client, id string, interval time.Duration) (wire.PromotionView, error) {
	bar := newCountProgress("promotion " + id + " (objects decided)")
	defer bar.Close()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		v, err := c.Promotion(ctx, id)
		if err != nil {
			return v, err
		}
		_ = bar.Set(v.Promoted + v.Quarantined)
		if v.Status == promotion.StatusCompleted || v.Status == promotion.StatusFailed {
			_ = bar.Finish()
			return v, nil
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-t.C:
		}
	}
}

func newPromotionCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "promotion",
		Short: "List and show promotions; retry the quarantined objects of a finished one",
	}
	f.register(cmd)
	var cursor string
	show := &cobra.Command{
		Use:   "show ID [--cursor C]",
		Short: "Print promotion ID (status requested, running, completed or failed; counts) with a page of its objects",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			if cursor != "" {
				return c.PromotionPage(ctx, args[0], cursor)
			}
			return c.Promotion(ctx, args[0])
		}),
	}
	show.Flags().StringVar(&cursor, "cursor", "", "continue the object list after this cursor")
	retry := &cobra.Command{
		Use:   "retry ID",
		Short: "Check again, as a new promotion, the objects finished promotion ID quarantined that still await review (scope promotions:review)",
		Long: `Request a new attempt over the objects that finished promotion ID placed in
quarantine and that no reviewer has decided yet: after re-landing fixed bytes
or a fixed verification-proof.json in raw, say. The attempt is a new
promotion (promotion.requested with retry_of); each retried quarantine item
becomes "retried" when the attempt checks its object, and the attempt's own
outcome stands. Prints the new promotion, requested.`,
		Args: cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.RetryPromotion(ctx, args[0])
		}),
	}
	var status, prefix, listCursor, limit string
	list := &cobra.Command{
		Use:   "list [--status S] [--prefix P]",
		Short: "List your promotions, oldest first (one page; next_cursor continues)",
		Args:  cobra.NoArgs,
		RunE: f.printing(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Promotions(ctx, queryOf(map[string]string{"status": status, "prefix": prefix, "cursor": listCursor, "limit": limit}))
		}),
	}
	list.Flags().StringVar(&status, "status", "", "only promotions of this status: requested, running, completed or failed")
	list.Flags().StringVar(&prefix, "prefix", "", "only promotions whose source lies under, or holds, this raw key prefix")
	list.Flags().StringVar(&listCursor, "cursor", "", "continue after this cursor")
	list.Flags().StringVar(&limit, "limit", "", "page size (1 to 1000)")
	cmd.AddCommand(show, retry, list)
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
	var prefix, status, tier, reason, cursor, limit string
	cmd := &cobra.Command{
		Use:   "list [--prefix P] [--status S] [--tier T] [--reason CODE]",
		Short: "List quarantined objects (one page; next_cursor continues)",
		Args:  cobra.NoArgs,
		RunE: f.printing(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.Quarantine(ctx, queryOf(map[string]string{"prefix": prefix, "status": status, "tier": tier, "reason": reason,
				"cursor": cursor, "limit": limit}))
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&prefix, "prefix", "", "only keys (the golden keys they would get) starting with this")
	fl.StringVar(&status, "status", "", "only items of this status: pending, approved, rejected or retried")
	fl.StringVar(&tier, "tier", "", "only items of promotions of this tier: basic, signed or masked")
	fl.StringVar(&reason, "reason", "", "only items quarantined for this reason code (digest-mismatch, proof-missing, ...)")
	fl.StringVar(&cursor, "cursor", "", "continue after this cursor")
	fl.StringVar(&limit, "limit", "", "page size (1 to 1000)")
	return cmd
}

// queryOf is the query of the non-empty values of m.
func queryOf(m map[string]string) url.Values {
	q := url.Values{}
	for k, v := range m {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
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
