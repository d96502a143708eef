package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/bundle"
	"github.com/assay-ledger/assay/ledger/domains"
	"github.com/assay-ledger/assay/ledger/policyaudit"
	"github.com/assay-ledger/assay/ledger/promotion"
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Show the policy in force and audit that every decision followed it"}
	cmd.AddCommand(newPolicyShowCmd(), newPolicyAuditCmd())
	return cmd
}

func newPolicyShowCmd() *cobra.Command {
	var f serverFlags
	var at int64
	cmd := &cobra.Command{
		Use:   "show [--at INDEX]",
		Short: "Print the policy in force (at an entry index) with its entry and digest",
		Long: `Print the policy.applied entry in force now, or at --at INDEX (the last one at
or before it): its index, time, digest and the whole policy as recorded.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			var best *wire.HistoryEntry
			q := url.Values{"type": {ledger.PolicyType}, "limit": {"1000"}}
			for {
				page, err := c.History(cmd.Context(), q)
				if err != nil {
					return err
				}
				for i := range page.Entries {
					if e := page.Entries[i]; at < 0 || e.Index <= uint64(at) {
						best = &e
					}
				}
				if page.NextCursor == "" {
					break
				}
				q.Set("cursor", page.NextCursor)
			}
			if best == nil {
				return errors.New("no policy.applied entry at or before that index")
			}
			var out bytes.Buffer
			if err := json.Indent(&out, best.Body, "", "  "); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "policy.applied at index %d (%s)\n%s\n", best.Index, best.Time.UTC().Format("2006-01-02T15:04:05Z"), out.String())
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().Int64Var(&at, "at", -1, "the policy in force at this entry index (default: now)")
	return cmd
}

func newPolicyAuditCmd() *cobra.Command {
	var t trustFlags
	var path, data, origin string
	var asJSON bool
	var store catalogFlags
	var ledgerKey ledgerKeyFlag
	cmd := &cobra.Command{
		Use:   "audit (--bundle FILE --key KEY | --data DIR --origin ORIGIN)",
		Short: "Replay a log offline and check every decision against the policy in force",
		Long: `Replay every entry of a bundle (verified whole first, as bundle verify does;
its blobs re-hashed and its verification proofs re-checked when it carries
them) or of a stopped server's data directory, in order, and re-derive each
decision from the policy in force (policy.applied) and the state before it:
retention (class, extension, holds, expiry, compliance, collected blobs),
promotion (verified digests, golden objects, tier proofs, masking rules),
quarantine review (separation of duties) and job exports (forward statuses,
required signatures). No server and no network. Every violation is printed
with its entry index, rule, and what was expected against what was recorded;
any violation exits non-zero. --json prints the report as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var rep policyaudit.Report
			var err error
			switch {
			case path != "" && cmd.Flags().Changed("data"):
				return errors.New("give --bundle or --data, not both")
			case path != "":
				o, err := t.options()
				if err != nil {
					return err
				}
				if rep, err = auditBundle(path, o); err != nil {
					return err
				}
			case cmd.Flags().Changed("data"):
				if origin == "" {
					return errors.New("--data needs --origin, the log's checkpoint origin")
				}
				key, err := ledgerKey.key()
				if err != nil {
					return err
				}
				if rep, err = auditDataDir(cmd.Context(), dataDir(data), origin, &store, key); err != nil {
					return err
				}
			default:
				return errors.New("give --bundle FILE (with --key) or --data DIR (with --origin)")
			}
			if err = printAudit(cmd.OutOrStdout(), rep, asJSON); err != nil {
				return err
			}
			if n := len(rep.Violations); n > 0 {
				return fmt.Errorf("%d policy violations", n)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&path, "bundle", "", "audit this bundle (verified first; needs --key)")
	f.StringVar(&t.key, "key", "", "with --bundle: the source log's checkpoint verifier key, or @FILE holding it")
	f.StringVar(&t.sourceOrigin, "source-origin", "", "with --bundle: expected origin of the source log; any when empty")
	t.witnesses.register(f)
	f.StringVar(&data, "data", envOr("ASSAY_DATA", "./var"), "audit the ledger of this stopped server's data directory [ASSAY_DATA]")
	f.StringVar(&origin, "origin", envOr("ASSAY_ORIGIN", ""), "with --data: the log's checkpoint origin [ASSAY_ORIGIN]")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	store.register(f)
	ledgerKey.register(f)
	return cmd
}

// keptBlob is the most of a carried blob an audit keeps in memory: a
// verification proof is at most promotion.MaxProof bytes; larger blobs are
// only known to be present (the bundle reader checked their digests).
const keptBlob = promotion.MaxProof

func auditBundle(path string, o bundle.Options) (policyaudit.Report, error) {
	// Carried blobs of up to keptBlob bytes (proofs among them) are spooled
	// to a temporary directory, so memory does not grow with the blobs a
	// bundle carries; larger ones are only known to be present (the
	// bundle reader checked their digests).
	spool, err := os.MkdirTemp("", "assay-audit-blobs-")
	if err != nil {
		return policyaudit.Report{}, err
	}
	defer os.RemoveAll(spool)
	present := map[string]bool{}
	sink := func(hexDigest string, r io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(r, keptBlob+1))
		if err != nil {
			return err
		}
		present["sha256:"+hexDigest] = true
		if len(b) <= keptBlob {
			if err := os.WriteFile(filepath.Join(spool, hexDigest), b, 0o600); err != nil {
				return err
			}
		}
		_, err = io.Copy(io.Discard, r)
		return err
	}
	a := policyaudit.New(0, func(d string) ([]byte, bool) {
		if !present[d] {
			return nil, false
		}
		b, err := os.ReadFile(filepath.Join(spool, strings.TrimPrefix(d, "sha256:")))
		if err != nil {
			return nil, true // present, too large to keep
		}
		return b, true
	})
	f, err := os.Open(path)
	if err != nil {
		return policyaudit.Report{}, err
	}
	defer f.Close()
	// One pass: the report is dropped unless the whole bundle verifies.
	// Entries are decoded beside the reading and hashing, applied in order.
	o.Header = func(h bundle.Header) { a.Expect(h.To) }
	par := policyaudit.NewParallel(a)
	v, err := bundle.Replay(f, o, sink, par.Add)
	if cerr := par.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return policyaudit.Report{}, err
	}
	if v.Header.From != 0 {
		return policyaudit.Report{}, fmt.Errorf("the bundle starts at entry %d: a policy audit replays a log from its first entry", v.Header.From)
	}
	return a.Report(), nil
}

