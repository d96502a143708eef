package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/runlog"
)

func newRunCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Send, seal and follow a run's log",
		Long: `A producer sends its run's log lines while the run goes on (assay run append),
followers read them live (assay run log), and closing the run (assay run close)
seals the log as the raw object runs/RUN_ID/log.ndjson, which a job export's
logsPath names as cas://runs/RUN_ID/log.ndjson. RUN_ID is the run's lowercase
UUID (the export's runId).`,
	}
	f.register(cmd)
	cmd.AddCommand(newRunLogCmd(&f), newRunAppendCmd(&f), newRunCloseCmd(&f))
	return cmd
}

func newRunLogCmd(f *serverFlags) *cobra.Command {
	var (
		after    uint64
		noFollow bool
		ndjson   bool
		retry    time.Duration
	)
	cmd := &cobra.Command{
		Use:   "log RUN_ID [--after N] [--no-follow] [--ndjson]",
		Short: "Print a run's log, following new lines until the run is closed",
		Long: `Print the lines of run RUN_ID's log after line --after (from the first by
default), one per line (time, phase, level, message; --ndjson: each line as
JSON), then each new line as the producer sends it, until the run is closed:
then it prints the final status and the sealed log's digest on stderr. When
the connection drops, it reconnects after --retry from the last line printed,
so nothing is missed or printed twice. --no-follow stops at the lines the log
holds now. Needs scope runs:read.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.token == "" {
				return fmt.Errorf("no token: pass --token or set ASSAY_TOKEN")
			}
			c, err := client.New(f.server, f.token, &http.Client{}) // no timeout: the stream is long-lived
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			enc := json.NewEncoder(w)
			done, err := c.FollowRunLog(cmd.Context(), args[0], after, !noFollow, retry, func(l runlog.Line) error {
				if ndjson {
					return enc.Encode(l)
				}
				_, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", l.Time.UTC().Format(time.RFC3339Nano), l.Phase, l.Level, l.Message)
				return err
			})
			if err != nil {
				return err
			}
			if done != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "run %s %s: %d lines sealed as %s (%s, entry %d)\n", done.RunID, done.Status, done.Lines, done.URI,
					done.Digest, done.SealedIndex)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&after, "after", 0, "start after this line number")
	fl.BoolVar(&noFollow, "no-follow", false, "stop at the lines the log holds now")
	fl.BoolVar(&ndjson, "ndjson", false, "print each line as one JSON object")
	fl.DurationVar(&retry, "retry", 2*time.Second, "wait this long before reconnecting")
	return cmd
}

func newRunAppendCmd(f *serverFlags) *cobra.Command {
	var phase, level string
	var cmd *cobra.Command
	cmd = &cobra.Command{
		Use:   "append RUN_ID [MESSAGE] [--phase P] [--level L]",
		Short: "Send log lines of a run: MESSAGE, or each line of stdin",
		Long: `Send MESSAGE, or else each line read from stdin (up to 1000 lines per request),
as lines of run RUN_ID's log with --phase and --level, stamped with the
server's clock. Prints the run after the last request. Needs scope runs:write.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			line := func(msg string) wire.RunLogLine { return wire.RunLogLine{Phase: phase, Level: level, Message: msg} }
			if len(args) == 2 {
				return c.AppendRunLog(ctx, args[0], []wire.RunLogLine{line(args[1])})
			}
			return appendStdin(ctx, c, args[0], cmd.InOrStdin(), line)
		}),
	}
	cmd.Flags().StringVar(&phase, "phase", "run", "the lines' phase")
	cmd.Flags().StringVar(&level, "level", "info", "the lines' level: "+fmt.Sprint(runlog.Levels))
	return cmd
}

// appendStdin sends the lines of r in batches of at most
// runlog.MaxLinesPerAppend; the last run, or an error if r holds no line.
func appendStdin(ctx context.Context, c *client.Client, runID string, r io.Reader, line func(string) wire.RunLogLine) (any, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), runlog.MaxMessage+1)
	var (
		batch []wire.RunLogLine
		last  *runlog.Run
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		run, err := c.AppendRunLog(ctx, runID, batch)
		batch, last = batch[:0], &run
		return err
	}
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		if batch = append(batch, line(sc.Text())); len(batch) == runlog.MaxLinesPerAppend {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if last == nil {
		return nil, fmt.Errorf("no line on stdin")
	}
	return last, nil
}

func newRunCloseCmd(f *serverFlags) *cobra.Command {
	var status string
	cmd := &cobra.Command{
		Use:   "close RUN_ID --status succeeded|failed|canceled",
		Short: "Seal a run's log with the run's final status; print the sealed run (digest, raw key)",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.CloseRunLog(ctx, args[0], status)
		}),
	}
	cmd.Flags().StringVar(&status, "status", "", "the run's final status: succeeded, failed or canceled")
	return cmd
}
