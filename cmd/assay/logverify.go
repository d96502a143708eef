package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/verifier"
)

type verifyOptions struct {
	key, origin string
	indexes     []uint64
	fromSize    uint64
	hasFrom     bool
}

func newLogVerifyCmd(f *serverFlags) *cobra.Command {
	var o verifyOptions
	var witnesses witnessRequirement
	var indexes []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the server's checkpoint, entries and proofs against a trusted key",
		Long: `Fetch the latest checkpoint and check its signature with the trusted verifier
key (--key KEY or --key @FILE). For each --index, fetch the entry and its inclusion
proof in that checkpoint's tree, recompute the leaf hash from the entry bytes and
verify the proof. With --from-size A, fetch the signed checkpoint at size A and
verify the consistency proof from it to the latest. Any mismatch exits non-zero.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			if o.key, err = readKeyArg(o.key); err != nil {
				return err
			}
			if o.indexes, err = parseIndexes(indexes); err != nil {
				return err
			}
			o.hasFrom = cmd.Flags().Changed("from-size")
			a := &client.Auditor{Client: c, Key: o.key, Origin: o.origin}
			if a.Witnesses, err = witnesses.value(); err != nil {
				return err
			}
			return runVerify(cmd.Context(), cmd.OutOrStdout(), a, o)
		},
	}
	fl := cmd.Flags()
	witnesses.register(fl)
	fl.StringVar(&o.key, "key", "", "trusted checkpoint verifier key, or @FILE holding it; required")
	fl.StringVar(&o.origin, "origin", envOr("ASSAY_ORIGIN", ""), "expected checkpoint origin; any when empty [ASSAY_ORIGIN]")
	fl.StringSliceVar(&indexes, "index", nil, "entry index to verify (repeat, or comma-separate)")
	fl.Uint64Var(&o.fromSize, "from-size", 0, "verify the log grew append-only from this tree size")
	cmd.MarkFlagRequired("key")
	return cmd
}

func runVerify(ctx context.Context, w io.Writer, a *client.Auditor, o verifyOptions) error {
	cp, err := a.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("verify checkpoint: %w", err)
	}
	fmt.Fprintf(w, "checkpoint OK: origin %s, size %d, root %x\n", cp.Origin, cp.Size, cp.Root)
	for _, i := range o.indexes {
		e, err := a.Entry(ctx, cp, i)
		if err != nil {
			return fmt.Errorf("verify entry %d: %w", i, err)
		}
		fmt.Fprintf(w, "entry %d OK: leaf hash %x included in tree size %d\n", i, []byte(e.LeafHash), cp.Size)
	}
	if !o.hasFrom {
		return nil
	}
	old, err := fromCheckpoint(ctx, a, cp, o.fromSize)
	if err != nil {
		return fmt.Errorf("verify consistency from size %d: %w", o.fromSize, err)
	}
	if err := a.Consistency(ctx, old, cp); err != nil {
		return fmt.Errorf("verify consistency from size %d: %w", o.fromSize, err)
	}
	fmt.Fprintf(w, "consistency OK: tree size %d (root %x) is a prefix of tree size %d\n", old.Size, old.Root, cp.Size)
	return nil
}

// fromCheckpoint returns the verified checkpoint at size, which must not be
// beyond the latest checkpoint cp.
func fromCheckpoint(ctx context.Context, a *client.Auditor, cp verifier.Checkpoint, size uint64) (verifier.Checkpoint, error) {
	if size > cp.Size {
		return verifier.Checkpoint{}, fmt.Errorf("size %d is beyond the latest checkpoint's size %d", size, cp.Size)
	}
	if size == cp.Size {
		return cp, nil
	}
	return a.CheckpointAt(ctx, size)
}

func parseIndexes(args []string) ([]uint64, error) {
	out := make([]uint64, len(args))
	for k, s := range args {
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("--index %q: expected a non-negative decimal integer", s)
		}
		out[k] = i
	}
	return out, nil
}
