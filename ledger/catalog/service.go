package catalog

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode"

	"github.com/assay-ledger/assay/cas"
)

// MaxMetadata bounds the encoded metadata (with the open attributes) of a
// package or an object, so that every entry stays far below
// ledger.MaxEntrySize.
const MaxMetadata = 16 << 10

// maxField bounds the name, producer, subject and run id of a package.
const maxField = 256

// Errors of request validation.
var (
	ErrMetadataTooLarge = errors.New("metadata too large")
	ErrMetadataNotJSON  = errors.New("metadata is not a JSON object")
	ErrInvalidField     = errors.New("invalid field")
	// ErrStore wraps every error of the content store, so that callers
	// can tell a failed write from a rejected entry.
	ErrStore = errors.New("content store")
)

// Service changes the catalog: it validates requests, stores bytes and
// appends the entries. Bytes go to the store first and the entry second, so
// a registered object always has durable bytes; an entry the log then
// rejects (a package finalized meanwhile) leaves an unreferenced blob,
// which the deduplicating store keeps and a later put of the same bytes
// reuses. A store failure appends nothing.
type Service struct {
	Catalog    *Catalog
	Store      cas.Store
	Classes    Classes
	ReadEvents bool // append an object.read entry for every download
	// Withheld, when set, says whether every reference to the blob with
	// the given digest belongs to a deleted package (package
	// ledger/retention): its bytes are in the store's trash or purged, and
	// Scrub does not expect them.
	Withheld func(digest string) (bool, error)
	// FileAdded, when set, runs after a file.added entry is durable, with
	// the tenant and the new file: the retention domain locks the file's
	// blob in the store when its package is in compliance mode or held
	// (Service.FileAdded of package ledger/retention). Its error is
	// AddFile's; the entry stands.
	FileAdded func(ctx context.Context, tenant string, f *File) error
	// ObjectPut, when set, runs after an object.put entry of PutObject is
	// durable, with the tenant and the object: the retention domain brings
	// back bytes a collection of unreferenced blobs was moving to the trash
	// (Deleter.ObjectPut of package ledger/retention). Its error is
	// PutObject's; the entry stands.
	ObjectPut func(ctx context.Context, tenant string, o *Object) error
}

// NewID returns a fresh id with the given prefix ("pkg" or "file").
func NewID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + "_" + hex.EncodeToString(b[:])
}

// CheckMetadata checks that raw is a JSON object (or empty) and returns it
// compacted.
func CheckMetadata(raw []byte) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	if len(raw) > MaxMetadata {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrMetadataTooLarge, len(raw), MaxMetadata)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil || buf.Bytes()[0] != '{' {
		return nil, fmt.Errorf("%w: want a JSON object such as {\"ci\":\"github\"}", ErrMetadataNotJSON)
	}
	return buf.Bytes(), nil
}

// CreateRequest is a new package as a client describes it.
type CreateRequest struct {
	Name, Producer, Subject, RunID, RetentionClass string
	Metadata, Attributes                           json.RawMessage
}

func checkField(name, v string, required bool) error {
	if required && v == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalidField, name)
	}
	if len(v) > maxField {
		return fmt.Errorf("%w: %s is %d bytes, limit %d", ErrInvalidField, name, len(v), maxField)
	}
	for _, r := range v {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%w: %s has a control or invalid character", ErrInvalidField, name)
		}
	}
	return nil
}

// CreatePackage appends package.created for a new package of tenant.
func (s *Service) CreatePackage(ctx context.Context, actor, tenant string, req CreateRequest) (*Package, error) {
	for _, f := range []struct {
		name, v string
		req     bool
	}{{"name", req.Name, true}, {"producer", req.Producer, false}, {"subject", req.Subject, false}, {"run_id", req.RunID, false}} {
		if err := checkField(f.name, f.v, f.req); err != nil {
			return nil, err
		}
	}
	if len(req.Metadata)+len(req.Attributes) > MaxMetadata {
		return nil, fmt.Errorf("%w: %d bytes of metadata and attributes, limit %d", ErrMetadataTooLarge, len(req.Metadata)+len(req.Attributes), MaxMetadata)
	}
	ret, err := s.Classes.Lookup(req.RetentionClass)
	if err != nil {
		return nil, err
	}
	body := PackageCreated{PackageID: NewID("pkg"), Name: req.Name, Producer: req.Producer, Subject: req.Subject,
		RunID: req.RunID, Retention: ret, Metadata: req.Metadata, Attributes: req.Attributes}
	if _, err := s.Catalog.log.AppendJSON(ctx, TypePackageCreated, actor, tenant, body); err != nil {
		return nil, err
	}
	return s.Catalog.Package(tenant, body.PackageID)
}

