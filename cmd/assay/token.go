package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi"
)

func newTokenCmd() *cobra.Command {
	tok := &cobra.Command{Use: "token", Short: "Manage API bearer tokens"}
	tok.AddCommand(newTokenCreateCmd(), newTokenListCmd(), newTokenRevokeCmd())
	return tok
}

// tokenDataFlag registers --data, the data directory holding the token file.
func tokenDataFlag(cmd *cobra.Command, data *string) {
	cmd.Flags().StringVar(data, "data", envOr("ASSAY_DATA", "./var"), "data directory [ASSAY_DATA]")
}

func newTokenCreateCmd() *cobra.Command {
	var data, ttl string
	var id httpapi.Identity
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a bearer token and print it once",
		Long: `Create a bearer token for the server whose data directory is --data. Only the
token's SHA-256 hash is stored (in DATA/tokens.json, mode 0600), with its name,
tenant, scopes and expiry; the token itself is printed once and cannot be shown
again. A running server picks the new token up at once.

--ttl makes the token expire that long after now: a Go duration (90m, 24h) or a
whole number of days (30d). Without --ttl the token never expires. An expired
token gets 401 with the problem type token-expired.

Scopes: "*" (all), log:read, metrics:read, and those of later routes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var opts []httpapi.TokenOption
			if ttl != "" {
				d, err := parseTTL(ttl)
				if err != nil {
					return err
				}
				opts = append(opts, httpapi.ExpiresIn(d))
			}
			if err := os.MkdirAll(data, 0o700); err != nil {
				return err
			}
			tok, err := httpapi.CreateToken(dataDir(data).tokens(), id, time.Now(), opts...)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	tokenDataFlag(cmd, &data)
	cmd.Flags().StringVar(&id.Name, "name", "", "unique token name, the actor of entries it causes; required")
	cmd.Flags().StringVar(&id.Tenant, "tenant", "", "tenant the token acts for; required")
	cmd.Flags().StringSliceVar(&id.Scopes, "scope", nil, "scope granted (repeat, or comma-separate); required")
	cmd.Flags().StringVar(&ttl, "ttl", "", "expire this long after now, e.g. 24h or 30d (default: never)")
	for _, f := range []string{"name", "tenant", "scope"} {
		cmd.MarkFlagRequired(f)
	}
	return cmd
}

// maxTTLDays bounds --ttl in days, well inside time.Duration's 292 years.
const maxTTLDays = 100 * 365

// parseTTL parses a --ttl value: a positive Go duration ("90m", "24h") or
// a positive whole number of days ("30d").
func parseTTL(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 || days > maxTTLDays {
			return 0, fmt.Errorf("--ttl %q: expected a whole number of days from 1 to %d, as in 30d", s, maxTTLDays)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("--ttl %q: expected a duration such as 24h, 90m or 30d: %w", s, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("--ttl %q: expected a positive duration such as 24h, 90m or 30d", s)
	}
	return d, nil
}

func newTokenListCmd() *cobra.Command {
	var data string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the tokens: name, tenant, scopes, dates and state",
		Long: `List the tokens of the server whose data directory is --data, in creation
order: name, tenant, scopes, when each was created, expires and was last used,
and its state (active, expired or revoked). Never the token or its hash.

"Last used" is when the server last accepted the token, as it last wrote it to
DATA/tokens-used.json: a running server writes that file at most every 10
seconds, and once more when it stops, so the time may lag by that much.

--json prints {"tokens":[...]} with the same fields (times in RFC 3339; absent
when never) for scripts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			infos, err := httpapi.ListTokens(dataDir(data).tokens(), time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				return writeTokensJSON(cmd.OutOrStdout(), infos)
			}
			return writeTokensTable(cmd.OutOrStdout(), infos)
		},
	}
	tokenDataFlag(cmd, &data)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	return cmd
}

// writeTokensJSON prints infos as {"tokens":[...]}, an empty list when none.
func writeTokensJSON(w io.Writer, infos []httpapi.TokenInfo) error {
	if infos == nil {
		infos = []httpapi.TokenInfo{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Tokens []httpapi.TokenInfo `json:"tokens"`
	}{infos})
}

// writeTokensTable prints infos as an aligned table, one token a row.
func writeTokensTable(w io.Writer, infos []httpapi.TokenInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTENANT\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tSTATE")
	for _, i := range infos {
		state := string(i.State)
		if !i.Revoked.IsZero() {
			state += " " + tableTime(i.Revoked, "")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i.Name, i.Tenant, strings.Join(i.Scopes, ","),
			tableTime(i.Created, "-"), tableTime(i.Expires, "never"), tableTime(i.LastUsed, "never"), state)
	}
	return tw.Flush()
}

// tableTime formats t in UTC to the second, or returns zero when t is zero.
func tableTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

func newTokenRevokeCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token: a running server refuses it within a second",
		Long: `Revoke the token named NAME in the token file of --data. Its record stays,
marked with the revocation time, so the server answers 401 with the problem type
token-revoked (not unauthorized) and the name cannot be reused. A running server
refuses the token within a second. Revoking a revoked token changes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, changed, err := httpapi.RevokeToken(dataDir(data).tokens(), args[0], time.Now())
			if errors.Is(err, httpapi.ErrTokenUnknown) {
				return fmt.Errorf("%w; `assay token list --data %s` shows the names", err, data)
			}
			if err != nil {
				return err
			}
			verb := "revoked"
			if !changed {
				verb = "was already revoked"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %q (tenant %s) %s at %s\n", rec.Name, rec.Tenant, verb, tableTime(rec.Revoked, ""))
			return nil
		},
	}
	tokenDataFlag(cmd, &data)
	return cmd
}
