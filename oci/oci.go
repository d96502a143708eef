// Package oci publishes golden packages to OCI registries and pulls them
// back verified, with oras-go. A package becomes an OCI artifact (image
// spec 1.1): one layer per file, with its media type and its path and
// digest as annotations, the package manifest as the config blob, and
// artifactType ArtifactType. Beside it goes an attestation, an in-toto
// Statement v1 in a DSSE envelope whose subjects are the files' digests,
// pushed as a referrer of the artifact (its subject field), so registries
// and tools that follow referrers (oras discover, cosign) find it.
package oci

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/mod/sumdb/note"
	oras "oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/assay-ledger/assay/verifier"
)

// Media and artifact types.
const (
	ArtifactType        = "application/vnd.assay.package.v1"
	ConfigMediaType     = "application/vnd.assay.package.manifest.v1+json"
	AttestationType     = "application/vnd.dsse.envelope.v1+json"
	StatementType       = "https://in-toto.io/Statement/v1"
	PredicateType       = "https://assay.dev/attestation/package-publish/v1"
	PayloadType         = "application/vnd.in-toto+json"
	AnnotationPath      = "org.opencontainers.image.title" // a layer's path in the package
	AnnotationDigest    = "dev.assay.file.digest"          // a layer's sha256, as the ledger records it
	AnnotationPackageID = "dev.assay.package.id"
)

// File is one file of a package to publish.
type File struct {
	Path      string
	MediaType string
	Digest    string // sha256:<hex>
	Size      int64
	Open      func() (io.ReadCloser, error)
}

// Predicate is what the attestation says besides its subjects: the
// package, its manifest digest, the ledger indexes of the promotions that
// made its files golden, and the log's checkpoint at publication.
type Predicate struct {
	PackageID      string   `json:"package_id"`
	ManifestDigest string   `json:"manifest_digest"`
	Promotions     []uint64 `json:"promotion_indexes"`
	Checkpoint     string   `json:"checkpoint"`
}

// Statement is an in-toto Statement v1 about the files.
type Statement struct {
	Type          string    `json:"_type"`
	Subject       []Subject `json:"subject"`
	PredicateType string    `json:"predicateType"`
	Predicate     Predicate `json:"predicate"`
}

// Subject names one file by its path and sha256.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// Sign makes the DSSE envelope of st, signed by signer (a note signer:
// Ed25519; the DSSE keyid is its name).
func Sign(st Statement, signer note.Signer) ([]byte, error) {
	payload, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(verifier.PAE(PayloadType, payload))
	if err != nil {
		return nil, err
	}
	return json.Marshal(verifier.DSSEEnvelope{PayloadType: PayloadType, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []verifier.DSSESignature{{KeyID: signer.Name(), Sig: base64.StdEncoding.EncodeToString(sig)}}})
}

// Repository opens REGISTRY/REPO for push and pull with the credentials of
// the Docker config file and its credential helpers (never from a
// request). Plain HTTP is used for a loopback registry, or anywhere with
// plainHTTP.
func Repository(ref string, plainHTTP bool) (*remote.Repository, error) {
	repo, err := remote.NewRepository(ref)
	if err != nil {
		return nil, fmt.Errorf("registry reference %q: %w", ref, err)
	}
	repo.PlainHTTP = plainHTTP || loopback(repo.Reference.Registry)
	store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
	if err != nil {
		return nil, fmt.Errorf("docker credentials: %w", err)
	}
	repo.Client = &auth.Client{Client: retry.DefaultClient, Cache: auth.NewCache(), Credential: credentials.Credential(store)}
	return repo, nil
}

func loopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Published is where a Push put a package.
type Published struct {
	Manifest    ocispec.Descriptor
	Attestation ocispec.Descriptor
}

