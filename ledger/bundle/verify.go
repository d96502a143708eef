package bundle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/transparency-dev/merkle/compact"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// rootEvery is the spacing of the roots Verify records: Import commits the
// entries in chunks of this many, each checked against its recorded root.
const rootEvery = 4096

// Options says what a bundle is verified against.
type Options struct {
	Key    string               // trusted verifier key of the log's checkpoints (required)
	Origin string               // expected origin; any when empty
	Base   *verifier.Checkpoint // trusted checkpoint at From, if any
	// Witnesses, when it names keys, is required of the bundle's
	// checkpoint: a quorum of valid cosignatures.
	Witnesses verifier.Witnesses
	MaxBytes  int64 // cap on the decompressed bundle; DefaultMaxBytes when zero
	// Header, when set, is given the header once its checkpoint verified,
	// before any blob or entry (a reader sizes its state from it).
	Header func(Header)
}

// Verified is a bundle that passed Verify.
type Verified struct {
	Header     Header
	Checkpoint verifier.Checkpoint // at Header.To
	BaseRoot   []byte              // root of the tree at Header.From
	Entries    uint64
	roots      map[uint64][]byte // tree roots at From + k*rootEvery and at To
	entries    io.Reader         // the entries member, once reached
	cas        map[CASRef]bool   // cas:// URIs the header resolves (Digest cleared)
}

// Verify reads a whole bundle and checks it as the package doc says, with no
// server and no network. It reads it once, keeping O(log n) hashes and a
// root per 4096 entries, whatever its size.
func Verify(r io.Reader, o Options) (*Verified, error) {
	return scan(r, o, nil, nil)
}

// BlobSink receives each blob of a bundle with its sha256 in lower-case hex;
// it must read r to the end. Import stores them in the mirror's content store.
type BlobSink func(hexDigest string, r io.Reader) error

// scan verifies a bundle, handing each blob to sink and each entry to fn
// (when not nil) as they are read; they see them before the bundle's end is
// checked.
func scan(r io.Reader, o Options, sink BlobSink, fn func(index uint64, entry []byte) error) (*Verified, error) {
	rd, err := newReader(r, o.MaxBytes)
	if err != nil {
		return nil, err
	}
	defer rd.close()
	v, rng, proof, err := head(rd, o)
	if err != nil {
		return nil, err
	}
	if o.Header != nil {
		o.Header(v.Header)
	}
	blobs, err := v.readBlobs(rd, o, sink)
	if err != nil {
		return nil, err
	}
	if err := v.readEntries(rd, rng, blobs, fn); err != nil {
		return nil, err
	}
	if err := rd.end(); err != nil {
		return nil, err
	}
	if v.Header.From > 0 {
		if err := verifier.VerifyConsistency(v.Header.From, v.Header.To, proof, v.BaseRoot, v.Checkpoint.Root); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	return v, nil
}

// head reads header, checkpoint, base range and consistency proof.
func head(rd *reader, o Options) (*Verified, *compact.Range, [][]byte, error) {
	v := &Verified{roots: map[uint64][]byte{}}
	if err := rd.jsonMember(memberHeader, &v.Header); err != nil {
		return nil, nil, nil, err
	}
	h := v.Header
	if h.Format != Format || h.From > h.To {
		return nil, nil, nil, fmt.Errorf("%w: header %+v: want format %s and from <= to", ErrInvalid, h, Format)
	}
	signed, err := rd.small(memberCheckpoint)
	if err != nil {
		return nil, nil, nil, err
	}
	if v.Checkpoint, err = verifier.OpenWitnessed(signed, o.Key, o.Origin, o.Witnesses); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if v.Checkpoint.Size != h.To || v.Checkpoint.Origin != h.Origin {
		return nil, nil, nil, fmt.Errorf("%w: checkpoint of %s at size %d for a bundle of %s up to %d",
			ErrInvalid, v.Checkpoint.Origin, v.Checkpoint.Size, h.Origin, h.To)
	}
	base, err := hashList(rd, memberBaseRange)
	if err != nil {
		return nil, nil, nil, err
	}
	rng, err := (&compact.RangeFactory{Hash: verifier.NodeHash}).NewRange(0, h.From, base)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: base range for size %d: %w", ErrInvalid, h.From, err)
	}
	if v.BaseRoot, err = rootOf(rng); err != nil {
		return nil, nil, nil, err
	}
	if o.Base != nil && (o.Base.Size != h.From || !bytes.Equal(o.Base.Root, v.BaseRoot)) {
		return nil, nil, nil, fmt.Errorf("%w: the bundle's tree at %d is not the trusted base checkpoint (size %d)", ErrInvalid, h.From, o.Base.Size)
	}
	v.roots[h.From] = v.BaseRoot
	proof, err := hashList(rd, memberConsistency)
	return v, rng, proof, err
}

