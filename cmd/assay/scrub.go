package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
)

// scrubTimeout bounds a scrub request; a scrub re-reads every blob.
const scrubTimeout = 24 * time.Hour

func newScrubCmd() *cobra.Command {
	var f serverFlags
	var full bool
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
	return cmd
}
