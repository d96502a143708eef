package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
)

// scrubTimeout bounds a scrub request; a scrub re-reads every blob.
const scrubTimeout = 24 * time.Hour

func newScrubCmd() *cobra.Command {
	var f serverFlags
	var full, external bool
	cmd := &cobra.Command{
		Use:   "scrub",
		Short: "Re-read every blob the catalog references and check it (needs scope store:admin)",
		Long: `Ask the server to re-read every blob its catalog references and check its size and
BLAKE3 (and with --full its sha256) against what was recorded. Missing and damaged
blobs are logged as scrub.finding entries and listed; the command fails when any
blob is not intact.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.token == "" {
				return fmt.Errorf("no token: pass --token or set ASSAY_TOKEN")
			}
			c, err := client.New(f.server, f.token, &http.Client{Timeout: scrubTimeout})
			if err != nil {
				return err
			}
			if external {
				return runIntakeScrub(cmd.Context(), cmd.OutOrStdout(), c)
			}
			rep, err := c.Scrub(cmd.Context(), full)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "checked %d blobs: %d corrupt, %d missing, %d unreadable\n", rep.Checked, rep.Corrupt, rep.Missing, rep.Failed)
			for _, p := range rep.Findings {
				fmt.Fprintf(out, "%s %s: %s\n", p.Problem, p.Digest, p.Detail)
			}
			if n := rep.Corrupt + rep.Missing + rep.Failed; n > 0 {
				return fmt.Errorf("scrub found %d blobs not intact", n)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&full, "full", false, "also recompute each blob's sha256")
	cmd.Flags().BoolVar(&external, "external", false, "instead, re-read every object version bucket intake recorded from its bucket (serve --intake) and record an object.drift entry for each whose bytes changed or that is gone")
	return cmd
}

// runIntakeScrub prints what POST /v1/intake/scrub found, failing when an
// external object drifted.
func runIntakeScrub(ctx context.Context, w io.Writer, c *client.Client) error {
	rep, err := c.IntakeScrub(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "checked %d external object versions: %d drifted\n", rep.Checked, len(rep.Drifted))
	for _, d := range rep.Drifted {
		found := d.FoundDigest
		if found == "" {
			found = "nothing"
		}
		fmt.Fprintf(w, "%s %s version %s: recorded %s (entry %d), found %s\n", d.Problem, d.URL, d.VersionID, d.RecordedDigest, d.PutIndex, found)
	}
	if n := len(rep.Drifted); n > 0 {
		return fmt.Errorf("%d external object versions drifted", n)
	}
	return nil
}
