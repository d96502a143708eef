package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Every entry is indexed by the content digests its type fields name, so an
// auditor can find each entry that references an artifact, a manifest or an
// export's artifactHash. A digest is any JSON string value of the form
// "sha256:<64 hex digits>" (either case, indexed lower case). The index is
// written in the entry's own transaction by the code that appends and
// imports, so replay rebuilds it exactly:
//
//	p digest/<hex>/<index:8>   (empty value)
const digestPrefix = "digest/"

// maxDigestsPerEntry bounds the index keys one entry adds.
const maxDigestsPerEntry = 64

var sha256Marker = []byte(`"sha256:`)

// EntryDigests returns the distinct lower-case hex digests that a JSON
// entry or body names as "sha256:<hex>" string values: what the digest index
// records, and what a bundle with blobs must carry.
func EntryDigests(body []byte) []string {
	var out []string
	for rest := body; len(out) < maxDigestsPerEntry; {
		i := bytes.Index(rest, sha256Marker)
		if i < 0 {
			break
		}
		rest = rest[i+len(sha256Marker):]
		if len(rest) < 65 || rest[64] != '"' {
			continue
		}
		var h [64]byte
		if !lowerHex(&h, rest[:64]) {
			continue
		}
		if !slices.ContainsFunc(out, func(d string) bool { return d == string(h[:]) }) {
			out = append(out, string(h[:]))
		}
		rest = rest[65:]
	}
	return out
}

// lowerHex writes the hex digits of src to dst in lower case, or reports
// false if src has a byte that is not a hex digit.
func lowerHex(dst *[64]byte, src []byte) bool {
	for i, c := range src {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
			dst[i] = c
		case 'A' <= c && c <= 'F':
			dst[i] = c + 'a' - 'A'
		default:
			return false
		}
	}
	return true
}

func digestKey(hexDigest string, index uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(digestPrefix+hexDigest+"/"), index)
}

// indexDigests stages the digest index keys of an accepted record, whose
// body names digests (EntryDigests of it).
func (st *staged) indexDigests(index uint64, digests []string) {
	for _, d := range digests {
		st.set(projKey(digestKey(d, index)), nil)
	}
}

// EntriesWithDigest returns, in log order, up to limit indexes of entries
// that name digest ("sha256:<hex>"), starting after index after (from the
// first when after is nil).
func (l *Log) EntriesWithDigest(ctx context.Context, digest string, after *uint64, limit int) ([]uint64, error) {
	h, ok := bytes.CutPrefix([]byte(digest), []byte("sha256:"))
	if b, err := hex.DecodeString(string(h)); !ok || err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: digest %q is not sha256:<64 hex digits>", ErrInvalidRange, digest)
	}
	prefix := []byte(digestPrefix + string(bytes.ToLower(h)) + "/")
	var from []byte
	if after != nil {
		from = binary.BigEndian.AppendUint64(bytes.Clone(prefix), *after)
	}
	var out []uint64
	err := l.ScanProjections(ctx, prefix, from, func(key, _ []byte) (bool, error) {
		out = append(out, binary.BigEndian.Uint64(key[len(prefix):]))
		return len(out) < limit, nil
	})
	return out, err
}

var casMarker = []byte(`"cas://`)

// EntryCASRefs returns the distinct cas:// URIs that a JSON entry or body
// names as string values (job exports' manifestPath and logsPath): CAS paths
// that an air-gap bundle must resolve. Values with escapes are skipped; the
// export validator refuses them anyway.
func EntryCASRefs(body []byte) []string {
	var out []string
	for rest := body; ; {
		i := bytes.Index(rest, casMarker)
		if i < 0 {
			return out
		}
		rest = rest[i+1:]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			return out
		}
		if v := string(rest[:end]); !strings.ContainsRune(v, '\\') && !slices.Contains(out, v) {
			out = append(out, v)
		}
		rest = rest[end+1:]
	}
}
