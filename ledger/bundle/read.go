package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/zstd"
)

// reader reads a bundle's members strictly in order, hashing each, within a
// cap on the decompressed bytes.
type reader struct {
	zr      *zstd.Decoder
	tr      *tar.Reader
	sums    map[string]string
	cur     string
	curSize int64
	h       hash.Hash
}

func newReader(r io.Reader, maxBytes int64) (*reader, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	zr, err := zstd.NewReader(r, zstd.WithDecoderMaxMemory(64<<20), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	capped := &cappedReader{r: zr, n: maxBytes}
	return &reader{zr: zr, tr: tar.NewReader(capped), sums: map[string]string{}}, nil
}

func (rd *reader) close() { rd.zr.Close() }

// member advances to the next member, which must be name, a regular file of
// at most limit bytes, and returns a reader of its bytes.
func (rd *reader) member(name string, limit int64) (io.Reader, int64, error) {
	got, r, size, err := rd.next(limit)
	if err == nil && got != name {
		err = fmt.Errorf("%w: member %q where %q belongs (bundles hold exactly %v and blobs)", ErrInvalid, got, name, memberOrder)
	}
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: truncated: member %s missing", ErrInvalid, name)
	}
	return r, size, err
}

// next advances to the next member, whatever its name, which must be a
// regular file of at most limit bytes; io.EOF at the end of the archive.
func (rd *reader) next(limit int64) (string, io.Reader, int64, error) {
	if err := rd.finish(); err != nil {
		return "", nil, 0, err
	}
	hdr, err := rd.tr.Next()
	if err == io.EOF {
		return "", nil, 0, err
	}
	if err != nil {
		return "", nil, 0, fmt.Errorf("%w: reading the next member: %w", ErrInvalid, err)
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size < 0 || hdr.Size > limit {
		return "", nil, 0, fmt.Errorf("%w: member %q is not a regular file of at most %d bytes", ErrInvalid, hdr.Name, limit)
	}
	rd.cur, rd.h, rd.curSize = hdr.Name, sha256.New(), hdr.Size
	return hdr.Name, io.TeeReader(rd.tr, rd.h), hdr.Size, nil
}

// finish checks the current member was read whole and records its digest.
func (rd *reader) finish() error {
	if rd.cur == "" {
		return nil
	}
	if n, _ := io.Copy(io.Discard, rd.tr); n != 0 {
		return fmt.Errorf("%w: member %s has %d bytes more than its content", ErrInvalid, rd.cur, n)
	}
	rd.sums[rd.cur] = "sha256:" + hex.EncodeToString(rd.h.Sum(nil))
	rd.cur = ""
	return nil
}

// small reads a whole member of at most maxSmallMember bytes.
func (rd *reader) small(name string) ([]byte, error) {
	r, size, err := rd.member(name, maxSmallMember)
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("%w: member %s: %w", ErrInvalid, name, err)
	}
	return b, nil
}

func (rd *reader) jsonMember(name string, v any) error {
	b, err := rd.small(name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return fmt.Errorf("%w: member %s is not the expected JSON", ErrInvalid, name)
	}
	return nil
}

// end checks the manifest against the digests of what was read and that
// nothing follows it.
func (rd *reader) end() error {
	var m manifest
	if err := rd.jsonMember(memberManifest, &m); err != nil {
		return err
	}
	if err := rd.finish(); err != nil {
		return err
	}
	if _, err := rd.tr.Next(); err != io.EOF {
		return fmt.Errorf("%w: members after %s", ErrInvalid, memberManifest)
	}
	delete(rd.sums, memberManifest)
	if len(m.Files) != len(rd.sums) {
		return fmt.Errorf("%w: manifest lists %d members, the bundle has %d", ErrInvalid, len(m.Files), len(rd.sums))
	}
	for name, sum := range rd.sums {
		if m.Files[name] != sum {
			return fmt.Errorf("%w: member %s has digest %s, manifest says %q", ErrInvalid, name, sum, m.Files[name])
		}
	}
	return nil
}

// cappedReader fails once more than n bytes were read: a bound on what a
// small compressed bundle may decompress to.
type cappedReader struct {
	r io.Reader
	n int64
}

var errTooBig = errors.New("bundle decompresses beyond the size limit")

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, fmt.Errorf("%w: %w", ErrInvalid, errTooBig)
	}
	if int64(len(p)) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= int64(n)
	return n, err
}