// PrecheckFile says whether path may be added to the tenant's package id
// now, before any byte is stored. The applier checks again when the entry
// is appended.
func (s *Service) PrecheckFile(tenant, id, path string) error {
	if err := ValidatePath(path); err != nil {
		return err
	}
	p, err := s.Catalog.Package(tenant, id)
	if err != nil {
		return err
	}
	if p.Status == StatusFinalized {
		return fmt.Errorf("%w: %s was finalized at index %d", ErrPackageFinalized, id, p.FinalizedIndex)
	}
	dup, err := s.Catalog.HasFile(id, path)
	if err == nil && dup {
		err = fmt.Errorf("%w: %q is already in package %s", ErrDuplicatePath, shorten(path), id)
	}
	return err
}

// AddFile stores r (checked against land.ExpectedDigest when set: other
// bytes are refused and not kept) and appends file.added for path in the
// tenant's package id, with the landing metadata land.
func (s *Service) AddFile(ctx context.Context, actor, tenant, id, path, mediaType string, land Landing, r io.Reader) (*File, error) {
	if err := s.PrecheckFile(tenant, id, path); err != nil {
		return nil, err
	}
	info, err := s.land(ctx, land, r)
	if err != nil {
		return nil, err
	}
	body := FileAdded{PackageID: id, FileID: NewID("file"), Path: path, ObjectRef: ObjectRef{Zone: ZoneRaw,
		Key: PackageKey(id, path), Digest: info.Digest.String(), Size: info.Size, BLAKE3: info.BLAKE3, MediaType: mediaType},
		Landing: landingOf(land)}
	a, err := s.Catalog.log.AppendJSON(ctx, TypeFileAdded, actor, tenant, body)
	if err != nil {
		return nil, err
	}
	f := &File{FileID: body.FileID, PackageID: id, Path: path, ObjectRef: body.ObjectRef,
		AddedAt: a.Record.Time, AddedBy: actor, Index: a.Record.Index}
	if s.FileAdded != nil {
		if err := s.FileAdded(ctx, tenant, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Finalize builds the manifest of the tenant's package id and appends
// package.finalized with its digest. A file added between the build and
// the append makes the applier refuse the finalize (ErrStaleManifest).
func (s *Service) Finalize(ctx context.Context, actor, tenant, id string) (*Package, error) {
	p, err := s.Catalog.Package(tenant, id)
	if err != nil {
		return nil, err
	}
	if p.Status == StatusFinalized {
		return nil, fmt.Errorf("%w: %s was finalized at index %d", ErrPackageFinalized, id, p.FinalizedIndex)
	}
	files, err := s.Catalog.Files(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	_, digest, err := BuildManifest(p, files)
	if err != nil {
		return nil, err
	}
	body := PackageFinalized{PackageID: id, ManifestDigest: digest, FileCount: p.FileCount, TotalSize: p.TotalSize}
	if _, err := s.Catalog.log.AppendJSON(ctx, TypePackageFinalized, actor, tenant, body); err != nil {
		return nil, err
	}
	return s.Catalog.Package(tenant, id)
}

// PutObject stores r and appends object.put for raw/key, making a new
// version of the key, with the landing metadata land (its expected digest
// enforced as AddFile does).
func (s *Service) PutObject(ctx context.Context, actor, tenant, key, mediaType string, metadata json.RawMessage, land Landing, r io.Reader) (*Object, error) {
	if err := CheckObjectKey(key); err != nil {
		return nil, err
	}
	info, err := s.land(ctx, land, r)
	if err != nil {
		return nil, err
	}
	ref := ObjectRef{Zone: ZoneRaw, Key: key, Digest: info.Digest.String(), Size: info.Size, BLAKE3: info.BLAKE3, MediaType: mediaType}
	body := ObjectPut{ObjectRef: ref, Metadata: metadata, Landing: landingOf(land)}
	if _, err := s.Catalog.log.AppendJSON(ctx, TypeObjectPut, actor, tenant, body); err != nil {
		return nil, err
	}
	o, err := s.Catalog.Object(tenant, ZoneRaw, key)
	if err == nil && s.ObjectPut != nil {
		err = s.ObjectPut(ctx, tenant, o)
	}
	if err != nil {
		return nil, err
	}
	return o, nil
}

// land checks the landing metadata and stores r, which must hash to its
// expected digest when one is given: the store then refuses other bytes
// (cas.ErrDigestMismatch) without keeping them.
func (s *Service) land(ctx context.Context, land Landing, r io.Reader) (cas.Info, error) {
	if err := CheckLanding(&land); err != nil {
		return cas.Info{}, err
	}
	var expected cas.Digest
	if land.ExpectedDigest != "" {
		d, err := cas.ParseDigest(land.ExpectedDigest)
		if err != nil {
			return cas.Info{}, err
		}
		expected = d
	}
	info, err := s.Store.Put(ctx, r, expected)
	if err != nil {
		return cas.Info{}, fmt.Errorf("%w: %w", ErrStore, err)
	}
	return info, nil
}

// Read logs an object.read data event when ReadEvents is set.
func (s *Service) Read(ctx context.Context, actor, tenant string, ev ObjectRead) error {
	if !s.ReadEvents {
		return nil
	}
	_, err := s.Catalog.log.AppendJSON(ctx, TypeObjectRead, actor, tenant, ev)
	return err
}
