package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
)

func newWhoAmICmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the name, tenant and scopes of the token (--token or ASSAY_TOKEN)",
		Long: `Ask the server who the token is: its name (the actor of the entries it
causes), its tenant (what job exports send in X-Tenant-Id) and its scopes
("*" for all). Any valid token may ask; a wrong, expired or revoked one gets
a 401 problem.`,
		Args: cobra.NoArgs,
		RunE: f.printing(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			return c.WhoAmI(ctx)
		}),
	}
	f.register(cmd)
	return cmd
}
