package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/promotion"
)

func newPermitCmd() *cobra.Command {
	var f serverFlags
	var tier, proof string
	var digests, keys []string
	cmd := &cobra.Command{
		Use:   "permit --tier T [--proof FILE] (--digest D ... | --key raw/KEY ...)",
		Short: "Verify artifacts against a tier before upload (verify-and-permit-upload); print the decision",
		Long: `Ask the server whether artifacts may be uploaded and promoted under a tier.
Artifacts are named by digest (--digest sha256:<hex>, repeatable) or by the
raw key of an object already landed (--key raw/KEY, repeatable; the server
hashes its stored bytes again). Tiers signed and masked need --proof FILE, a
verification-proof.json (a DSSE envelope over an in-toto Statement v1 signed
by a key the server trusts) listing every digest as a subject; tier basic
checks landed keys only. The server logs the decision (upload.permitted or
upload.denied) and answers either permitted with a permission id, or not with
the reason; both with the decision's ledger index and inclusion proof. A
promotion may then name the permission (assay promote --permission ID).
Needs scope promotions:write.`,
		Args: cobra.NoArgs,
		RunE: f.printing(func(ctx context.Context, c *client.Client, _ []string) (any, error) {
			req := wire.PermitRequest{Tier: tier, Digests: digests, Keys: keys}
			if len(digests)+len(keys) == 0 {
				return nil, errors.New("give at least one --digest or --key")
			}
			if proof != "" {
				b, err := os.ReadFile(proof)
				if err != nil {
					return nil, fmt.Errorf("--proof: %w", err)
				}
				req.Proof = b
			}
			return c.Permit(ctx, req)
		}),
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&tier, "tier", promotion.TierSigned, "verification tier: basic, signed or masked")
	fl.StringVar(&proof, "proof", "", "FILE holding the verification proof (a DSSE envelope); tiers signed and masked")
	fl.StringArrayVar(&digests, "digest", nil, "an artifact's digest, sha256:<hex>; repeatable")
	fl.StringArrayVar(&keys, "key", nil, "a landed artifact, raw/KEY; repeatable")
	return cmd
}
