package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/assay-ledger/assay/httpapi/client"
)

func newGetCmd() *cobra.Command {
	var f serverFlags
	var out, object, rng string
	cmd := &cobra.Command{
		Use:   "get [FILE_ID]",
		Short: "Download a package file (FILE_ID) or an object (--object ZONE/KEY)",
		Long: `Download a package file by id, or the current version of an object with
--object ZONE/KEY, to --output (stdout when "-"). A whole download is checked against
the sha256 the server announces; the file is written beside OUT and renamed into place
only when it matches.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.transferClient()
			if err != nil {
				return err
			}
			var d *client.Download
			switch {
			case (len(args) == 1) == (object != ""):
				return errors.New("give exactly one of FILE_ID and --object ZONE/KEY")
			case object != "":
				zone, key, ok := strings.Cut(object, "/")
				if !ok {
					return fmt.Errorf("--object %q: want ZONE/KEY such as raw/reports/a.json", object)
				}
				d, err = c.GetObject(cmd.Context(), zone, key, rng)
			default:
				d, err = c.DownloadFile(cmd.Context(), args[0], rng)
			}
			if err != nil {
				return err
			}
			defer d.Body.Close()
			return saveDownload(cmd.Context(), d, out, rng == "", cmd.OutOrStdout())
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "-", "where to write the bytes; - for stdout")
	cmd.Flags().StringVar(&object, "object", "", "download the object ZONE/KEY instead of a package file")
	cmd.Flags().StringVar(&rng, "range", "", "HTTP Range to ask for, e.g. bytes=0-1023 (not checked against the digest)")
	return cmd
}

// saveDownload copies d to out (stdout for "-") with a progress bar and,
// when whole is set, checks the bytes against d.Digest.
func saveDownload(ctx context.Context, d *client.Download, out string, whole bool, stdout io.Writer) error {
	var w io.Writer = stdout
	var tmp *os.File
	if out != "-" {
		var err error
		if tmp, err = os.CreateTemp(filepath.Dir(out), ".assay-get-*"); err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		w = tmp
	}
	h := sha256.New()
	bar := byteProgress(d.Size, "download")
	_, err := io.Copy(io.MultiWriter(w, h, bar), readerCtx{ctx, d.Body})
	_ = bar.Finish()
	if err != nil {
		return fmt.Errorf("download: %w", err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); whole && got != d.Digest {
		return fmt.Errorf("downloaded bytes hash to %s, server announced %s", got, d.Digest)
	}
	if tmp == nil {
		return nil
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}
