package wire

import (
	"encoding/json"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// Problem types of the catalog routes. Each bad input has its own.
const (
	TypePathEmpty          = ProblemBase + "invalid-path-empty"
	TypePathAbsolute       = ProblemBase + "invalid-path-absolute"
	TypePathDotDot         = ProblemBase + "invalid-path-dotdot"
	TypePathBackslash      = ProblemBase + "invalid-path-backslash"
	TypePathControl        = ProblemBase + "invalid-path-control-character"
	TypePathUnclean        = ProblemBase + "invalid-path-unclean"
	TypePathReserved       = ProblemBase + "reserved-key"
	TypeDuplicatePath      = ProblemBase + "duplicate-path"
	TypePackageFinalized   = ProblemBase + "package-finalized"
	TypePackageNotFound    = ProblemBase + "package-not-found"
	TypePackageNotFinal    = ProblemBase + "package-not-finalized"
	TypeStaleManifest      = ProblemBase + "stale-manifest"
	TypeFileNotFound       = ProblemBase + "file-not-found"
	TypeObjectNotFound     = ProblemBase + "object-not-found"
	TypeUnknownZone        = ProblemBase + "unknown-zone"
	TypeDigestMismatch     = ProblemBase + "digest-mismatch"
	TypeInvalidDigest      = ProblemBase + "invalid-digest"
	TypeUnknownRetention   = ProblemBase + "unknown-retention-class"
	TypeMetadataTooLarge   = ProblemBase + "metadata-too-large"
	TypeMetadataNotJSON    = ProblemBase + "metadata-not-json"
	TypeInvalidField       = ProblemBase + "invalid-field"
	TypeInvalidMultipart   = ProblemBase + "invalid-multipart"
	TypeInvalidCursor      = ProblemBase + "invalid-cursor"
	TypeRangeNotSatisfied  = ProblemBase + "range-not-satisfiable"
	TypeStorageUnavailable = ProblemBase + "storage-unavailable"
	TypeStorageFull        = ProblemBase + "storage-full"
	TypeStorageWriteFailed = ProblemBase + "storage-write-failed"
	TypeBlobMissing        = ProblemBase + "blob-missing"
)

// CASObject is what a cas:// URI of a tenant names now: the raw object with
// that key, by digest and size (GET /v1/cas/{tenant}/{key}).
type CASObject struct {
	Tenant string `json:"tenant"`
	URI    string `json:"uri"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// CreatePackageRequest is the body of POST /v1/packages. Any other members
// (repo_slug, source_commits, tool_versions, ...) are kept as the package's
// open attributes.
type CreatePackageRequest struct {
	Name           string          `json:"name"`
	Producer       string          `json:"producer,omitempty"`
	Subject        string          `json:"subject,omitempty"`
	RunID          string          `json:"run_id,omitempty"`
	RetentionClass string          `json:"retention_class"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
}

// PackagesPage is the body of GET /v1/packages.
type PackagesPage struct {
	Packages   []catalog.Package `json:"packages"`
	NextCursor string            `json:"next_cursor"`
}

// Headers of uploads. DigestHeader and, on a multipart part, PathHeader
// and Content-Type describe one file; MetadataHeader carries an object's
// metadata as a JSON object. DigestHeader, SourceHeader, CommitHeader,
// TierHeader and CustodyHeader are the landing metadata (catalog.Landing)
// of a PUT by key or of one multipart part: the expected digest is enforced
// (other bytes are refused with digest-mismatch, nothing stored or logged)
// and all of them are recorded in the entry and the object.
const (
	DigestHeader   = "X-Assay-Digest"   // expected "sha256:<hex>" of the bytes
	PathHeader     = "X-Assay-Path"     // a part's path, when its filename cannot carry directories
	MetadataHeader = "X-Assay-Metadata" // JSON object
	FilePartName   = "file"             // form field name of file parts
	SourceHeader   = "X-Assay-Source"   // where the bytes come from (a repository, a pipeline), up to 256 bytes
	CommitHeader   = "X-Assay-Commit"   // the commit they were built from, 7 to 64 lower-case hex digits
	TierHeader     = "X-Assay-Tier"     // the verification tier they are meant to pass (basic, signed, ...)
	CustodyHeader  = "X-Assay-Custody"  // a chain-of-custody reference; repeatable, at most 16
)

// UploadResult is the body of a successful POST /v1/packages/{id}/files.
type UploadResult struct {
	Files []catalog.File `json:"files"`
}

// ManifestDigestHeader carries the manifest digest logged at finalize;
// ManifestIndexHeader the index of that package.finalized entry.
const (
	ManifestDigestHeader = "Assay-Manifest-Digest"
	ManifestIndexHeader  = "Assay-Finalized-Index"
)