// Push pushes the package's files, its manifest as the config, the
// artifact manifest tagged tag (when not empty), and the attestation envelope
// as a referrer of it.
func Push(ctx context.Context, repo *remote.Repository, tag, packageID string, manifest []byte, files []File, st Statement, signer note.Signer) (*Published, error) {
	var layers []ocispec.Descriptor
	for _, f := range files {
		d := ocispec.Descriptor{MediaType: f.MediaType, Digest: digest.Digest(f.Digest), Size: f.Size,
			Annotations: map[string]string{AnnotationPath: f.Path, AnnotationDigest: f.Digest}}
		if err := pushBlob(ctx, repo, d, f.Open); err != nil {
			return nil, fmt.Errorf("push %s: %w", f.Path, err)
		}
		layers = append(layers, d)
	}
	cfg, err := oras.PushBytes(ctx, repo, ConfigMediaType, manifest)
	if err != nil {
		return nil, fmt.Errorf("push the package manifest: %w", err)
	}
	man, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, ArtifactType, oras.PackManifestOptions{
		Layers: layers, ConfigDescriptor: &cfg, ManifestAnnotations: map[string]string{AnnotationPackageID: packageID,
			ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}})
	if err != nil {
		return nil, fmt.Errorf("push the artifact manifest: %w", err)
	}
	if tag != "" {
		if err := repo.Tag(ctx, man, tag); err != nil {
			return nil, fmt.Errorf("tag %s: %w", tag, err)
		}
	}
	st.Predicate.ManifestDigest = man.Digest.String()
	env, err := Sign(st, signer)
	if err != nil {
		return nil, err
	}
	envDesc, err := oras.PushBytes(ctx, repo, AttestationType, env)
	if err != nil {
		return nil, fmt.Errorf("push the attestation: %w", err)
	}
	att, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, AttestationType, oras.PackManifestOptions{
		Subject: &man, Layers: []ocispec.Descriptor{envDesc}, ManifestAnnotations: map[string]string{ocispec.AnnotationCreated: "1970-01-01T00:00:00Z"}})
	if err != nil {
		return nil, fmt.Errorf("push the attestation manifest: %w", err)
	}
	return &Published{Manifest: man, Attestation: att}, nil
}

