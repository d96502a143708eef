// Package bundle writes, verifies and imports air-gap bundles: one tar file
// compressed with zstd that carries entries [From, To) of a log with what an
// offline site needs to check them against the log's signing key alone.
//
// # Format
//
// The members stand in this order, each exactly once:
//
//	header.json       {"format":"assay-bundle/1","origin":…,"from":A,"to":B}
//	checkpoint        the log's signed checkpoint note at size B
//	base-range.json   ["hex",…] the compact range of the tree [0, A):
//	                  the perfect subtrees that let a verifier extend the
//	                  tree at A with the bundle's entries
//	consistency.json  ["hex",…] the RFC 6962 consistency proof from A to B
//	blobs/<hex>       zero or more: the content of each blob the entries name
//	                  (sha256:<hex> values, and cas:// URIs as resolved in
//	                  the header's "cas"), in increasing order, when the
//	                  header says "blobs": true
//	entries           B-A entries, each a big-endian uint32 length and the
//	                  entry's bytes
//	manifest.json     {"files":{"<member>":"sha256:<hex>",…}} for every
//	                  member above
//
// A bundle verifies when every digest in the manifest matches, the
// checkpoint is signed by the trusted key, the base range and the entries
// hash to the checkpoint's root, the consistency proof holds between the
// base range's root and the checkpoint's, every entry carries its index, each
// blob hashes to its name, and, in a bundle with blobs, every digest an entry
// names is carried or listed in the header's "missing" (an export made with
// --allow-missing says so there).
// Bundles chain: 0->B, then B->C, each importable on the last.
package bundle

import (
	"errors"
	"strings"

	"github.com/assay-ledger/assay/ledger"
)

// Format names this version of the layout in header.json.
const Format = "assay-bundle/1"

// Member names, in the order they stand in a bundle.
const (
	memberHeader      = "header.json"
	memberCheckpoint  = "checkpoint"
	memberBaseRange   = "base-range.json"
	memberConsistency = "consistency.json"
	memberEntries     = "entries"
	blobPrefix        = "blobs/"
	memberManifest    = "manifest.json"
)

var memberOrder = []string{memberHeader, memberCheckpoint, memberBaseRange, memberConsistency, memberEntries, memberManifest}

// Limits on what a reader accepts before it has verified anything.
const (
	maxSmallMember = 1 << 20 // header, checkpoint, base range, proof, manifest
	// DefaultMaxBytes caps the decompressed size of a whole bundle.
	DefaultMaxBytes = 64 << 30
)

// ErrInvalid reports a bundle that is malformed, tampered with, or does not
// verify; nothing is imported from it.
var ErrInvalid = errors.New("invalid bundle")

// Header is the bundle's header.json.
type Header struct {
	Format string `json:"format"`
	Origin string `json:"origin"`
	From   uint64 `json:"from"`
	To     uint64 `json:"to"`
	// Blobs says the bundle carries the blobs its entries name; Missing lists
	// (sorted) the digests it names but does not carry.
	Blobs   bool     `json:"blobs,omitempty"`
	Missing []string `json:"missing,omitempty"`
	// CAS says what each cas:// URI an entry names resolved to: the digest
	// of a carried blob, or "" when it could not be (--allow-missing).
	CAS []CASRef `json:"cas,omitempty"`
}

// CASRef is a cas:// URI as named by an entry of a tenant; in a header, with
// the digest (lower-case hex) of the object it named at export time. A
// cas://KEY names the object KEY in the raw zone of the entry's tenant.
type CASRef struct {
	Tenant string `json:"tenant"`
	URI    string `json:"uri"`
	Digest string `json:"digest"`
}

func compareCAS(a, b CASRef) int {
	if c := strings.Compare(a.Tenant, b.Tenant); c != 0 {
		return c
	}
	return strings.Compare(a.URI, b.URI)
}

// casRefs lists the cas:// URIs an entry names, with its tenant.
func casRefs(entry []byte) []CASRef {
	uris := ledger.EntryCASRefs(entry)
	if len(uris) == 0 {
		return nil
	}
	rec, err := ledger.ParseRecord(entry)
	if err != nil {
		return nil // not an entry: the verification refuses it on its own
	}
	out := make([]CASRef, len(uris))
	for i, u := range uris {
		out[i] = CASRef{Tenant: rec.Tenant, URI: u}
	}
	return out
}

// manifest is the bundle's manifest.json.
type manifest struct {
	Files map[string]string `json:"files"`
}
