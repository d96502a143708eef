package bundle

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/assay-ledger/assay/ledger"
)

// Contents is what Write puts in a bundle besides the entries.
type Contents struct {
	Header      Header
	Checkpoint  []byte   // signed note at Header.To
	BaseRange   [][]byte // compact range of [0, Header.From)
	Consistency [][]byte // proof from Header.From to Header.To
	// Resolve, when set, is asked for the blobs the entries name and the
	// bundle then carries them, saying in its header which it does not.
	Resolve func(References) (Resolution, error)
}

// References are what a bundle's entries name: content digests (sorted
// lower-case hex) and cas:// URIs with the tenant of the entry naming them.
type References struct {
	Digests []string
	CAS     []CASRef
}

// Resolution answers References: the blobs to carry (those of resolved
// cas:// URIs included), the digests not available, and every CASRef with
// the digest it resolves to ("" when unresolved).
type Resolution struct {
	Blobs   []Blob
	Missing []string
	CAS     []CASRef
}

// Blob is one blob a bundle carries: its sha256 in lower-case hex, its size
// and how to read it.
type Blob struct {
	Hex  string
	Size int64
	Open func() (io.ReadCloser, error)
}

// Write writes a bundle to w. next yields entries From..To-1 in order and
// io.EOF after the last; they are spooled to a temporary file in tmpDir
// (the system's when empty), so memory stays bounded whatever the count.
func Write(w io.Writer, c Contents, next func() ([]byte, error), tmpDir string) error {
	spool, err := os.CreateTemp(tmpDir, "assay-bundle-entries-*")
	if err != nil {
		return err
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	n, size, refs, err := spoolEntries(spool, next)
	if err != nil {
		return err
	}
	var blobs []Blob
	if c.Resolve != nil {
		res, err := c.Resolve(refs)
		if err != nil {
			return err
		}
		blobs = res.Blobs
		slices.SortFunc(blobs, func(a, b Blob) int { return strings.Compare(a.Hex, b.Hex) })
		blobs = slices.CompactFunc(blobs, func(a, b Blob) bool { return a.Hex == b.Hex })
		slices.Sort(res.Missing)
		slices.SortFunc(res.CAS, compareCAS)
		c.Header.Blobs, c.Header.Missing, c.Header.CAS = true, res.Missing, res.CAS
	}
	if n != c.Header.To-c.Header.From {
		return fmt.Errorf("bundle of [%d, %d) given %d entries", c.Header.From, c.Header.To, n)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	zw, err := zstd.NewWriter(w)
	if err != nil {
		return err
	}
	tw := &tarWriter{tw: tar.NewWriter(zw), files: map[string]string{}}
	c.Header.Format = Format
	tw.json(memberHeader, c.Header)
	tw.bytes(memberCheckpoint, c.Checkpoint)
	tw.json(memberBaseRange, hexList(c.BaseRange))
	tw.json(memberConsistency, hexList(c.Consistency))
	for _, b := range blobs {
		tw.blob(b)
	}
	tw.stream(memberEntries, spool, size)
	tw.json(memberManifest, manifest{Files: tw.files})
	if tw.err == nil {
		tw.err = tw.tw.Close()
	}
	if cerr := zw.Close(); tw.err == nil {
		tw.err = cerr
	}
	return tw.err
}

// spoolEntries writes the entries to f and returns their count, the bytes
// written and what they reference, sorted.
func spoolEntries(f *os.File, next func() ([]byte, error)) (count uint64, size int64, refs References, err error) {
	bw := bufio.NewWriter(f)
	seen := map[string]bool{}
	seenCAS := map[CASRef]bool{}
	for {
		e, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, refs, err
		}
		if len(e) > ledger.MaxEntrySize {
			return 0, 0, refs, fmt.Errorf("entry of %d bytes over the limit %d", len(e), ledger.MaxEntrySize)
		}
		for _, d := range ledger.EntryDigests(e) {
			if !seen[d] {
				seen[d] = true
				refs.Digests = append(refs.Digests, d)
			}
		}
		for _, r := range casRefs(e) {
			if !seenCAS[r] {
				seenCAS[r] = true
				refs.CAS = append(refs.CAS, r)
			}
		}
		bw.Write(binary.BigEndian.AppendUint32(nil, uint32(len(e))))
		bw.Write(e)
		count++
		size += 4 + int64(len(e))
	}
	slices.Sort(refs.Digests)
	slices.SortFunc(refs.CAS, compareCAS)
	return count, size, refs, bw.Flush()
}

func hexList(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hex.EncodeToString(h)
	}
	return out
}

// tarWriter writes members with fixed metadata (so equal bundles are equal
// bytes) and records each member's digest for the manifest.
type tarWriter struct {
	tw    *tar.Writer
	files map[string]string
	err   error
}

func (t *tarWriter) json(name string, v any) {
	b, err := json.Marshal(v)
	if err != nil && t.err == nil {
		t.err = err
	}
	t.bytes(name, b)
}

// blob writes one blob member, demanding the size it was announced with
// (stream checks it) and, through the manifest, its digest.
func (t *tarWriter) blob(b Blob) {
	if t.err != nil {
		return
	}
	rc, err := b.Open()
	if err != nil {
		t.err = fmt.Errorf("blob %s: %w", b.Hex, err)
		return
	}
	defer rc.Close()
	t.stream(blobPrefix+b.Hex, rc, b.Size)
	if t.err == nil && t.files[blobPrefix+b.Hex] != "sha256:"+b.Hex {
		t.err = fmt.Errorf("blob %s read back with another digest, %s", b.Hex, t.files[blobPrefix+b.Hex])
	}
}

func (t *tarWriter) bytes(name string, b []byte) {
	t.stream(name, bytes.NewReader(b), int64(len(b)))
}

func (t *tarWriter) stream(name string, r io.Reader, size int64) {
	if t.err != nil {
		return
	}
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if t.err = t.tw.WriteHeader(hdr); t.err != nil {
		return
	}
	h := sha256.New()
	var n int64
	n, t.err = io.Copy(t.tw, io.TeeReader(r, h))
	if t.err == nil && n != size {
		t.err = fmt.Errorf("member %s: wrote %d bytes, want %d", name, n, size)
	}
	t.files[name] = "sha256:" + hex.EncodeToString(h.Sum(nil))
}
