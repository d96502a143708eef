package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/oci"
	"github.com/assay-ledger/assay/witness"
)

// ociFlags are serve's flags for publishing packages to OCI registries.
type ociFlags struct {
	keyFile   string
	plainHTTP bool
	signer    note.Signer
}

func (o *ociFlags) flags(f *pflag.FlagSet) {
	f.StringVar(&o.keyFile, "oci-signing-key", envOr("ASSAY_OCI_SIGNING_KEY", ""),
		"enable POST /v1/packages/{id}/publish, signing each attestation with this note private key (NAME.key from `assay keys generate`; the DSSE keyid is NAME) [ASSAY_OCI_SIGNING_KEY]")
	f.BoolVar(&o.plainHTTP, "oci-plain-http", false, "allow plain HTTP to registries that are not on a loopback address (loopback ones always may)")
}

// check loads the signing key before anything is written.
func (o *ociFlags) check() error {
	if o.keyFile == "" {
		return nil
	}
	b, err := os.ReadFile(o.keyFile)
	if err != nil {
		return fmt.Errorf("--oci-signing-key: %w", err)
	}
	if o.signer, err = note.NewSigner(strings.TrimSpace(string(b))); err != nil {
		return fmt.Errorf("--oci-signing-key %s: not a note private key: %w", o.keyFile, err)
	}
	return nil
}

// register sets the server's publisher when a signing key is configured.
func (o *ociFlags) register(api *httpapi.Server, lg *ledger.Log, store cas.Store, prom *promotion.Service, wsvc *witness.Service) error {
	if o.signer == nil {
		return nil
	}
	cat := catalog.New(lg)
	api.SetPublisher(func(ctx context.Context, tenant, actor, id, to string) (*wire.PublishResult, error) {
		repoRef, tag, err := oci.ParseRef(to)
		if err != nil {
			return nil, httpapi.NewProblem(http.StatusBadRequest, wire.TypeInvalidBody, "to %q: %v", to, err)
		}
		body, pkg, err := cat.Manifest(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		var m catalog.Manifest
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		var files []oci.File
		var promotions []uint64
		for _, f := range m.Files {
			idx, err := goldenIndex(ctx, prom, tenant, "packages/"+pkg.ID+"/"+f.Path, f.Digest)
			if err != nil {
				return nil, err
			}
			promotions = append(promotions, idx)
			d, err := cas.ParseDigest(f.Digest)
			if err != nil {
				return nil, err
			}
			files = append(files, oci.File{Path: f.Path, MediaType: f.MediaType, Digest: f.Digest, Size: f.Size,
				Open: func() (io.ReadCloser, error) { return store.Get(ctx, d, 0, -1) }})
		}
		cp := lg.Checkpoint()
		if wsvc != nil {
			if w := wsvc.Checkpoint(); w != nil {
				cp = w
			}
		}
		st := oci.Statement{Type: oci.StatementType, Subject: oci.Subjects(files), PredicateType: oci.PredicateType,
			Predicate: oci.Predicate{PackageID: pkg.ID, Promotions: promotions, Checkpoint: string(cp)}}
		repo, err := oci.Repository(repoRef+":"+tag, o.plainHTTP)
		if err != nil {
			return nil, httpapi.NewProblem(http.StatusBadRequest, wire.TypeInvalidBody, "%v", err)
		}
		pub, err := oci.Push(ctx, repo, tag, pkg.ID, body, files, st, o.signer)
		if err != nil {
			return nil, httpapi.NewProblem(http.StatusBadGateway, wire.TypeRegistryFailed, "publish to %s: %v", to, err)
		}
		reg, repository, _ := strings.Cut(repoRef, "/")
		a, err := lg.AppendJSON(ctx, catalog.TypePackagePublished, actor, tenant, catalog.PackagePublished{PackageID: pkg.ID, Registry: reg,
			Repository: repository, Tag: tag, ManifestDigest: pub.Manifest.Digest.String(), AttestationDigest: pub.Attestation.Digest.String(), Promotions: promotions})
		if err != nil {
			return nil, err
		}
		return &wire.PublishResult{Index: a.Record.Index, Reference: repoRef + "@" + pub.Manifest.Digest.String(), Tag: tag,
			ManifestDigest: pub.Manifest.Digest.String(), AttestationDigest: pub.Attestation.Digest.String(), Promotions: promotions}, nil
	})
	return nil
}

// goldenIndex returns the ledger index of the promotion step that placed
// the raw object key in golden with digest, or a 409 package-not-golden
// problem.
func goldenIndex(ctx context.Context, prom *promotion.Service, tenant, key, digest string) (uint64, error) {
	st, err := prom.ObjectStatus(ctx, tenant, catalog.ZoneRaw, key)
	if err != nil && !errors.Is(err, catalog.ErrObjectNotFound) {
		return 0, err
	}
	if st != nil {
		for i := len(st.Steps) - 1; i >= 0; i-- {
			s := st.Steps[i]
			if s.Zone == catalog.ZoneGolden && (st.Object == nil || st.Object.Digest == digest) {
				return s.Index, nil
			}
		}
	}
	return 0, httpapi.NewProblem(http.StatusConflict, wire.TypePackageNotGolden, "file %s of the package is not golden: promote raw/%s first", strings.TrimPrefix(key, "packages/"), key)
}