// readBlobs reads the blob members up to the entries member, checking each
// hashes to its name, in increasing order, and returns the set of digests a
// bundle's entries may name: its blobs and the header's missing ones (nil for
// a bundle without blobs).
func (v *Verified) readBlobs(rd *reader, o Options, sink BlobSink) (map[string]bool, error) {
	limit := o.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	known, carried, prev := map[string]bool{}, map[string]bool{}, ""
	for _, d := range v.Header.Missing {
		if !isHexDigest(d) || d <= prev {
			return nil, fmt.Errorf("%w: header lists missing digest %q out of order or malformed", ErrInvalid, d)
		}
		known[d], prev = true, d
	}
	for prev = ""; ; {
		name, r, _, err := rd.next(limit)
		if err == io.EOF {
			return nil, fmt.Errorf("%w: truncated: member %s missing", ErrInvalid, memberEntries)
		}
		if err != nil {
			return nil, err
		}
		if name == memberEntries {
			v.entries = r
			break
		}
		d, ok := strings.CutPrefix(name, blobPrefix)
		if !ok || !v.Header.Blobs || !isHexDigest(d) || d <= prev || known[d] {
			return nil, fmt.Errorf("%w: member %q where a blob (in order) or %s belongs", ErrInvalid, name, memberEntries)
		}
		if sink == nil {
			sink = func(_ string, r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }
		}
		if err := sink(d, r); err != nil {
			return nil, fmt.Errorf("blob %s: %w", d, err)
		}
		if err := rd.finish(); err != nil {
			return nil, err
		}
		if rd.sums[name] != "sha256:"+d {
			return nil, fmt.Errorf("%w: blob %s holds content with digest %s", ErrInvalid, d, rd.sums[name])
		}
		known[d], carried[d], prev = true, true, d
	}
	if !v.Header.Blobs {
		return nil, nil
	}
	return known, v.checkCAS(carried)
}

// checkCAS checks the header's cas:// resolutions: sorted, unique, each
// digest carried (or "" for unresolved), and records them for readEntries.
func (v *Verified) checkCAS(carried map[string]bool) error {
	v.cas = map[CASRef]bool{}
	for i, r := range v.Header.CAS {
		if i > 0 && compareCAS(v.Header.CAS[i-1], r) >= 0 {
			return fmt.Errorf("%w: header cas entries out of order at %s %s", ErrInvalid, r.Tenant, r.URI)
		}
		if r.Digest != "" && !carried[r.Digest] {
			return fmt.Errorf("%w: %s of tenant %q resolves to sha256:%s, which the bundle does not carry", ErrInvalid, r.URI, r.Tenant, r.Digest)
		}
		v.cas[CASRef{Tenant: r.Tenant, URI: r.URI}] = true
	}
	return nil
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// readEntries extends rng with every entry's leaf hash, recording roots, and
// demands the checkpoint's root at the end. When blobs is not nil, every
// digest an entry names must be in it.
func (v *Verified) readEntries(rd *reader, rng *compact.Range, blobs map[string]bool, fn func(uint64, []byte) error) error {
	h := v.Header
	r, size := v.entries, rd.curSize
	if size > int64(h.To-h.From)*(4+ledger.MaxEntrySize) {
		return fmt.Errorf("%w: member %s of %d bytes for %d entries", ErrInvalid, memberEntries, size, h.To-h.From)
	}
	br := bufio.NewReaderSize(io.LimitReader(r, size), 1<<16)
	var lenBuf [4]byte
	for i := h.From; i < h.To; i++ {
		if _, err := io.ReadFull(br, lenBuf[:]); err != nil {
			return fmt.Errorf("%w: entries end at %d, want %d", ErrInvalid, i, h.To)
		}
		n := binary.BigEndian.Uint32(lenBuf[:])
		if n > ledger.MaxEntrySize {
			return fmt.Errorf("%w: entry %d claims %d bytes", ErrInvalid, i, n)
		}
		e := make([]byte, n)
		if _, err := io.ReadFull(br, e); err != nil {
			return fmt.Errorf("%w: entry %d truncated", ErrInvalid, i)
		}
		if err := rng.Append(verifier.LeafHash(e), nil); err != nil {
			return err
		}
		if blobs != nil {
			if err := v.checkRefs(i, e, blobs); err != nil {
				return err
			}
		}
		if fn != nil {
			if err := fn(i, e); err != nil {
				return err
			}
		}
		if (i+1-h.From)%rootEvery == 0 || i+1 == h.To {
			root, err := rootOf(rng)
			if err != nil {
				return err
			}
			v.roots[i+1] = root
		}
	}
	if _, err := br.ReadByte(); err != io.EOF {
		return fmt.Errorf("%w: data after entry %d", ErrInvalid, h.To-1)
	}
	if !bytes.Equal(v.roots[h.To], v.Checkpoint.Root) {
		return fmt.Errorf("%w: entries [%d, %d) over the base range do not hash to the checkpoint's root", ErrInvalid, h.From, h.To)
	}
	v.Entries = h.To - h.From
	return nil
}

// checkRefs demands every digest and cas:// URI entry i names be resolved
// in the bundle (or listed as missing).
func (v *Verified) checkRefs(i uint64, e []byte, blobs map[string]bool) error {
	for _, d := range ledger.EntryDigests(e) {
		if !blobs[d] {
			return fmt.Errorf("%w: entry %d names sha256:%s, neither carried nor listed missing", ErrInvalid, i, d)
		}
	}
	for _, r := range casRefs(e) {
		if !v.cas[r] {
			return fmt.Errorf("%w: entry %d names %s (tenant %q), not resolved in the header", ErrInvalid, i, r.URI, r.Tenant)
		}
	}
	return nil
}

func rootOf(rng *compact.Range) ([]byte, error) {
	if rng.End() == 0 {
		return verifier.EmptyRoot(), nil
	}
	return rng.GetRootHash(nil)
}

func hashList(rd *reader, name string) ([][]byte, error) {
	var hs []string
	if err := rd.jsonMember(name, &hs); err != nil {
		return nil, err
	}
	out := make([][]byte, len(hs))
	for i, s := range hs {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != verifier.HashSize {
			return nil, fmt.Errorf("%w: %s[%d] is not a 32-byte hex hash", ErrInvalid, name, i)
		}
		out[i] = b
	}
	return out, nil
}
