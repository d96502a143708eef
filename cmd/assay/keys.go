package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/internal/durable"
)

func newKeysCmd() *cobra.Command {
	keys := &cobra.Command{Use: "keys", Short: "Manage signing keys"}
	keys.AddCommand(newKeysGenerateCmd())
	return keys
}

func newKeysGenerateCmd() *cobra.Command {
	var name, out, keyName string
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate an Ed25519 note key pair: NAME.key (private, 0600) and NAME.vkey",
		Long: `Generate an Ed25519 key pair in the signed-note format of golang.org/x/mod/sumdb/note.
NAME.key holds the private signer key (mode 0600), NAME.vkey the public verifier
key, which is also printed. Existing files are never overwritten.

The server signs checkpoints with DATA/keys/checkpoint.key:
  assay keys generate --name checkpoint --out DATA/keys --key-name ORIGIN`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyName == "" {
				keyName = name
			}
			vkey, err := writeKeyPair(out, name, keyName)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), vkey)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "file name of the pair (NAME.key, NAME.vkey); required")
	cmd.Flags().StringVar(&out, "out", ".", "directory to write the files to (created 0700 if missing)")
	cmd.Flags().StringVar(&keyName, "key-name", "", "name inside the key, shown in signatures (default NAME)")
	cmd.MarkFlagRequired("name")
	return cmd
}

// writeKeyPair generates a note key named keyName and writes dir/name.key
// and dir/name.vkey, refusing to replace either. It returns the verifier key.
func writeKeyPair(dir, name, keyName string) (string, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return "", fmt.Errorf("key file name %q: expected a plain file name without slashes", name)
	}
	if keyName == "" || !utf8.ValidString(keyName) || strings.ContainsFunc(keyName, unicode.IsSpace) || strings.Contains(keyName, "+") {
		return "", fmt.Errorf("key name %q: expected a non-empty name with no spaces or '+'", keyName)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, keyName)
	if err != nil {
		return "", fmt.Errorf("generate key %q: %w", keyName, err)
	}
	if err := durable.MkdirAll(dir); err != nil {
		return "", err
	}
	priv, pub := filepath.Join(dir, name+".key"), filepath.Join(dir, name+".vkey")
	for _, p := range []string{priv, pub} {
		if _, err := os.Lstat(p); err == nil {
			return "", fmt.Errorf("%s exists already; refusing to overwrite a key", p)
		}
	}
	if err := durable.CreateFile(pub, []byte(vkey+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := durable.CreateFile(priv, []byte(skey+"\n"), 0o600); err != nil {
		return "", err
	}
	return vkey, nil
}

// loadKeyPair reads dir/name.key and dir/name.vkey and checks that they are
// the two halves of one key. A missing file wraps fs.ErrNotExist.
func loadKeyPair(dir, name string) (note.Signer, string, error) {
	skey, err := readKeyFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return nil, "", err
	}
	vkey, err := readKeyFile(filepath.Join(dir, name+".vkey"))
	if err != nil {
		return nil, "", err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("signer key %s.key: %w", name, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, "", fmt.Errorf("verifier key %s.vkey: %w", name, err)
	}
	if v.Name() != signer.Name() || v.KeyHash() != signer.KeyHash() {
		return nil, "", fmt.Errorf("%s.key and %s.vkey in %s are not one key pair", name, name, dir)
	}
	return signer, vkey, nil
}

func readKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// readKeyArg resolves a --key value: the key itself, or @FILE to read it.
func readKeyArg(v string) (string, error) {
	path, ok := strings.CutPrefix(v, "@")
	if !ok {
		return strings.TrimSpace(v), nil
	}
	k, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("key file %s does not exist", path)
	}
	return k, err
}
