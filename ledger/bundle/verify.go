package bundle

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/transparency-dev/merkle/compact"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/verifier"
)

// rootEvery is the spacing of the roots Verify records: Import commits the
// entries in chunks of this many, each checked against its recorded root.
const rootEvery = 4096

// Options says what a bundle is verified against.
type Options struct {
	Key      string               // trusted verifier key of the log's checkpoints (required)
	Origin   string               // expected origin; any when empty
	Base     *verifier.Checkpoint // trusted checkpoint at From, if any
	MaxBytes int64                // cap on the decompressed bundle; DefaultMaxBytes when zero
}

// Verified is a bundle that passed Verify.
type Verified struct {
	Header     Header
	Checkpoint verifier.Checkpoint // at Header.To
	BaseRoot   []byte              // root of the tree at Header.From
	Entries    uint64
	roots      map[uint64][]byte // tree roots at From + k*rootEvery and at To
}

// Verify reads a whole bundle and checks it as the package doc says, with no
// server and no network. It reads it once, keeping O(log n) hashes and a
// root per 4096 entries, whatever its size.
func Verify(r io.Reader, o Options) (*Verified, error) {
	return scan(r, o, nil)
}

// scan verifies a bundle, handing each entry to fn (when not nil) as it is
// read; fn sees entries before the bundle's end is checked.
func scan(r io.Reader, o Options, fn func(index uint64, entry []byte) error) (*Verified, error) {
	rd, err := newReader(r, o.MaxBytes)
	if err != nil {
		return nil, err
	}
	defer rd.close()
	v, rng, proof, err := head(rd, o)
	if err != nil {
		return nil, err
	}
	if err := v.readEntries(rd, rng, fn); err != nil {
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
	if v.Checkpoint, err = verifier.OpenCheckpoint(signed, o.Key, o.Origin); err != nil {
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

// readEntries extends rng with every entry's leaf hash, recording roots, and
// demands the checkpoint's root at the end.
func (v *Verified) readEntries(rd *reader, rng *compact.Range, fn func(uint64, []byte) error) error {
	h := v.Header
	r, size, err := rd.member(memberEntries, int64(h.To-h.From)*(4+ledger.MaxEntrySize))
	if err != nil {
		return err
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
		if fn != nil {
			if err := fn(i, e); err != nil {
				return err
			}
		}
		if (i+1-h.From)%rootEvery == 0 || i+1 == h.To {
			if v.roots[i+1], err = rootOf(rng); err != nil {
				return err
			}
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
