package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
)

// requestTimeout bounds each call to the server.
const requestTimeout = time.Minute

// serverFlags are the flags of every command that talks to a server.
type serverFlags struct{ server, token string }

func (f *serverFlags) register(cmd *cobra.Command) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.server, "server", envOr("ASSAY_SERVER", "http://127.0.0.1:8080"), "server URL [ASSAY_SERVER]")
	pf.StringVar(&f.token, "token", envOr("ASSAY_TOKEN", ""), "bearer token [ASSAY_TOKEN]")
}

func (f *serverFlags) client() (*client.Client, error) {
	if f.token == "" {
		return nil, errors.New("no token: pass --token or set ASSAY_TOKEN")
	}
	return client.New(f.server, f.token, &http.Client{Timeout: requestTimeout})
}

func newLogCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{Use: "log", Short: "Read the log of a server and verify it"}
	f.register(cmd)
	cmd.AddCommand(newLogCheckpointCmd(&f), newLogEntryCmd(&f), newLogProofCmd(&f), newLogVerifyCmd(&f))
	return cmd
}

func newLogCheckpointCmd(f *serverFlags) *cobra.Command {
	var size uint64
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Print the latest signed checkpoint (or the one at --size), unverified",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var cp []byte
			if cmd.Flags().Changed("size") {
				cp, err = c.CheckpointAt(cmd.Context(), size)
			} else {
				cp, err = c.Checkpoint(cmd.Context())
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(cp)
			return err
		},
	}
	cmd.Flags().Uint64Var(&size, "size", 0, "tree size of the checkpoint to fetch")
	return cmd
}

func newLogEntryCmd(f *serverFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "entry INDEX",
		Short: "Print the entry at INDEX as {index, leaf_hash, entry}, unverified",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			index, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("index %q: expected a non-negative decimal integer", args[0])
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			e, err := c.Entry(cmd.Context(), index)
			if err != nil {
				return err
			}
			return writeJSON(cmd.OutOrStdout(), e, false)
		},
	}
}

type proofFlags struct {
	index, treeSize, first, second uint64
	leafHash                       string
}

func newLogProofCmd(f *serverFlags) *cobra.Command {
	var p proofFlags
	cmd := &cobra.Command{
		Use:   "proof",
		Short: "Print an inclusion proof (--index or --leaf-hash) or a consistency proof (--first), unverified",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			v, err := fetchProof(cmd, c, p)
			if err != nil {
				return err
			}
			return writeJSON(cmd.OutOrStdout(), v, true)
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&p.index, "index", 0, "index of the entry to prove")
	fl.StringVar(&p.leafHash, "leaf-hash", "", "leaf hash (hex) of the entry to prove")
	fl.Uint64Var(&p.treeSize, "tree-size", 0, "tree size of the inclusion proof (default current)")
	fl.Uint64Var(&p.first, "first", 0, "older tree size of a consistency proof")
	fl.Uint64Var(&p.second, "second", 0, "newer tree size of a consistency proof (default current)")
	cmd.MarkFlagsMutuallyExclusive("index", "leaf-hash", "first")
	cmd.MarkFlagsMutuallyExclusive("tree-size", "first")
	cmd.MarkFlagsOneRequired("index", "leaf-hash", "first")
	return cmd
}

func fetchProof(cmd *cobra.Command, c *client.Client, p proofFlags) (any, error) {
	ctx, fl := cmd.Context(), cmd.Flags()
	switch {
	case fl.Changed("first"):
		if fl.Changed("second") && p.second == 0 {
			return nil, errors.New("--second 0: expected a tree size of at least 1")
		}
		return c.ConsistencyProof(ctx, p.first, p.second)
	case fl.Changed("second"):
		return nil, errors.New("--second needs --first")
	case fl.Changed("tree-size") && p.treeSize == 0:
		return nil, errors.New("--tree-size 0: expected a tree size of at least 1")
	case fl.Changed("leaf-hash"):
		h, err := hex.DecodeString(p.leafHash)
		if err != nil || len(h) != 32 {
			return nil, fmt.Errorf("--leaf-hash %q: expected 64 hex digits", p.leafHash)
		}
		return c.InclusionProofByHash(ctx, h, p.treeSize)
	default:
		return c.InclusionProof(ctx, p.index, p.treeSize)
	}
}

// writeJSON prints v as JSON without HTML escaping, so entry bytes print
// exactly as the server sent them.
func writeJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// printing returns the RunE of a command that is one API call: it calls do
// with a client of the server and prints the result as JSON.
func (f *serverFlags) printing(do func(ctx context.Context, c *client.Client, args []string) (any, error)) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := f.client()
		if err != nil {
			return err
		}
		v, err := do(cmd.Context(), c, args)
		if err != nil {
			return err
		}
		return printJSON(cmd.OutOrStdout(), v)
	}
}
