package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/httpapi/internal/formdata"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// errMultipart marks a malformed multipart request.
var errMultipart = errors.New("invalid multipart upload")

// uploadSpec is what a multipart part says about its file.
type uploadSpec struct {
	path, mediaType string
	landing         catalog.Landing
}

// partSpec reads the file description of a part: the path from PathHeader
// or, kept whole with its directories, from the Content-Disposition
// filename; the media type from Content-Type; the landing metadata (the
// expected digest, source, commit, tier, custody) from the part's headers
// (landingFrom). Nothing of the part's body is read.
func partSpec(h textprotoHeader) (uploadSpec, error) {
	var spec uploadSpec
	cd := h.Get("Content-Disposition")
	disp, params, err := mime.ParseMediaType(cd)
	if err != nil || disp != "form-data" || params["name"] != wire.FilePartName {
		return spec, fmt.Errorf("%w: part %q: want Content-Disposition: form-data; name=%q; filename=PATH", errMultipart, echo(cd), wire.FilePartName)
	}
	switch paths := h.Values(wire.PathHeader); {
	case len(paths) > 1:
		return spec, fmt.Errorf("%w: %d %s headers in one part, want at most one", errMultipart, len(paths), wire.PathHeader)
	case len(paths) == 1:
		spec.path = paths[0]
	case strings.ContainsRune(cd, '\\'):
		// mime unquotes backslashes away; a raw one is a Windows path.
		return spec, fmt.Errorf("%w: filename in %q", catalog.ErrPathBackslash, echo(cd))
	default:
		spec.path = params["filename"]
	}
	if err := catalog.ValidatePath(spec.path); err != nil {
		return spec, err
	}
	if spec.mediaType, err = mediaType(h.Get("Content-Type")); err != nil {
		return spec, err
	}
	spec.landing, err = landingFrom(h)
	return spec, err
}

// textprotoHeader is the header view partSpec needs (a part's or a
// request's).
type textprotoHeader interface {
	Get(string) string
	Values(string) []string
}

// mediaType checks a Content-Type value; empty means octet-stream.
func mediaType(v string) (string, error) {
	if v == "" {
		return "application/octet-stream", nil
	}
	if _, _, err := mime.ParseMediaType(v); err != nil || len(v) > 256 {
		return "", fmt.Errorf("%w: media type %q: want type/subtype", catalog.ErrInvalidField, echo(v))
	}
	return v, nil
}

// expectedDigest parses the optional DigestHeader values.
func expectedDigest(vs []string) (cas.Digest, error) {
	switch len(vs) {
	case 0:
		return cas.Digest{}, nil
	case 1:
		return cas.ParseDigest(vs[0])
	}
	return cas.Digest{}, fmt.Errorf("%w: %d %s headers, want at most one", cas.ErrInvalidDigest, len(vs), wire.DigestHeader)
}

// bodyReader remembers the error reading a request body, so that a failed
// Put can be blamed on the client or on the store.
type bodyReader struct {
	r   io.Reader
	err error
}

// Read reads from the body and remembers its first error other than EOF.
func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// writeProblem maps an error of a store-then-append operation whose body
// was read through body.
func writeProblem(err error, body *bodyReader) error {
	if body.err != nil && errors.Is(err, body.err) {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return err
		}
		return NewProblem(http.StatusBadRequest, wire.TypeInvalidMultipart, "reading the request body: %w", err)
	}
	return err
}

// uploadFiles streams each file part of a multipart body into the store
// and registers it, one file.added entry per file, in part order. A bad
// part stops the upload; the problem lists the files already added.
func (h *catalogRoutes) uploadFiles(r *http.Request) (any, error) {
	id, pkg := caller(r), mux.Vars(r)["id"]
	if _, err := h.cat.Package(id.Tenant, pkg); err == nil {
		if err := h.s.checkReadable(pkg); err != nil {
			return nil, err // a deleted package takes no more files
		}
	}
	mr, err := multipartReader(r)
	if err != nil {
		return nil, err
	}
	added := []catalog.File{}
	fail := func(err error) (any, error) {
		p, ok := errors.AsType[*wire.Problem](err)
		if !ok {
			p = h.s.problemFor(err)
		}
		p.Extensions = map[string]any{"added": added}
		return nil, p
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(writeProblem(err, &bodyReader{err: err}))
		}
		spec, err := partSpec(part.Header)
		if err != nil {
			return fail(multipartProblem(err))
		}
		body := &bodyReader{r: part}
		src, done := readAheadFor(h.svc.Store, body)
		f, err := h.svc.AddFile(r.Context(), id.Name, id.Tenant, pkg, spec.path, spec.mediaType, spec.landing, src)
		done()
		if err != nil {
			h.s.metrics.promotion.landed(err)
			return fail(writeProblem(err, body))
		}
		added = append(added, *f)
	}
	if len(added) == 0 {
		return fail(NewProblem(http.StatusBadRequest, wire.TypeInvalidMultipart, "no %q parts; want at least one file", wire.FilePartName))
	}
	return &Response{Status: http.StatusCreated, Value: wire.UploadResult{Files: added}}, nil
}

// multipartReader reads r's multipart/form-data body with formdata, which
// scans parts in large reads (rather than the 4 KiB of
// http.Request.MultipartReader) and reads big files straight into the
// store's buffers.
func multipartReader(r *http.Request) (*formdata.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var mr *formdata.Reader
	if err == nil && mt == "multipart/form-data" {
		mr, err = formdata.NewReader(r.Body, params["boundary"], readAheadSize)
	}
	if err != nil || mt != "multipart/form-data" {
		return nil, NewProblem(http.StatusBadRequest, wire.TypeInvalidMultipart,
			"Content-Type %q: want multipart/form-data with a boundary of 1 to 70 bytes and file parts", echo(r.Header.Get("Content-Type")))
	}
	return mr, nil
}

// multipartProblem turns errMultipart into its problem; other errors pass.
func multipartProblem(err error) error {
	if errors.Is(err, errMultipart) {
		return NewProblem(http.StatusBadRequest, wire.TypeInvalidMultipart, "%v", err)
	}
	return err
}
