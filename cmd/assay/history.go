package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
)

// historyOutput is how history and timeline commands print entries.
type historyOutput struct {
	json, ndjson bool
	max          int // entries in all, over as many pages as it takes
	desc         bool
}

func (o *historyOutput) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&o.json, "json", false, "print one JSON array of the entries")
	fl.BoolVar(&o.ndjson, "ndjson", false, "print one JSON entry per line")
	fl.IntVar(&o.max, "max", 100, "print at most this many entries (0: all), following pages")
	fl.BoolVar(&o.desc, "desc", false, "newest first")
}

// run prints the entries that fetch returns page after page.
func (o *historyOutput) run(ctx context.Context, w io.Writer, q url.Values, fetch func(url.Values) (*wire.HistoryPage, error)) error {
	if o.json && o.ndjson {
		return fmt.Errorf("--json and --ndjson: choose one")
	}
	if o.desc {
		q.Set("order", "desc")
	}
	var all []wire.HistoryEntry
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if !o.json && !o.ndjson {
		fmt.Fprintln(tw, "INDEX\tTIME\tTYPE\tACTOR\tTENANT")
	}
	enc := json.NewEncoder(w)
	for n := 0; ; {
		if o.max > 0 {
			q.Set("limit", strconv.Itoa(min(o.max-n, 1000)))
		}
		page, err := fetch(q)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			switch {
			case o.json:
				all = append(all, e)
			case o.ndjson:
				if err := enc.Encode(e); err != nil {
					return err
				}
			default:
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Index, e.Time.UTC().Format(time.RFC3339), e.Type, e.Actor, e.Tenant)
			}
		}
		n += len(page.Entries)
		if page.NextCursor == "" || o.max > 0 && n >= o.max || ctx.Err() != nil {
			break
		}
		q.Set("cursor", page.NextCursor)
	}
	if o.json {
		if all == nil {
			all = []wire.HistoryEntry{}
		}
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	if o.ndjson {
		return nil
	}
	return tw.Flush()
}

func newHistoryCmd() *cobra.Command {
	var (
		f     serverFlags
		out   historyOutput
		types []string
		flt   = map[string]*string{}
	)
	cmd := &cobra.Command{
		Use:   "history [filters]",
		Short: "Query the log's history by type, actor, object, digest, package, run or time",
		Long: `Print the entries of the log that match every filter given, in ledger order
(--desc: newest first), as a table or as JSON. A tenant's token sees its own
entries and the system's; a token with scope log:audit sees every tenant's, or
the one --tenant names. --type takes an exact type or a family such as
promotion.*, and may be repeated (any of them matches). --key-prefix needs
--zone. Times are RFC 3339. Needs scope log:read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			q := url.Values{"type": types}
			for name, v := range flt {
				if *v != "" {
					q.Set(name, *v)
				}
			}
			return out.run(cmd.Context(), cmd.OutOrStdout(), q, func(q url.Values) (*wire.HistoryPage, error) {
				return c.History(cmd.Context(), q)
			})
		},
	}
	f.register(cmd)
	out.register(cmd)
	fl := cmd.Flags()
	fl.StringArrayVar(&types, "type", nil, "entry type or FAMILY.* (repeatable)")
	for _, p := range []struct{ flag, param, usage string }{
		{"actor", "actor", "who appended the entry (a token's name)"},
		{"zone", "zone", "entries touching objects of this zone (raw, quarantine, golden, archive)"},
		{"key-prefix", "key_prefix", "entries touching objects whose key starts with this (needs --zone)"},
		{"digest", "digest", "entries naming this sha256:<hex> digest"},
		{"package", "package", "entries of this package id"},
		{"run-id", "run_id", "entries of this producer run"},
		{"since", "since", "entries at or after this RFC 3339 time"},
		{"until", "until", "entries at or before this RFC 3339 time"},
		{"tenant", "tenant", "entries of this tenant only (another tenant's needs log:audit)"},
	} {
		flt[p.param] = fl.String(p.flag, "", p.usage)
	}
	return cmd
}

func newTimelineCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "timeline",
		Short: "Print every entry touching an artifact or a package, in order",
	}
	f.register(cmd)
	mk := func(use, short string, fetch func(c *client.Client, ctx context.Context, arg string, q url.Values) (*wire.HistoryPage, error)) *cobra.Command {
		var o historyOutput
		sub := &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := f.client()
				if err != nil {
					return err
				}
				return o.run(cmd.Context(), cmd.OutOrStdout(), url.Values{}, func(q url.Values) (*wire.HistoryPage, error) {
					return fetch(c, cmd.Context(), args[0], q)
				})
			}}
		o.register(sub)
		return sub
	}
	cmd.AddCommand(
		mk("artifact DIGEST", "Landing, reads, promotions, exports and deletions of an artifact, and the retention of the packages holding it (scope log:read)",
			func(c *client.Client, ctx context.Context, d string, q url.Values) (*wire.HistoryPage, error) {
				return c.ArtifactTimeline(ctx, d, q)
			}),
		mk("package ID", "Creation, files, reads, retention and deletion of a package (scope packages:read)",
			func(c *client.Client, ctx context.Context, id string, q url.Values) (*wire.HistoryPage, error) {
				return c.PackageTimeline(ctx, id, q)
			}))
	return cmd
}
