// Command assay is the Assay server and its command-line client.
//
// Flags take their defaults from the environment: ASSAY_DATA (--data),
// ASSAY_ADDR (--addr), ASSAY_ORIGIN (--origin), ASSAY_SERVER (--server) and
// ASSAY_TOKEN (--token).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/wire"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "assay:", errorLine(err))
		os.Exit(1)
	}
}

// errorLine is the message of a failed command: the error, and when the
// server answered with a problem, the request id it gave, which finds the
// server's log lines about the request.
func errorLine(err error) string {
	if p, ok := errors.AsType[*wire.Problem](err); ok && p.RequestID != "" {
		return fmt.Sprintf("%v (request id %s)", err, p.RequestID)
	}
	return err.Error()
}

// newRootCmd builds the whole command tree; tests run it in-process.
func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "assay",
		Short:         "Append-only verifiable evidence ledger: server and client",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newKeysCmd(), newTokenCmd(), newLogCmd(), newExportCmd(), newAuditCmd(), newBundleCmd(), newPolicyCmd(), newIntakeCmd(), newPublishCmd(), newPullCmd())
	root.AddCommand(newPutCmd(), newGetCmd(), newPackageCmd(), newRetentionCmd(), newScrubCmd(),
		newPromoteCmd(), newPromotionCmd(), newPermitCmd(), newQuarantineCmd(), newStatusCmd(), newGoldenCmd(), newHistoryCmd(), newTimelineCmd(), newTailCmd(), newRunCmd(), newMirrorCmd(), newWhoAmICmd())
	return root
}

// envOr returns the environment variable name, or def when it is unset or
// empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
