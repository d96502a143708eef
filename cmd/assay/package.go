package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/ledger/catalog"
)

func newPackageCmd() *cobra.Command {
	var f serverFlags
	cmd := &cobra.Command{Use: "package", Short: "Create, fill, finalize and read evidence packages"}
	f.register(cmd)
	cmd.AddCommand(newPackageCreateCmd(&f), newPackageUploadCmd(&f), newPackageFinalizeCmd(&f),
		newPackageShowCmd(&f), newPackageManifestCmd(&f), newPackageListCmd(&f))
	return cmd
}

func newPackageCreateCmd(f *serverFlags) *cobra.Command {
	var name, producer, subject, runID, class, metadata string
	var attrs []string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a package and print it (its id is .id)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := map[string]any{"name": name, "retention_class": class}
			for k, v := range map[string]string{"producer": producer, "subject": subject, "run_id": runID} {
				if v != "" {
					req[k] = v
				}
			}
			if metadata != "" {
				req["metadata"] = json.RawMessage(metadata)
			}
			for _, a := range attrs {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return fmt.Errorf("--attr %q: want KEY=VALUE", a)
				}
				req[k] = v
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			p, err := c.CreatePackage(cmd.Context(), req)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), p)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "package name (required)")
	fl.StringVar(&producer, "producer", "", "producer, e.g. the CI system")
	fl.StringVar(&subject, "subject", "", "what the evidence is about")
	fl.StringVar(&runID, "run-id", "", "run id of the producing job")
	fl.StringVar(&class, "retention", "raw-evidence", "retention class")
	fl.StringVar(&metadata, "metadata", "", "metadata as a JSON object")
	fl.StringArrayVar(&attrs, "attr", nil, "open attribute KEY=VALUE (repo_slug, source_commit ...); repeatable")
	return cmd
}

func newPackageUploadCmd(f *serverFlags) *cobra.Command {
	var noDigest bool
	cmd := &cobra.Command{
		Use:   "upload ID DIR",
		Short: "Upload every regular file under DIR into package ID, keeping relative paths",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := walkDir(args[1])
			if err != nil {
				return err
			}
			if len(files) == 0 {
				return fmt.Errorf("no regular files under %s", args[1])
			}
			c, err := f.transferClient()
			if err != nil {
				return err
			}
			return uploadLocal(cmd.Context(), c, args[0], files, noDigest, catalog.Landing{}, cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&noDigest, "no-digest", false, "do not hash files first")
	return cmd
}

// walkDir lists the regular files under dir with their slash-separated
// paths relative to dir.
func walkDir(dir string) ([]localFile, error) {
	var files []localFile
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, localFile{src: p, path: filepath.ToSlash(rel)})
		return nil
	})
	return files, err
}

func newPackageFinalizeCmd(f *serverFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "finalize ID",
		Short: "Freeze package ID and log its manifest digest",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.Finalize(ctx, args[0])
		}),
	}
}

func newPackageShowCmd(f *serverFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Print package ID",
		Args:  cobra.ExactArgs(1),
		RunE: f.printing(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			return c.Package(ctx, args[0])
		}),
	}
}

func newPackageManifestCmd(f *serverFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "manifest ID",
		Short: "Print the manifest of finalized package ID, checked against its logged digest",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			b, _, err := c.Manifest(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", b)
			return err
		},
	}
}

func newPackageListCmd(f *serverFlags) *cobra.Command {
	q := map[string]*string{"producer": new(string), "subject": new(string), "run_id": new(string), "status": new(string), "cursor": new(string)}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List packages (one page; next_cursor continues)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			v := url.Values{}
			for k, p := range q {
				if *p != "" {
					v.Set(k, *p)
				}
			}
			page, err := c.Packages(cmd.Context(), v)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), page)
		},
	}
	for k, p := range q {
		cmd.Flags().StringVar(p, strings.ReplaceAll(k, "_", "-"), "", "filter: "+k)
	}
	return cmd
}
