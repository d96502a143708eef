package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ManifestVersion is the version of the manifest format below.
const ManifestVersion = 1

// ErrNotFinalized reports a manifest asked of a package still open.
var ErrNotFinalized = errors.New("package not finalized")

// Manifest is what a finalized package holds: its metadata, retention, and
// every file with digests, size and storage reference. Its JSON encoding
// (the struct order, compact) is what the finalize entry's manifest_digest
// hashes; it is a function of the package's frozen projections, so it is
// rebuilt, byte for byte, whenever it is served.
type Manifest struct {
	ManifestVersion int             `json:"manifest_version"`
	Package         ManifestPackage `json:"package"`
	Retention       Retention       `json:"retention"`
	FileCount       int             `json:"file_count"`
	TotalSize       int64           `json:"total_size"`
	Files           []ManifestFile  `json:"files"`
}

// ManifestPackage is the package metadata in a manifest.
type ManifestPackage struct {
	ID           string          `json:"id"`
	Tenant       string          `json:"tenant"`
	Name         string          `json:"name"`
	Producer     string          `json:"producer"`
	Subject      string          `json:"subject"`
	RunID        string          `json:"run_id,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	Attributes   json.RawMessage `json:"attributes,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
	CreatedBy    string          `json:"created_by"`
	CreatedIndex uint64          `json:"created_index"`
}

// ManifestFile is one file in a manifest. Storage names the object and its
// blob by content address, which does not depend on the backend.
type ManifestFile struct {
	FileID     string     `json:"file_id"`
	Path       string     `json:"path"`
	Digest     string     `json:"digest"`
	Size       int64      `json:"size"`
	BLAKE3     string     `json:"blake3"`
	MediaType  string     `json:"media_type"`
	Storage    StorageRef `json:"storage"`
	AddedAt    time.Time  `json:"added_at"`
	AddedIndex uint64     `json:"added_index"`
}

// StorageRef says where a file's bytes are: the object and its blob.
type StorageRef struct {
	Zone string `json:"zone"`
	Key  string `json:"key"`
	Blob string `json:"blob"` // cas://sha256:<hex>
}

// BuildManifest encodes the manifest of p with files (in path order) and
// returns it with its digest "sha256:<hex>".
func BuildManifest(p *Package, files []File) ([]byte, string, error) {
	m := Manifest{ManifestVersion: ManifestVersion, Retention: p.Retention, FileCount: len(files), Files: []ManifestFile{},
		Package: ManifestPackage{ID: p.ID, Tenant: p.Tenant, Name: p.Name, Producer: p.Producer, Subject: p.Subject, RunID: p.RunID,
			Metadata: p.Metadata, Attributes: p.Attributes, CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy, CreatedIndex: p.CreatedIndex}}
	for _, f := range files {
		m.TotalSize += f.Size
		m.Files = append(m.Files, ManifestFile{FileID: f.FileID, Path: f.Path, Digest: f.Digest, Size: f.Size, BLAKE3: f.BLAKE3,
			MediaType: f.MediaType, Storage: StorageRef{Zone: f.Zone, Key: f.Key, Blob: "cas://" + f.Digest},
			AddedAt: f.AddedAt, AddedIndex: f.Index})
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, "", fmt.Errorf("encode manifest: %w", err)
	}
	sum := sha256.Sum256(b)
	return b, "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Manifest returns the manifest of the tenant's finalized package id,
// rebuilt from the projections and checked against the digest logged at
// finalize.
func (c *Catalog) Manifest(ctx context.Context, tenant, id string) ([]byte, *Package, error) {
	p, err := c.Package(tenant, id)
	if err != nil {
		return nil, nil, err
	}
	if p.Status != StatusFinalized {
		return nil, nil, fmt.Errorf("%w: %s is open; finalize it first", ErrNotFinalized, id)
	}
	files, err := c.Files(ctx, tenant, id)
	if err != nil {
		return nil, nil, err
	}
	b, digest, err := BuildManifest(p, files)
	if err != nil {
		return nil, nil, err
	}
	if digest != p.ManifestDigest {
		return nil, nil, fmt.Errorf("manifest of %s rebuilds to %s, but %s was logged at index %d", id, digest, p.ManifestDigest, p.FinalizedIndex)
	}
	return b, p, nil
}