func auditDataDir(ctx context.Context, d dataDir, origin string, store *catalogFlags, ledgerKey []byte) (policyaudit.Report, error) {
	signer, _, err := checkpointKey(d, origin, false)
	if err != nil {
		return policyaudit.Report{}, err
	}
	lg, err := ledger.Open(ledger.Config{Dir: d.ledger(), Origin: origin, Signer: signer, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: domains.Modules(), EncryptionKey: ledgerKey})
	if err != nil {
		return policyaudit.Report{}, err
	}
	defer lg.Close()
	st, _, err := store.openStore(ctx, d)
	if err != nil {
		return policyaudit.Report{}, err
	}
	size, _ := lg.Head()
	return policyaudit.Log(ctx, lg, 0, size, storeBlobs(ctx, st))
}

// storeBlobs reads blobs of up to keptBlob bytes from st for an audit.
func storeBlobs(ctx context.Context, st cas.Store) policyaudit.Blobs {
	return func(digest string) ([]byte, bool) {
		dg, err := cas.ParseDigest(digest)
		if err != nil {
			return nil, false
		}
		rc, err := st.Get(ctx, dg, 0, -1)
		if err != nil {
			return nil, false
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, keptBlob+1))
		if err != nil || len(b) > keptBlob {
			return nil, err == nil
		}
		sum := sha256.Sum256(b)
		if "sha256:"+hex.EncodeToString(sum[:]) != digest {
			return nil, false
		}
		return b, true
	}
}

func printAudit(w io.Writer, rep policyaudit.Report, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	fmt.Fprintf(w, "policy audit of entries [%d, %d): %d entries, %d violations\n", rep.From, rep.To, rep.Entries, len(rep.Violations))
	rules := make([]string, 0, len(rep.Checked))
	for r := range rep.Checked {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		bad := 0
		for _, v := range rep.Violations {
			if v.Rule == r {
				bad++
			}
		}
		fmt.Fprintf(w, "  %-24s %8d checked %6d violations\n", r, rep.Checked[r], bad)
	}
	if rep.Unproven > 0 {
		fmt.Fprintf(w, "  %d proof-tier checks whose proof bytes the input does not carry: tier keys checked, signatures not\n", rep.Unproven)
	}
	for _, v := range rep.Violations {
		fmt.Fprintf(w, "VIOLATION at entry %d (%s), rule %s: expected %s; recorded %s\n", v.Index, v.Type, v.Rule, v.Expected, v.Recorded)
	}
	return nil
}
