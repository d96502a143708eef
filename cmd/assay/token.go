package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi"
)

func newTokenCmd() *cobra.Command {
	tok := &cobra.Command{Use: "token", Short: "Manage API bearer tokens"}
	tok.AddCommand(newTokenCreateCmd())
	return tok
}

func newTokenCreateCmd() *cobra.Command {
	var data string
	var id httpapi.Identity
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a bearer token and print it once",
		Long: `Create a bearer token for the server whose data directory is --data. Only the
token's SHA-256 hash is stored (in DATA/tokens.json, mode 0600), with its name,
tenant and scopes; the token itself is printed once and cannot be shown again.
A running server picks the new token up at once.

Scopes: "*" (all), log:read, metrics:read, and those of later routes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(data, 0o700); err != nil {
				return err
			}
			tok, err := httpapi.CreateToken(dataDir(data).tokens(), id, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", envOr("ASSAY_DATA", "./var"), "data directory [ASSAY_DATA]")
	cmd.Flags().StringVar(&id.Name, "name", "", "unique token name, the actor of entries it causes; required")
	cmd.Flags().StringVar(&id.Tenant, "tenant", "", "tenant the token acts for; required")
	cmd.Flags().StringSliceVar(&id.Scopes, "scope", nil, "scope granted (repeat, or comma-separate); required")
	for _, f := range []string{"name", "tenant", "scope"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}
