package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/oci"
	"github.com/assay-ledger/assay/verifier"
)

func newPublishCmd() *cobra.Command {
	var f serverFlags
	var to string
	cmd := &cobra.Command{
		Use:   "publish PACKAGE --to REGISTRY/REPO:TAG",
		Short: "Publish a finalized golden package to an OCI registry with a signed attestation",
		Long: `Ask the server to push the package (finalized, every file promoted to golden) to
the OCI registry as an artifact: one layer per file, the package manifest as the
config, and an in-toto attestation signed with the server's --oci-signing-key
as a referrer. The server uses its own registry credentials (its Docker config
file). It logs package.published and prints the artifact's digest reference.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			r, err := c.Publish(cmd.Context(), args[0], to)
			if err != nil {
				return err
			}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&to, "to", "", "REGISTRY/REPO:TAG to publish to; required")
	cmd.MarkFlagRequired("to")
	return cmd
}

func newPullCmd() *cobra.Command {
	var f serverFlags
	var verify, plainHTTP bool
	var key, logKey, origin, out string
	var witnesses witnessRequirement
	cmd := &cobra.Command{
		Use:   "pull REGISTRY/REPO@sha256:DIGEST --verify --key SIGNER.vkey --log-key LOG.vkey --out DIR",
		Short: "Fetch a published package and write its files only once everything verifies",
		Long: `Fetch the artifact and its attestation and check: the attestation's DSSE
signature by --key (the verifier key of the server's --oci-signing-key), every
blob's digest, the attestation's subjects against the layers, and the
package.published entry naming the artifact's digest, included in a checkpoint
signed by --log-key (with --witness, cosigned by the quorum). Only then are the
files written under --out. Registry credentials come from the Docker config
file; plain HTTP only for loopback registries or with --plain-http.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !verify {
				return errors.New("pull writes files only after verifying them: pass --verify")
			}
			k, err := readKeyArg(key)
			if err != nil {
				return err
			}
			name, pub, err := exports.ParseVerifierKey(k)
			if err != nil {
				return fmt.Errorf("--key: %w", err)
			}
			lk, err := readKeyArg(logKey)
			if err != nil {
				return err
			}
			w, err := witnesses.value()
			if err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			return runPull(cmd.Context(), cmd.OutOrStdout(), args[0], plainHTTP, out, map[string]ed25519.PublicKey{name: pub},
				&client.Auditor{Client: c, Key: lk, Origin: origin, Witnesses: w})
		},
	}
	f.register(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&verify, "verify", false, "verify before writing (required)")
	fl.StringVar(&key, "key", "", "verifier key of the attestation signer (NAME.vkey from `assay keys generate`, or @FILE); required")
	fl.StringVar(&logKey, "log-key", "", "the log's checkpoint verifier key, or @FILE; required")
	fl.StringVar(&origin, "origin", envOr("ASSAY_ORIGIN", ""), "expected checkpoint origin; any when empty [ASSAY_ORIGIN]")
	fl.StringVar(&out, "out", "", "directory to write the files under; required")
	fl.BoolVar(&plainHTTP, "plain-http", false, "allow plain HTTP to a registry that is not on a loopback address")
	witnesses.register(fl)
	for _, r := range []string{"key", "log-key", "out"} {
		cmd.MarkFlagRequired(r)
	}
	return cmd
}

// runPull verifies the artifact in a scratch directory beside out, checks
// the ledger, and only then moves the files into out.
func runPull(ctx context.Context, w io.Writer, ref string, plainHTTP bool, out string, trusted map[string]ed25519.PublicKey, a *client.Auditor) error {
	repo, err := oci.Repository(ref, plainHTTP)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	scratch, err := os.MkdirTemp(out, ".pull-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	p, err := oci.Pull(ctx, repo, scratch, trusted)
	if err != nil {
		return err
	}
	index, err := publishedEntry(ctx, a, p.Manifest.Digest.String())
	if err != nil {
		return err
	}
	for _, f := range p.Files {
		rel := strings.TrimPrefix(f, scratch+string(os.PathSeparator))
		dst := out + string(os.PathSeparator) + rel
		if err := os.MkdirAll(dirOf(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(f, dst); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "verified %s: %d files, attestation signed, published at entry %d; written to %s\n", p.Manifest.Digest, len(p.Files), index, out)
	return nil
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, os.PathSeparator); i >= 0 {
		return p[:i]
	}
	return "."
}

// publishedEntry finds the package.published entry naming manifest and
// checks its inclusion in a checkpoint the auditor trusts (cosigned when it
// requires witnesses).
func publishedEntry(ctx context.Context, a *client.Auditor, manifest string) (uint64, error) {
	page, err := a.Client.Search(ctx, manifest)
	if err != nil {
		return 0, fmt.Errorf("search the log for %s: %w", manifest, err)
	}
	for _, e := range page.Entries {
		rec, err := ledger.ParseRecord(e.Entry)
		if err != nil || rec.Type != catalog.TypePackagePublished {
			continue
		}
		var b catalog.PackagePublished
		if json.Unmarshal(rec.Body, &b) != nil || b.ManifestDigest != manifest {
			continue
		}
		r, err := a.Client.Receipt(ctx, e.Index)
		if err != nil {
			return 0, fmt.Errorf("receipt of the publish entry %d: %w", e.Index, err)
		}
		cp, err := verifier.OpenWitnessed([]byte(r.Checkpoint), a.Key, a.Origin, a.Witnesses)
		if err != nil {
			return 0, fmt.Errorf("%w: the checkpoint of the publish entry's receipt: %w", oci.ErrVerify, err)
		}
		proof := make([][]byte, len(r.InclusionProof))
		for i, h := range r.InclusionProof {
			proof[i] = h
		}
		if string(r.Entry) != string(e.Entry) {
			return 0, fmt.Errorf("%w: the receipt's entry differs from the search's", oci.ErrVerify)
		}
		if err := verifier.VerifyInclusion(e.Index, cp.Size, verifier.LeafHash(r.Entry), proof, cp.Root); err != nil {
			return 0, fmt.Errorf("%w: the publish entry %d is not in the checkpoint: %w", oci.ErrVerify, e.Index, err)
		}
		return e.Index, nil
	}
	return 0, fmt.Errorf("%w: no package.published entry names artifact %s", oci.ErrVerify, manifest)
}
