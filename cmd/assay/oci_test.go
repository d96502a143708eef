package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/mod/sumdb/note"
	oras "oras.land/oras-go/v2"

	"github.com/assay-ledger/assay/internal/gobin"
	"github.com/assay-ledger/assay/oci"
)

// registryInstall installs the programs the OCI tests run; make test runs
// it when they are missing.
const registryInstall = "go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2 oras.land/oras/cmd/oras@v1.3.6"

// needProgram returns the path of an installed program (gobin.Require).
func needProgram(t *testing.T, name string) string {
	t.Helper()
	return gobin.Require(t, name, registryInstall, "ASSAY_REQUIRE_REGISTRY")
}

// startRegistry runs the distribution registry on a free loopback port with
// filesystem storage; it returns its host:port and storage root.
func startRegistry(t *testing.T) (string, string) {
	t.Helper()
	bin := needProgram(t, "registry")
	dir := t.TempDir()
	root := filepath.Join(dir, "storage")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", root, addr), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfg)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("registry output:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr, root
		}
		if time.Now().After(deadline) {
			t.Fatalf("the registry did not listen on %s: %v\n%s", addr, err, logs.String())
		}
	}
}

// TestPublishPull publishes a golden package to a real registry and pulls
// it back verified, byte for byte; oras discover lists the attestation as
// a referrer. A package that is not golden is refused at publish (409);
// pull --verify refuses, writing nothing, an artifact without attestation,
// one whose attestation is for other files, and a layer rewritten in the
// registry's storage.
func TestPublishPull(t *testing.T) {
	host, storage := startRegistry(t)
	oras := needProgram(t, "oras")
	keys := t.TempDir()
	if _, err := run(t.Context(), "keys", "generate", "--name", "publisher", "--out", keys, "--key-name", "publisher"); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--dev", "--data", t.TempDir(), "--oci-signing-key", filepath.Join(keys, "publisher.key"))
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	files := map[string]string{"report.txt": "the report", "data/results.json": `{"ok":true}`}
	newPackage := func(name string, promote bool) string {
		dir := t.TempDir()
		for p, c := range files {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(c+" of "+name), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var p struct{ ID string }
		mustJSON(t, cli("package", "create", "--name", name), &p)
		cli("package", "upload", p.ID, dir)
		cli("package", "finalize", p.ID)
		if promote {
			cli("promote", "raw/packages/"+p.ID+"/", "golden/"+name+"/", "--tier", "basic", "--wait", "--poll", "1ms")
		}
		return p.ID
	}
	golden := newPackage("release", true)
	out := cli("publish", golden, "--to", host+"/evidence/release:v1")
	var pub struct {
		Index          uint64 `json:"index"`
		Reference      string `json:"reference"`
		ManifestDigest string `json:"manifest_digest"`
	}
	mustJSON(t, out, &pub)
	if pub.Reference != host+"/evidence/release@"+pub.ManifestDigest {
		t.Fatalf("publish answered %s", out)
	}
	pull := func(ref string) (string, string, error) {
		dir := filepath.Join(t.TempDir(), "out")
		out, err := run(t.Context(), "pull", ref, "--verify", "--key", "@"+filepath.Join(keys, "publisher.vkey"), "--log-key", s.vkey,
			"--out", dir, "--server", s.url, "--token", s.token)
		return dir, out, err
	}
	dir, outText, err := pull(pub.Reference)
	if err != nil {
		t.Fatalf("pull --verify: %v\n%s", err, outText)
	}
	for p, c := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(b) != c+" of release" {
			t.Fatalf("pulled %s: %q %v", p, b, err)
		}
	}
	disc, err := exec.Command(oras, "discover", "--plain-http", pub.Reference).CombinedOutput()
	if err != nil || !strings.Contains(string(disc), oci.AttestationType) {
		t.Fatalf("oras discover: %v\n%s", err, disc)
	}

	// Not golden: refused at publish, nothing pushed.
	raw := newPackage("draft", false)
	if _, err := run(t.Context(), "publish", raw, "--to", host+"/evidence/draft:v1", "--server", s.url, "--token", s.token); err == nil ||
		!strings.Contains(err.Error(), "not golden") {
		t.Fatalf("publish of a package that is not golden: %v", err)
	}

	// Without attestation: the artifact copied alone to another repository.
	bare := host + "/evidence/bare@" + pub.ManifestDigest
	if b, err := exec.Command(oras, "cp", "--from-plain-http", "--to-plain-http", pub.Reference, host+"/evidence/bare:v1").CombinedOutput(); err != nil {
		t.Fatalf("oras cp: %v\n%s", err, b)
	}
	refused := func(what, ref, want string) {
		t.Helper()
		dir, out, err := pull(ref)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("pull --verify of %s: %v, want %q\n%s", what, err, want, out)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Fatalf("pull --verify of %s left %d files", what, len(left))
		}
	}
	refused("an artifact without attestation", bare, "has no attestation")

	// An attestation for other files, signed by the right key, attached to
	// the artifact in a third repository.
	if b, err := exec.Command(oras, "cp", "--from-plain-http", "--to-plain-http", pub.Reference, host+"/evidence/mixed:v1").CombinedOutput(); err != nil {
		t.Fatalf("oras cp: %v\n%s", err, b)
	}
	skey, err := os.ReadFile(filepath.Join(keys, "publisher.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	mixed, err := oci.Repository(host+"/evidence/mixed", false)
	if err != nil {
		t.Fatal(err)
	}
	st := oci.Statement{Type: oci.StatementType, PredicateType: oci.PredicateType, Subject: oci.Subjects([]oci.File{
		{Path: "report.txt", Digest: "sha256:" + strings.Repeat("ab", 32)}, {Path: "data/results.json", Digest: "sha256:" + strings.Repeat("cd", 32)}}),
		Predicate: oci.Predicate{ManifestDigest: pub.ManifestDigest}}
	attachAttestation(t.Context(), t, mixed, pub.ManifestDigest, st, signer)
	refused("an attestation for other files", host+"/evidence/mixed@"+pub.ManifestDigest, "the attestation gives")

	// A layer rewritten in the registry's storage.
	d := digest.Digest(digestOfString("the report of release"))
	data := filepath.Join(storage, "docker", "registry", "v2", "blobs", "sha256", d.Encoded()[:2], d.Encoded(), "data")
	if err := os.WriteFile(data, []byte("the report of RELEASE"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("a tampered layer", pub.Reference, "report.txt")
}

func digestOfString(s string) string { return digestOf([]byte(s)) }

// attachAttestation pushes st, signed, as a referrer of the manifest with
// digest man in repo.
func attachAttestation(ctx context.Context, t *testing.T, repo oras.Target, man string, st oci.Statement, signer note.Signer) {
	t.Helper()
	desc, err := oras.Resolve(ctx, repo, man, oras.DefaultResolveOptions)
	if err != nil {
		t.Fatal(err)
	}
	env, err := oci.Sign(st, signer)
	if err != nil {
		t.Fatal(err)
	}
	envDesc, err := oras.PushBytes(ctx, repo, oci.AttestationType, env)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, oci.AttestationType,
		oras.PackManifestOptions{Subject: &desc, Layers: []ocispec.Descriptor{envDesc}}); err != nil {
		t.Fatal(err)
	}
}
