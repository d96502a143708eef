package catalog

import (
	"syscall"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
)

// Module is the catalog's domain module: the package, file and object
// entry types with their Appliers, and the errors of the catalog and of the
// content store it writes to, most specific first.
func Module() ledger.Module {
	return ledger.Module{Name: "catalog", Appliers: appliers(), Errors: errorSpecs(), Attrs: attrs}
}

func errorSpecs() []ledger.ErrorSpec {
	return []ledger.ErrorSpec{
		{Err: ErrPathEmpty, Kind: ledger.KindInvalid, Slug: "invalid-path-empty", Title: "Empty path"},
		{Err: ErrPathAbsolute, Kind: ledger.KindInvalid, Slug: "invalid-path-absolute", Title: "Absolute path"},
		{Err: ErrPathDotDot, Kind: ledger.KindInvalid, Slug: "invalid-path-dotdot", Title: "Path with a .. segment"},
		{Err: ErrPathBackslash, Kind: ledger.KindInvalid, Slug: "invalid-path-backslash", Title: "Path with a backslash"},
		{Err: ErrPathControl, Kind: ledger.KindInvalid, Slug: "invalid-path-control-character", Title: "Path with a control character"},
		{Err: ErrPathUnclean, Kind: ledger.KindInvalid, Slug: "invalid-path-unclean", Title: "Path not in clean form"},
		{Err: ErrPathReserved, Kind: ledger.KindInvalid, Slug: "reserved-key", Title: "Reserved key"},
		{Err: ErrDuplicatePath, Kind: ledger.KindConflict, Slug: "duplicate-path", Title: "Duplicate path in package"},
		{Err: ErrExternalRecorded, Kind: ledger.KindConflict, Slug: "external-recorded", Title: "External object version already recorded"},
		{Err: ErrDriftRecorded, Kind: ledger.KindConflict, Slug: "drift-recorded", Title: "Drift already recorded"},
		{Err: ErrPackageFinalized, Kind: ledger.KindConflict, Slug: "package-finalized", Title: "Package finalized"},
		{Err: ErrPackageNotFound, Kind: ledger.KindNotFound, Slug: "package-not-found", Title: "Package not found"},
		{Err: ErrNotFinalized, Kind: ledger.KindConflict, Slug: "package-not-finalized", Title: "Package not finalized"},
		{Err: ErrStaleManifest, Kind: ledger.KindConflict, Slug: "stale-manifest", Title: "Files changed during finalize"},
		{Err: ErrFileNotFound, Kind: ledger.KindNotFound, Slug: "file-not-found", Title: "File not found"},
		{Err: ErrObjectNotFound, Kind: ledger.KindNotFound, Slug: "object-not-found", Title: "Object not found"},
		{Err: ErrUnknownZone, Kind: ledger.KindInvalid, Slug: "unknown-zone", Title: "Unknown zone"},
		{Err: ErrUnknownRetention, Kind: ledger.KindInvalid, Slug: "unknown-retention-class", Title: "Unknown retention class"},
		{Err: ErrMetadataTooLarge, Kind: ledger.KindTooLarge, Slug: "metadata-too-large", Title: "Metadata too large"},
		{Err: ErrMetadataNotJSON, Kind: ledger.KindInvalid, Slug: "metadata-not-json", Title: "Metadata is not JSON"},
		{Err: ErrInvalidField, Kind: ledger.KindInvalid, Slug: "invalid-field", Title: "Invalid field"},
		{Err: ErrInvalidCursor, Kind: ledger.KindInvalid, Slug: "invalid-cursor", Title: "Invalid cursor"},
		{Err: cas.ErrDigestMismatch, Kind: ledger.KindUnprocessable, Slug: "digest-mismatch", Title: "Digest mismatch"},
		{Err: cas.ErrInvalidDigest, Kind: ledger.KindInvalid, Slug: "invalid-digest", Title: "Invalid digest"},
		{Err: cas.ErrInvalidRange, Kind: ledger.KindRangeNotSatisfiable, Slug: "range-not-satisfiable", Title: "Range not satisfiable"},
		{Err: cas.ErrUnavailable, Kind: ledger.KindUnavailable, Slug: "storage-unavailable", Title: "Storage backend unavailable"},
		{Err: cas.ErrNotFound, Kind: ledger.KindInternal, Slug: "blob-missing", Title: "Blob missing from the store"},
		{Err: syscall.ENOSPC, Kind: ledger.KindStorageFull, Slug: "storage-full", Title: "Storage full"},
		{Err: syscall.EDQUOT, Kind: ledger.KindStorageFull, Slug: "storage-full", Title: "Storage full"},
		{Err: syscall.EFBIG, Kind: ledger.KindStorageFull, Slug: "storage-full", Title: "Storage full"},
		{Err: ErrGoldenGate, Kind: ledger.KindForbidden, Slug: "golden-gate", Title: "Only the promotion gate writes golden"},
		{Err: ErrStore, Kind: ledger.KindInternal, Slug: "storage-write-failed", Title: "Storage write failed"},
	}
}
