package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

// historyFilters are the filter flags of assay history and assay tail.
type historyFilters struct {
	types []string
	flt   map[string]*string
}

func (h *historyFilters) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringArrayVar(&h.types, "type", nil, "entry type or FAMILY.* (repeatable)")
	h.flt = map[string]*string{}
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
		h.flt[p.param] = fl.String(p.flag, "", p.usage)
	}
}

// query is the filters as query parameters.
func (h *historyFilters) query() url.Values {
	q := url.Values{}
	if len(h.types) > 0 {
		q["type"] = h.types
	}
	for name, v := range h.flt {
		if *v != "" {
			q.Set(name, *v)
		}
	}
	return q
}

func newHistoryCmd() *cobra.Command {
	var (
		f   serverFlags
		out historyOutput
		h   historyFilters
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
			return out.run(cmd.Context(), cmd.OutOrStdout(), h.query(), func(q url.Values) (*wire.HistoryPage, error) {
				return c.History(cmd.Context(), q)
			})
		},
	}
	f.register(cmd)
	out.register(cmd)
	h.register(cmd)
	return cmd
}

func newTailCmd() *cobra.Command {
	var (
		f        serverFlags
		h        historyFilters
		from     int64
		noFollow bool
		ndjson   bool
		retry    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "tail [filters]",
		Short: "Follow the log's live event stream, resuming after a disconnect",
		Long: `Print each new entry of the log that matches the filters (those of assay
history) as it is appended, one line each (--ndjson: the entry as JSON). With
--from N it first replays every matching entry after index N. When the
connection drops or the server cuts the stream off, it reconnects after
--retry from the last entry printed, so nothing is missed or printed twice.
--no-follow stops at the head of the log. Needs scope log:read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.token == "" {
				return fmt.Errorf("no token: pass --token or set ASSAY_TOKEN")
			}
			c, err := client.New(f.server, f.token, &http.Client{}) // no timeout: the stream is long-lived
			if err != nil {
				return err
			}
			q := h.query()
			if noFollow {
				q.Set("follow", "false")
			}
			var after *uint64
			if from >= 0 {
				u := uint64(from)
				after = &u
			}
			w := cmd.OutOrStdout()
			enc := json.NewEncoder(w)
			return c.Follow(cmd.Context(), q, after, retry, func(e wire.HistoryEntry) error {
				if ndjson {
					return enc.Encode(e)
				}
				_, err := fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", e.Index, e.Time.UTC().Format(time.RFC3339), e.Type, e.Actor, e.Tenant)
				return err
			})
		},
	}
	f.register(cmd)
	h.register(cmd)
	fl := cmd.Flags()
	fl.Int64Var(&from, "from", -1, "replay the entries after this ledger index first (default: only new entries)")
	fl.BoolVar(&noFollow, "no-follow", false, "stop at the head of the log")
	fl.BoolVar(&ndjson, "ndjson", false, "print each entry as one JSON line")
	fl.DurationVar(&retry, "retry", 2*time.Second, "wait this long before reconnecting")
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
