package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
)

func newStatusCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "status ZONE/KEY",
		Short: "Show where an object stands (landed, verified, promoted, quarantined, rejected) with the ledger index of each step",
		Long: `Print the status of the object KEY in ZONE (raw, golden, quarantine or archive):
its current version and landing metadata, the promotion gate's steps about it
(for an object of golden or quarantine, those of the raw object it came from),
each with the index of its entry in the log, and the state the latest step
leaves it in. A raw object with a newer version than the steps is "landed"
again. Needs scope objects:read.`,
		Args: cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			zone, key, ok := strings.Cut(args[0], "/")
			if !ok || zone == "" || key == "" {
				return nil, fmt.Errorf("%q: want ZONE/KEY, such as raw/incoming/run-7/report.json", args[0])
			}
			return c.ObjectStatus(ctx, zone, key)
		}),
	}
	f.register(cmd)
	return cmd
}

func newGoldenCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "golden",
		Short: "List curated objects of zone golden with their verification",
	}
	f.register(cmd)
	var prefix, cursor, limit string
	ls := &cobra.Command{
		Use:   "ls [--prefix P]",
		Short: "List golden objects with their verification status and proof reference (one page; next_cursor continues)",
		Long: `List the caller's objects of zone golden whose keys start with --prefix, each
with how it got there: status verified (its check passed) or approved (a
reviewer approved it from quarantine), the tier, the verification proof's key
and digest, its raw source and the ledger indexes of the decision and the
approval. The answer also names the golden layout the server enforces
(serve --golden-layout). Needs scope objects:read.`,
		Args: cobra.NoArgs,
		RunE: f.printing(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			q := url.Values{}
			for k, v := range map[string]string{"prefix": prefix, "cursor": cursor, "limit": limit} {
				if v != "" {
					q.Set(k, v)
				}
			}
			return c.Golden(ctx, q)
		}),
	}
	fl := ls.Flags()
	fl.StringVar(&prefix, "prefix", "", "only golden keys starting with this, such as incoming/")
	fl.StringVar(&cursor, "cursor", "", "continue after this cursor")
	fl.StringVar(&limit, "limit", "", "page size (1 to 1000)")
	cmd.AddCommand(ls)
	return cmd
}
