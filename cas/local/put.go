package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/zeebo/blake3"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/internal/durable"
)

// Put streams r into a temporary file (hashing it on the way), checks the
// expected digest, then commits the file under its address. Any failure
// removes the temporary file; nothing partial is ever visible under a blob
// name. When expected names a blob that is already stored, r is only hashed
// to confirm it and nothing is written.
func (l *Local) Put(ctx context.Context, r io.Reader, expected cas.Digest) (cas.Info, error) {
	if info, done, err := cas.ConfirmExisting(ctx, r, expected, l.Head, l.lend, "local put"); done {
		return info, err
	}
	f, err := os.CreateTemp(l.tmpDir, "put-*")
	if err != nil {
		return cas.Info{}, fmt.Errorf("local put: %w", err)
	}
	info, err := l.writeTemp(ctx, f, r, expected)
	if err == nil {
		info.Existed, err = durable.LinkTemp(f, l.path(info.Digest))
	}
	if err != nil {
		f.Close()
		if rerr := os.Remove(f.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
		return cas.Info{}, fmt.Errorf("local put: %w", err)
	}
	return info, nil
}

// writeTemp writes the header placeholder and the transformed body to f,
// then, if the digest is the expected one, the final header.
func (l *Local) writeTemp(ctx context.Context, f *os.File, r io.Reader, expected cas.Digest) (cas.Info, error) {
	h, err := l.newHeader()
	if err != nil {
		return cas.Info{}, err
	}
	if h.flags == 0 {
		return l.writePlain(ctx, f, r, expected, &h)
	}
	if _, err := f.Write(make([]byte, headerSize)); err != nil {
		return cas.Info{}, fmt.Errorf("write header: %w", err)
	}
	var dst io.Writer = newWriteBehind(f, headerSize)
	bodyHash := blake3.New()
	if h.compressed() {
		dst = io.MultiWriter(dst, bodyHash)
	}
	body, finish, err := l.bodyWriter(dst, &h)
	if err != nil {
		return cas.Info{}, err
	}
	buf := l.buffer()
	defer l.bufs.Put(buf)
	info, err := cas.CopyHashed(ctx, body, r, *buf)
	if err != nil {
		return cas.Info{}, err
	}
	if err := finish(); err != nil {
		return cas.Info{}, fmt.Errorf("writing blob: %w", err)
	}
	if err := cas.CheckExpected(expected, info); err != nil {
		return cas.Info{}, err
	}
	if h.compressed() {
		bodyHash.Sum(h.bodyB3[:0])
	}
	return info, l.finishTemp(f, &h, &info)
}

// writePlain writes a blob that is neither compressed nor encrypted: the
// header room and the bytes go to f from the buffers they are received
// into, while both digests are computed (see cas.StreamHashed), with
// O_DIRECT where the filesystem allows it.
func (l *Local) writePlain(ctx context.Context, f *os.File, r io.Reader, expected cas.Digest, h *header) (cas.Info, error) {
	bufs := l.directBuffers()
	defer l.dbufs.Put(bufs)
	clear((*bufs)[0][:headerSize])
	w := newDirectWriter(f)
	info, err := cas.StreamHashed(ctx, r, *bufs, headerSize, w.write)
	if err != nil {
		return cas.Info{}, err
	}
	if err := w.buffered(); err != nil {
		return cas.Info{}, fmt.Errorf("writing blob: %w", err)
	}
	if err := cas.CheckExpected(expected, info); err != nil {
		return cas.Info{}, err
	}
	return info, l.finishTemp(f, h, &info)
}

// finishTemp writes the final header, makes the file read-only and records
// its stored size in info.
func (l *Local) finishTemp(f *os.File, h *header, info *cas.Info) error {
	h.size = info.Size
	if _, err := hex.Decode(h.blake3[:], []byte(info.BLAKE3)); err != nil {
		return fmt.Errorf("encode BLAKE3: %w", err)
	}
	if _, err := f.WriteAt(h.marshal(), 0); err != nil {
		return fmt.Errorf("write header: %w", err)
	}
	if err := f.Chmod(0o400); err != nil {
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	info.StoredSize = fi.Size()
	return nil
}

// newHeader returns the header for a new blob under the current settings.
func (l *Local) newHeader() (header, error) {
	var h header
	if l.compress {
		h.flags |= flagZstd
	}
	if l.key != nil {
		h.flags |= flagAESGCM
		h.chunkSize = chunkSize
		h.keyID = l.key.id
		if _, err := rand.Read(h.salt[:]); err != nil {
			return h, fmt.Errorf("salt: %w", err)
		}
	}
	return h, nil
}

// bodyWriter stacks the zstd encoder and the sealer the header asks for on
// top of dst. finish flushes them in order and must be called once all the
// plaintext is written.
func (l *Local) bodyWriter(dst io.Writer, h *header) (io.Writer, func() error, error) {
	w, finish := dst, func() error { return nil }
	if h.encrypted() {
		aead, err := l.key.aead(h.salt[:])
		if err != nil {
			return nil, nil, err
		}
		s := newSealer(aead, w, h.marshal()[:aadSize])
		w, finish = s, s.Close
	}
	if h.compressed() {
		enc, err := l.encoders.get(w)
		if err != nil {
			return nil, nil, fmt.Errorf("zstd: %w", err)
		}
		inner := finish
		w, finish = enc, func() error {
			if err := enc.Close(); err != nil {
				return err
			}
			l.encoders.put(enc)
			return inner()
		}
	}
	return w, finish, nil
}

// buffer returns a copy buffer from the pool.
func (l *Local) buffer() *[]byte {
	if b, ok := l.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, copyBufSize)
	return &b
}

// lend returns a copy buffer from the pool and the func that gives it back,
// as cas.ConfirmExisting wants it.
func (l *Local) lend() ([]byte, func()) {
	b := l.buffer()
	return *b, func() { l.bufs.Put(b) }
}