func pushBlob(ctx context.Context, repo *remote.Repository, d ocispec.Descriptor, open func() (io.ReadCloser, error)) error {
	if ok, err := repo.Exists(ctx, d); err != nil {
		return err
	} else if ok {
		return nil
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return repo.Push(ctx, d, rc)
}

// Pulled is a verified artifact: its manifest digest, the statement its
// attestation signs, and the files it wrote.
type Pulled struct {
	Manifest  ocispec.Descriptor
	Statement Statement
	Files     []string
}

// ErrVerify reports an artifact that failed a check; nothing was written.
var ErrVerify = errors.New("verification failed")

// Pull fetches the artifact at digest ref (REGISTRY/REPO@sha256:...) and its
// attestation, checks every blob's digest, the attestation's DSSE signature
// by a key of trusted and its subjects against the layers, and only then
// writes the files under dir. Checking the ledger entry that published it
// is the caller's (it needs the log).
func Pull(ctx context.Context, repo *remote.Repository, dir string, trusted map[string]ed25519.PublicKey) (*Pulled, error) {
	ref := repo.Reference.Reference
	if _, err := digest.Parse(ref); err != nil {
		return nil, fmt.Errorf("%w: pull by digest (REPO@sha256:...), not %q", ErrVerify, ref)
	}
	man, body, err := oras.FetchBytes(ctx, repo, ref, oras.DefaultFetchBytesOptions)
	if err != nil {
		return nil, fmt.Errorf("fetch the artifact manifest %s: %w", ref, err)
	}
	if man.Digest.String() != ref {
		return nil, fmt.Errorf("%w: the registry answered manifest %s for %s", ErrVerify, man.Digest, ref)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(body, &m); err != nil || m.ArtifactType != ArtifactType {
		return nil, fmt.Errorf("%w: %s is not an Assay package artifact (%v)", ErrVerify, ref, err)
	}
	// Every layer is streamed to a temporary file in dir and checked
	// against its digest (a package may be larger than memory); the files
	// get their names only once everything verified.
	var temps []string
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp) // gone already once renamed
		}
	}()
	for _, l := range m.Layers {
		tmp, err := fetchLayer(ctx, repo, l, dir)
		if tmp != "" {
			temps = append(temps, tmp)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: layer %s (%s): %w", ErrVerify, l.Annotations[AnnotationPath], l.Digest, err)
		}
	}
	st, err := attestation(ctx, repo, man, trusted)
	if err != nil {
		return nil, err
	}
	if err := matchSubjects(st, m.Layers); err != nil {
		return nil, err
	}
	if st.Predicate.ManifestDigest != man.Digest.String() {
		return nil, fmt.Errorf("%w: the attestation is for artifact %s, not %s", ErrVerify, st.Predicate.ManifestDigest, man.Digest)
	}
	out := &Pulled{Manifest: man, Statement: *st}
	for _, l := range m.Layers {
		p := l.Annotations[AnnotationPath]
		full := filepath.Join(dir, filepath.FromSlash(p))
		if !filepath.IsLocal(filepath.FromSlash(p)) {
			return nil, fmt.Errorf("%w: layer path %q leaves the output directory", ErrVerify, p)
		}
		out.Files = append(out.Files, full)
	}
	for i := range m.Layers {
		if err := os.MkdirAll(filepath.Dir(out.Files[i]), 0o755); err != nil {
			return nil, err
		}
		if err := os.Rename(temps[i], out.Files[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fetchLayer streams layer l into a new temporary file in dir, checking
// its size and digest; it returns the file's path (to remove on error).
func fetchLayer(ctx context.Context, repo *remote.Repository, l ocispec.Descriptor, dir string) (string, error) {
	rc, err := repo.Fetch(ctx, l)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	f, err := os.CreateTemp(dir, ".layer-*")
	if err != nil {
		return "", err
	}
	defer f.Close()
	vr := content.NewVerifyReader(rc, l)
	if _, err := io.Copy(f, vr); err != nil {
		return f.Name(), err
	}
	if err := vr.Verify(); err != nil {
		return f.Name(), err
	}
	return f.Name(), f.Close()
}

// attestation finds the artifact's attestation among its referrers and
// returns its statement once its signature verifies.
func attestation(ctx context.Context, repo *remote.Repository, man ocispec.Descriptor, trusted map[string]ed25519.PublicKey) (*Statement, error) {
	var found []ocispec.Descriptor
	err := repo.Referrers(ctx, man, AttestationType, func(rs []ocispec.Descriptor) error {
		found = append(found, rs...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the referrers of %s: %w", man.Digest, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: artifact %s has no attestation (no referrer of type %s)", ErrVerify, man.Digest, AttestationType)
	}
	var last error
	for _, r := range found {
		st, err := readAttestation(ctx, repo, r, trusted)
		if err == nil {
			return st, nil
		}
		last = err
	}
	return nil, last
}

func readAttestation(ctx context.Context, repo *remote.Repository, r ocispec.Descriptor, trusted map[string]ed25519.PublicKey) (*Statement, error) {
	body, err := content.FetchAll(ctx, repo, r)
	if err != nil {
		return nil, fmt.Errorf("%w: attestation manifest %s: %w", ErrVerify, r.Digest, err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(body, &m); err != nil || len(m.Layers) != 1 {
		return nil, fmt.Errorf("%w: attestation manifest %s holds no envelope", ErrVerify, r.Digest)
	}
	raw, err := content.FetchAll(ctx, repo, m.Layers[0])
	if err != nil {
		return nil, fmt.Errorf("%w: attestation envelope: %w", ErrVerify, err)
	}
	var env verifier.DSSEEnvelope
	if err := json.Unmarshal(raw, &env); err != nil || env.PayloadType != PayloadType {
		return nil, fmt.Errorf("%w: the attestation is not a DSSE envelope of an in-toto Statement", ErrVerify)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: attestation payload: %w", ErrVerify, err)
	}
	if err := verifier.VerifyDSSE(PayloadType, payload, env.Signatures, trusted); err != nil {
		return nil, fmt.Errorf("%w: the attestation's signature: %w", ErrVerify, err)
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil || st.Type != StatementType || st.PredicateType != PredicateType {
		return nil, fmt.Errorf("%w: the attestation is not an Assay publish Statement", ErrVerify)
	}
	return &st, nil
}

// matchSubjects demands the statement's subjects be exactly the layers:
// the same paths with the same sha256.
func matchSubjects(st *Statement, layers []ocispec.Descriptor) error {
	want := map[string]string{}
	for _, l := range layers {
		want[l.Annotations[AnnotationPath]] = l.Digest.Encoded()
	}
	got := map[string]string{}
	for _, s := range st.Subject {
		got[s.Name] = s.Digest["sha256"]
	}
	if len(got) != len(want) {
		return fmt.Errorf("%w: the attestation names %d files, the artifact holds %d", ErrVerify, len(got), len(want))
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if got[n] != want[n] {
			return fmt.Errorf("%w: the attestation gives %s sha256 %q, the artifact's layer has %s", ErrVerify, n, got[n], want[n])
		}
	}
	return nil
}

// Subjects returns the statement subjects of files.
func Subjects(files []File) []Subject {
	out := make([]Subject, 0, len(files))
	for _, f := range files {
		out = append(out, Subject{Name: f.Path, Digest: map[string]string{"sha256": strings.TrimPrefix(f.Digest, "sha256:")}})
	}
	return out
}

// ParseRef splits REGISTRY/REPO:TAG into the repository and the tag.
func ParseRef(s string) (repo, tag string, err error) {
	r, err := registry.ParseReference(s)
	if err != nil {
		return "", "", err
	}
	if _, err := digest.Parse(r.Reference); err == nil || r.Reference == "" {
		return "", "", fmt.Errorf("%q: publish to a tag, REGISTRY/REPO:TAG", s)
	}
	return r.Registry + "/" + r.Repository, r.Reference, nil
}
