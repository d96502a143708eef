package httpapi

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi/internal/formdata"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// FuzzMultipartUpload runs the upload route's part parsing over arbitrary
// multipart bodies: it must not panic, every accepted part must name a
// valid path, media type and digest, and every refusal must be one the
// route maps to a 4xx problem.
func FuzzMultipartUpload(f *testing.F) {
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"reports/r.md\"\r\nContent-Type: text/markdown\r\n\r\nhello\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\\\\b\"\r\n\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''a%00b\r\n\r\nx\r\n--B--\r\n"))
	f.Add([]byte("--B\r\nContent-Disposition: form-data; name=\"file\"\r\nX-Assay-Path: ../x\r\nX-Assay-Digest: sha256:00\r\n\r\nx\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		mr, err := formdata.NewReader(bytes.NewReader(body), "B", 0)
		if err != nil {
			t.Fatal(err)
		}
		for range 16 {
			p, err := mr.NextPart()
			if err != nil {
				return
			}
			spec, err := partSpec(p.Header)
			if err != nil {
				if !refusal(err) {
					t.Fatalf("partSpec(%q) = %v: not a mapped refusal", p.Header, err)
				}
				continue
			}
			if catalog.ValidatePath(spec.path) != nil || spec.mediaType == "" {
				t.Fatalf("accepted %+v from %q", spec, p.Header)
			}
			if _, err := io.Copy(io.Discard, p); err != nil {
				return
			}
		}
	})
}

// refusal reports whether err is one of the client errors of partSpec.
func refusal(err error) bool {
	for _, s := range []error{errMultipart, catalog.ErrPathEmpty, catalog.ErrPathAbsolute, catalog.ErrPathDotDot,
		catalog.ErrPathBackslash, catalog.ErrPathControl, catalog.ErrPathUnclean, catalog.ErrInvalidField, cas.ErrInvalidDigest} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzParseRange checks that every range the download route accepts lies
// within the blob.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=3-", "bytes=9-1", "bytes=a", "bytes=0-1,2-3", "items=1-2", ""} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = 0
		}
		r, err := parseRange(h, size)
		if err != nil {
			if !errors.Is(err, cas.ErrInvalidRange) {
				t.Fatalf("parseRange(%q, %d) = %v", h, size, err)
			}
			return
		}
		if _, err := cas.CheckRange(r.offset, r.length, size); err != nil || r.length < 0 {
			t.Fatalf("parseRange(%q, %d) = %+v outside the blob: %v", h, size, r, err)
		}
	})
}
