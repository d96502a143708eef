package httpapi

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// downloadBufSize is the copy buffer of a download.
const downloadBufSize = 256 << 10

// byteRange is a resolved request range: length bytes from offset.
type byteRange struct {
	offset, length int64
	partial        bool // a Range header asked for it: answer 206
}

// parseRange resolves a Range header against a blob of size bytes. No
// header, or a unit other than bytes, means the whole blob. One range is
// served; several, a malformed one or one outside the blob is an error
// wrapping cas.ErrInvalidRange (416).
func parseRange(h string, size int64) (byteRange, error) {
	whole := byteRange{length: size}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if h == "" || !ok {
		return whole, nil
	}
	bad := func(why string) (byteRange, error) {
		return byteRange{}, fmt.Errorf("%w: Range %q %s (size %d)", cas.ErrInvalidRange, echo(h), why, size)
	}
	if strings.Contains(spec, ",") {
		return bad("asks for several ranges; want one")
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return bad("has no -")
	}
	if first == "" { // suffix range: the last N bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return bad("has a bad suffix length")
		}
		n = min(n, size)
		return byteRange{offset: size - n, length: n, partial: true}, nil
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || start >= size {
		return bad("starts outside the blob")
	}
	end := size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
			return bad("ends before it starts")
		}
		end = min(end, size-1)
	}
	return byteRange{offset: start, length: end - start + 1, partial: true}, nil
}

// blobHeaders sets the headers that describe a blob: its digest as Digest
// (RFC 3230, base64) and ETag (hex), media type and size.
func blobHeaders(w http.ResponseWriter, ref catalog.ObjectRef) error {
	d, err := cas.ParseDigest(ref.Digest)
	if err != nil {
		return err
	}
	sum := d.Sum()
	h := w.Header()
	h.Set("Digest", "sha-256="+base64.StdEncoding.EncodeToString(sum[:]))
	h.Set("ETag", `"`+d.Hex()+`"`)
	h.Set("Content-Type", ref.MediaType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Accept-Ranges", "bytes")
	return nil
}

// serveBlob answers r with the object ref's bytes (or the requested range),
// after log records the read; a failed log append serves nothing.
func (h *catalogRoutes) serveBlob(w http.ResponseWriter, r *http.Request, ref catalog.ObjectRef, log func(byteRange) error) {
	rng, err := parseRange(r.Header.Get("Range"), ref.Size)
	if err != nil {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", ref.Size))
		h.s.WriteError(w, r, err)
		return
	}
	if err := blobHeaders(w, ref); err != nil {
		h.s.WriteError(w, r, err)
		return
	}
	status := http.StatusOK
	if rng.partial {
		status = http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rng.offset, rng.offset+rng.length-1, ref.Size))
	}
	w.Header().Set("Content-Length", strconv.FormatInt(rng.length, 10))
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	d, _ := cas.ParseDigest(ref.Digest) // checked by blobHeaders
	rc, err := h.svc.Store.Get(r.Context(), d, rng.offset, rng.length)
	if err == nil {
		err = log(rng)
		if err != nil {
			rc.Close()
		}
	}
	if err != nil {
		clearBlobHeaders(w)
		h.s.WriteError(w, r, err)
		return
	}
	defer rc.Close()
	w.WriteHeader(status)
	buf := make([]byte, downloadBufSize)
	if _, err := io.CopyBuffer(w, rc, buf); err != nil {
		// The status is sent; the short body tells the client.
		h.s.log.WarnContext(r.Context(), "download cut short", "digest", ref.Digest, "err", err)
	}
}

// clearBlobHeaders removes the blob headers before an error answer.
func clearBlobHeaders(w http.ResponseWriter) {
	for _, k := range []string{"Digest", "ETag", "Content-Length", "Content-Range", "Accept-Ranges"} {
		w.Header().Del(k)
	}
}
