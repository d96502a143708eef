package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// progressBytes is the smallest transfer that gets a progress bar.
const progressBytes = 4 << 20

// transferClient is a client for uploads and downloads: no overall
// timeout, since a large transfer may take long; Ctrl-C cancels it.
func (f *serverFlags) transferClient() (*client.Client, error) {
	if f.token == "" {
		return nil, errors.New("no token: pass --token or set ASSAY_TOKEN")
	}
	return client.New(f.server, f.token, &http.Client{})
}

// byteProgress returns a bar over n bytes on stderr, shown only when
// stderr is a terminal and n is at least progressBytes.
func byteProgress(n int64, what string) *progressbar.ProgressBar {
	visible := n >= progressBytes && term.IsTerminal(int(os.Stderr.Fd()))
	return progressbar.NewOptions64(n,
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetVisibility(visible),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

// fileDigest hashes a file, so that the server can check what arrives.
func fileDigest(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, readerCtx{ctx, f}); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// readerCtx stops reading once ctx ends.
type readerCtx struct {
	ctx context.Context
	r   io.Reader
}

func (r readerCtx) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// localFile is a file to upload: where it is and its path in the package.
type localFile struct{ src, path string }

// uploadLocal streams files into package id in one request, with their
// digests (unless noDigest) and a progress bar over the total size.
// land (without its digest) is the landing metadata of every file.
func uploadLocal(ctx context.Context, c *client.Client, id string, files []localFile, noDigest bool, land catalog.Landing, out io.Writer) error {
	var total int64
	up := make([]client.UploadFile, len(files))
	for i, f := range files {
		fi, err := os.Stat(f.src)
		if err != nil {
			return err
		}
		total += fi.Size()
		lf := &lazyFile{path: f.src}
		defer lf.Close()
		up[i] = client.UploadFile{Path: f.path, Body: lf, MediaType: mime.TypeByExtension(filepath.Ext(f.src)), Landing: land}
		if !noDigest {
			if up[i].Digest, err = fileDigest(ctx, f.src); err != nil {
				return err
			}
		}
	}
	bar := byteProgress(total, "upload")
	for i := range up {
		up[i].Body = io.TeeReader(up[i].Body, bar)
	}
	added, err := c.UploadFiles(ctx, id, up)
	_ = bar.Finish()
	if err != nil {
		return err
	}
	return printJSON(out, added)
}

// lazyFile opens its file on the first Read and closes it at the end, so
// that an upload of many files holds one descriptor at a time.
type lazyFile struct {
	path string
	f    *os.File
	done bool
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if l.f == nil {
		f, err := os.Open(l.path)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	n, err := l.f.Read(p)
	if err == io.EOF {
		l.Close()
		l.done = true
	}
	return n, err
}

// Close closes the file if it is open.
func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newPutCmd() *cobra.Command {
	var f serverFlags
	var pkg, key, metadata string
	var noDigest bool
	var land landingFlags
	cmd := &cobra.Command{
		Use:   "put FILE...",
		Short: "Upload files into a package (--package) or one object by key (--key)",
		Long: `Upload files. With --package ID each FILE becomes a file of that package under its
base name (use "assay package upload ID DIR" to keep directories). With --key KEY the
single FILE is put as a new version of the object raw/KEY.

The sha256 of each file is computed first and sent, so that the server refuses bytes
that changed on the way (--no-digest skips this); it is recorded as the object's
expected digest. --source, --commit, --tier and --custody add the rest of the
landing metadata, recorded in the entry and shown by assay status.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.transferClient()
			if err != nil {
				return err
			}
			switch {
			case (pkg == "") == (key == ""):
				return errors.New("give exactly one of --package ID and --key KEY")
			case key != "":
				if len(args) != 1 {
					return errors.New("--key takes exactly one FILE")
				}
				return putObject(cmd.Context(), c, args[0], key, metadata, noDigest, land.landing(), cmd.OutOrStdout())
			}
			files := make([]localFile, len(args))
			for i, a := range args {
				files[i] = localFile{src: a, path: filepath.Base(a)}
			}
			return uploadLocal(cmd.Context(), c, pkg, files, noDigest, land.landing(), cmd.OutOrStdout())
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&pkg, "package", "", "package id to add the files to")
	cmd.Flags().StringVar(&key, "key", "", "object key in zone raw (instead of --package)")
	cmd.Flags().StringVar(&metadata, "metadata", "", "with --key: object metadata as a JSON object")
	cmd.Flags().BoolVar(&noDigest, "no-digest", false, "do not hash files first (the server then cannot check them)")
	land.register(cmd.Flags())
	return cmd
}

// landingFlags are the landing metadata of put (catalog.Landing, but for
// the digest, which put computes).
type landingFlags struct {
	source, commit, tier string
	custody              []string
}

func (l *landingFlags) register(f *pflag.FlagSet) {
	f.StringVar(&l.source, "source", "", "landing metadata: where the files come from (a repository, a pipeline)")
	f.StringVar(&l.commit, "commit", "", "landing metadata: the commit they were built from (7 to 64 hex digits)")
	f.StringVar(&l.tier, "tier", "", "landing metadata: the verification tier they are meant to pass (basic, signed, ...)")
	f.StringArrayVar(&l.custody, "custody", nil, "landing metadata: a chain-of-custody reference (repeatable, at most 16)")
}

func (l *landingFlags) landing() catalog.Landing {
	return catalog.Landing{Source: l.source, Commit: l.commit, Tier: l.tier, Custody: l.custody}
}

// putObject puts one file as raw/key.
func putObject(ctx context.Context, c *client.Client, src, key, metadata string, noDigest bool, land catalog.Landing, out io.Writer) error {
	fh, err := os.Open(src)
	if err != nil {
		return err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return err
	}
	var digest string
	if !noDigest {
		if digest, err = fileDigest(ctx, src); err != nil {
			return err
		}
	}
	bar := byteProgress(fi.Size(), "upload")
	land.ExpectedDigest = digest
	o, err := c.Land(ctx, key, io.TeeReader(fh, bar), fi.Size(), mime.TypeByExtension(filepath.Ext(src)), json.RawMessage(metadata), land)
	_ = bar.Finish()
	if err != nil {
		return err
	}
	return printJSON(out, o)
}
