package local

import (
	"bytes"
	"context"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/zeebo/blake3"

	"github.com/assay-ledger/assay/cas"
)

// blob is an open blob file with its decoded header.
type blob struct {
	f    *os.File
	h    header
	size int64 // file size
}

// open opens the file of d and decodes its header; ErrNotFound if absent,
// ErrCorrupt if the header is damaged.
func (l *Local) open(d cas.Digest) (*blob, error) {
	if d.IsZero() {
		return nil, fmt.Errorf("%w: empty digest", cas.ErrInvalidDigest)
	}
	f, err := os.Open(l.path(d))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", d, cas.ErrNotFound)
		}
		return nil, fmt.Errorf("open %s: %w", d, err)
	}
	b, err := readBlob(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	return b, nil
}

func readBlob(f *os.File) (*blob, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	raw := make([]byte, headerSize)
	if _, err := io.ReadFull(f, raw); err != nil {
		return nil, fmt.Errorf("%w: header: %w", cas.ErrCorrupt, err)
	}
	h, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	return &blob{f: f, h: h, size: fi.Size()}, nil
}

// info reports what the header records.
func (b *blob) info(d cas.Digest) cas.Info {
	return cas.Info{Digest: d, Size: b.h.size, BLAKE3: hex.EncodeToString(b.h.blake3[:]), StoredSize: b.size}
}

// Get streams a range of the blob's plaintext.
func (l *Local) Get(ctx context.Context, d cas.Digest, offset, length int64) (io.ReadCloser, error) {
	b, err := l.open(d)
	if err != nil {
		return nil, err
	}
	n, err := cas.CheckRange(offset, length, b.h.size)
	if err != nil {
		b.f.Close()
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	rc, err := l.reader(b, offset, n)
	if err != nil {
		b.f.Close()
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	return rc, nil
}

// Verify re-reads the whole blob and checks it against its header (and its
// name, when full is set).
func (l *Local) Verify(ctx context.Context, d cas.Digest, full bool) error {
	b, err := l.open(d)
	if err != nil {
		return err
	}
	if b.h.compressed() {
		if err := checkBody(b); err != nil {
			b.f.Close()
			return fmt.Errorf("%s: %w", d, err)
		}
	}
	rc, err := l.reader(b, 0, b.h.size)
	if err != nil {
		b.f.Close()
		return fmt.Errorf("%s: %w", d, err)
	}
	defer rc.Close()
	return cas.VerifyStream(ctx, rc, d, b.info(d), full)
}

// checkBody compares the stored body of a compressed blob with its recorded
// BLAKE3.
func checkBody(b *blob) error {
	h := blake3.New()
	if _, err := io.Copy(h, io.NewSectionReader(b.f, headerSize, b.size-headerSize)); err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if sum := h.Sum(nil); !bytes.Equal(sum, b.h.bodyB3[:]) {
		return fmt.Errorf("%w: body BLAKE3 recorded %x, computed %x", cas.ErrCorrupt, b.h.bodyB3, sum)
	}
	return nil
}

// reader returns n plaintext bytes from offset, undoing the blob's
// compression and encryption. It owns b.f from here on: closing the result
// closes the file.
func (l *Local) reader(b *blob, offset, n int64) (io.ReadCloser, error) {
	body := b.size - headerSize
	var aead cipher.AEAD
	if b.h.encrypted() {
		var err error
		if aead, err = l.blobAEAD(&b.h); err != nil {
			return nil, err
		}
	}
	switch {
	case n == 0:
		return readCloser{Reader: eofReader{}, close: b.f.Close}, nil
	case b.h.compressed():
		return l.zstdReader(b, aead, body, offset, n)
	case b.h.encrypted():
		return l.chunkReader(b, aead, body, offset, n)
	case body != b.h.size:
		return nil, fmt.Errorf("%w: body holds %d bytes, header says %d", cas.ErrCorrupt, body, b.h.size)
	}
	r := io.NewSectionReader(b.f, headerSize+offset, n)
	return readCloser{Reader: &exactReader{r: r, left: n}, close: b.f.Close}, nil
}

// chunkReader serves a range of an encrypted, uncompressed blob, decrypting
// only the chunks the range touches.
func (l *Local) chunkReader(b *blob, aead cipher.AEAD, body, offset, n int64) (io.ReadCloser, error) {
	count, lastLen, err := geometry(body)
	if err != nil {
		return nil, err
	}
	if plain := (count-1)*chunkSize + int64(lastLen-tagSize); plain != b.h.size {
		return nil, fmt.Errorf("%w: chunks hold %d bytes, header says %d", cas.ErrCorrupt, plain, b.h.size)
	}
	first := offset / chunkSize
	start := headerSize + first*(chunkSize+tagSize)
	src := io.NewSectionReader(b.f, start, b.size-start)
	o := newOpener(aead, src, b.h.marshal()[:aadSize], first, count, lastLen)
	if _, err := io.CopyN(io.Discard, o, offset-first*chunkSize); err != nil {
		return nil, err
	}
	return readCloser{Reader: &exactReader{r: o, left: n}, close: b.f.Close}, nil
}

// zstdReader serves a range of a compressed (and maybe encrypted) blob by
// decoding from the start and skipping to offset: compressed blobs trade
// range-read cost for space.
func (l *Local) zstdReader(b *blob, aead cipher.AEAD, body, offset, n int64) (io.ReadCloser, error) {
	var src io.Reader = io.NewSectionReader(b.f, headerSize, body)
	if aead != nil {
		count, lastLen, err := geometry(body)
		if err != nil {
			return nil, err
		}
		src = newOpener(aead, src, b.h.marshal()[:aadSize], 0, count, lastLen)
	}
	dec, err := newDecoder(src)
	if err != nil {
		return nil, err
	}
	r := &exactReader{r: corruptOnError{dec}, left: n}
	closeAll := func() error { dec.Close(); return b.f.Close() }
	if _, err := io.CopyN(io.Discard, corruptOnError{dec}, offset); err != nil {
		dec.Close()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: stream ends before offset %d", cas.ErrCorrupt, offset)
		}
		return nil, err
	}
	return readCloser{Reader: r, close: closeAll}, nil
}

// blobAEAD checks that the blob was sealed under this store's key and
// derives its AEAD.
func (l *Local) blobAEAD(h *header) (cipher.AEAD, error) {
	if l.key == nil {
		return nil, errors.New("blob is encrypted and the store has no key file")
	}
	if h.keyID != l.key.id {
		return nil, fmt.Errorf("%w: sealed under key id %x, store key id %x", cas.ErrCorrupt, h.keyID, l.key.id)
	}
	return l.key.aead(h.salt[:])
}
