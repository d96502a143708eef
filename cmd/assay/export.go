package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/exports"
)

// receiptFlags verify a receipt against a trusted checkpoint key.
type receiptFlags struct{ key, origin string }

func (r *receiptFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&r.key, "key", "", "trusted checkpoint verifier key, or @FILE holding it: verify the inclusion proof before printing")
	fl.StringVar(&r.origin, "origin", envOr("ASSAY_ORIGIN", ""), "expected checkpoint origin; any when empty [ASSAY_ORIGIN]")
}

// print verifies rc when a key was given, then prints it.
func (r *receiptFlags) print(w io.Writer, rc wire.ExportReceipt) error {
	if r.key != "" {
		key, err := readKeyArg(r.key)
		if err != nil {
			return err
		}
		if _, err := client.VerifyReceipt(rc, key, r.origin); err != nil {
			return fmt.Errorf("receipt for %s does not verify: %w", rc.IdempotencyKey, err)
		}
	}
	return writeJSON(w, rc, false) // unindented: the entry stays byte-exact
}

func newExportCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{Use: "export", Short: "Submit and read job exports (the orchestrator contract)"}
	f.register(cmd)
	cmd.AddCommand(newExportSubmitCmd(&f), newExportGetCmd(&f))
	return cmd
}

func newExportSubmitCmd(f *serverFlags) *cobra.Command {
	var sign string
	var r receiptFlags
	cmd := &cobra.Command{
		Use:   "submit FILE",
		Short: "Submit the job export in FILE (- for stdin) and print its receipt",
		Long: `Submit a job-export JSON document to POST /internal/orchestrator/exports, with
X-Tenant-Id set to its tenantId, and print the receipt: index, entry, the signed
checkpoint of the batch that committed it and the inclusion proof against it.

With --sign KEYFILE (a NAME.key from ` + "`assay keys generate`" + `), first add a DSSE
Ed25519 signature over the canonical payload; its keyId is the key's name, which
the server must trust for the tenant (serve --export-trust TENANT=NAME.vkey).
With --key, the receipt is verified before it is printed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := readExportFile(cmd, args[0])
			if err != nil {
				return err
			}
			if sign != "" {
				if body, err = signExport(body, sign); err != nil {
					return err
				}
			}
			sub, err := exports.Parse(body)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			rc, err := c.SubmitExport(cmd.Context(), sub.TenantID, body)
			if err != nil {
				return err
			}
			return r.print(cmd.OutOrStdout(), rc)
		},
	}
	cmd.Flags().StringVar(&sign, "sign", "", "sign with this note private key file (NAME.key) before submitting")
	r.register(cmd)
	return cmd
}

func newExportGetCmd(f *serverFlags) *cobra.Command {
	var r receiptFlags
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Print the export with idempotency key KEY, proven against the latest checkpoint",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			rc, err := c.Export(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return r.print(cmd.OutOrStdout(), rc)
		},
	}
	r.register(cmd)
	return cmd
}

// readExportFile reads an export document, at most one byte over the limit
// so that the server, not a truncation, decides about size.
func readExportFile(cmd *cobra.Command, path string) ([]byte, error) {
	var rd io.Reader = cmd.InOrStdin()
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		rd = f
	}
	body, err := io.ReadAll(io.LimitReader(rd, exports.MaxBodyBytes+1))
	if err == nil && len(body) > exports.MaxBodyBytes {
		err = fmt.Errorf("%s is over %d bytes, the export limit", path, exports.MaxBodyBytes)
	}
	return body, err
}

// signExport adds a DSSE signature by the note private key in keyFile.
func signExport(body []byte, keyFile string) ([]byte, error) {
	skey, err := readKeyFile(keyFile)
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("--sign %s: not a note private key: %w", keyFile, err)
	}
	signed, err := exports.Sign(body, signer)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("--sign %s", keyFile), err)
	}
	return signed, nil
}
