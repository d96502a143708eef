package catalog

import (
	"encoding/json"
	"errors"
	"time"
)

// Entry types of the catalog.
const (
	TypePackageCreated   = "package.created"
	TypeFileAdded        = "file.added"
	TypePackageFinalized = "package.finalized"
	TypeObjectPut        = "object.put"
	TypeObjectRead       = "object.read"
)

// Zones an object may live in. Objects are put by key in ZoneRaw only;
// the others are filled by promotion.
const (
	ZoneRaw        = "raw"
	ZoneQuarantine = "quarantine"
	ZoneGolden     = "golden"
	ZoneArchive    = "archive"
)

// Package statuses.
const (
	StatusOpen      = "open"
	StatusFinalized = "finalized"
)

// Sentinel errors of the catalog; appliers return them (wrapped) to reject
// an entry and the HTTP layer maps each to its problem type.
var (
	ErrPackageNotFound  = errors.New("package not found")
	ErrPackageExists    = errors.New("package id already used")
	ErrPackageFinalized = errors.New("package is finalized")
	ErrDuplicatePath    = errors.New("duplicate path in package")
	ErrFileNotFound     = errors.New("file not found")
	ErrObjectNotFound   = errors.New("object not found")
	ErrUnknownZone      = errors.New("unknown zone")
	ErrStaleManifest    = errors.New("manifest does not match the package's files")
	ErrInvalidBody      = errors.New("invalid catalog entry body")
)

// Zones lists the zones in their fixed order.
func Zones() []string { return []string{ZoneRaw, ZoneQuarantine, ZoneGolden, ZoneArchive} }

// ObjectRef names stored bytes: where the object lives (zone, key) and what
// it holds (digest, size, BLAKE3, media type).
type ObjectRef struct {
	Zone      string `json:"zone"`
	Key       string `json:"key"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	BLAKE3    string `json:"blake3"`
	MediaType string `json:"media_type"`
}

// PackageCreated is the body of a package.created entry. Expiry is the
// entry's time plus Retention.Duration, so it is fixed at creation.
type PackageCreated struct {
	PackageID  string          `json:"package_id"`
	Name       string          `json:"name"`
	Producer   string          `json:"producer"`
	Subject    string          `json:"subject"`
	RunID      string          `json:"run_id,omitempty"`
	Retention  Retention       `json:"retention"`
	Metadata   json.RawMessage `json:"metadata,omitempty"`
	Attributes json.RawMessage `json:"attributes,omitempty"`
}

// FileAdded is the body of a file.added entry.
type FileAdded struct {
	PackageID string `json:"package_id"`
	FileID    string `json:"file_id"`
	Path      string `json:"path"`
	ObjectRef
	Landing *Landing `json:"landing,omitempty"`
}

// PackageFinalized is the body of a package.finalized entry: the digest of
// the manifest the server built and the file count it was built from.
type PackageFinalized struct {
	PackageID      string `json:"package_id"`
	ManifestDigest string `json:"manifest_digest"`
	FileCount      int    `json:"file_count"`
	TotalSize      int64  `json:"total_size"`
}

// ObjectPut is the body of an object.put entry: the provenance record of
// an object put by key.
type ObjectPut struct {
	ObjectRef
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Landing  *Landing        `json:"landing,omitempty"`
	// External, set by intake, is the bucket object version the bytes
	// were read from.
	External *External `json:"external,omitempty"`
}

// ObjectRead is the body of an object.read data event.
type ObjectRead struct {
	Zone      string `json:"zone"`
	Key       string `json:"key"`
	Digest    string `json:"digest"`
	Version   uint64 `json:"version"`
	PackageID string `json:"package_id,omitempty"`
	FileID    string `json:"file_id,omitempty"`
	Offset    int64  `json:"offset"`
	Length    int64  `json:"length"`
}

// Package is the projected state of a package.
type Package struct {
	ID             string          `json:"id"`
	Tenant         string          `json:"tenant"`
	Name           string          `json:"name"`
	Producer       string          `json:"producer"`
	Subject        string          `json:"subject"`
	RunID          string          `json:"run_id,omitempty"`
	Retention      Retention       `json:"retention"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	Attributes     json.RawMessage `json:"attributes,omitempty"`
	Status         string          `json:"status"`
	CreatedAt      time.Time       `json:"created_at"`
	CreatedBy      string          `json:"created_by"`
	CreatedIndex   uint64          `json:"created_index"`
	FileCount      int             `json:"file_count"`
	TotalSize      int64           `json:"total_size"`
	FinalizedAt    *time.Time      `json:"finalized_at,omitempty"`
	FinalizedIndex uint64          `json:"finalized_index,omitempty"`
	ManifestDigest string          `json:"manifest_digest,omitempty"`
}

// File is the projected state of a file in a package.
type File struct {
	FileID    string `json:"file_id"`
	PackageID string `json:"package_id"`
	Path      string `json:"path"`
	ObjectRef
	AddedAt time.Time `json:"added_at"`
	AddedBy string    `json:"added_by"`
	Index   uint64    `json:"index"`
}

// Object is the current version of an object. Version is the log index of
// the entry that put it; Versions counts the puts of the key so far.
type Object struct {
	Tenant string `json:"tenant"`
	ObjectRef
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	Version   uint64          `json:"version"`
	Versions  int             `json:"versions"`
	PutAt     time.Time       `json:"put_at"`
	PutBy     string          `json:"put_by"`
	PackageID string          `json:"package_id,omitempty"`
	FileID    string          `json:"file_id,omitempty"`
	Landing   *Landing        `json:"landing,omitempty"` // raw objects: what the producer declared at landing
}

// Blob is what the catalog knows about stored bytes: the digests recorded
// when they were put and how many objects reference them.
type Blob struct {
	Size   int64  `json:"size"`
	BLAKE3 string `json:"blake3"`
	Refs   int    `json:"refs"`
}
