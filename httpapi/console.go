package httpapi

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sync"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// consoleFiles is the operators' web console: static files with no build
// step, embedded so that an air-gapped server serves the whole of it. The
// page reads the token from sessionStorage and calls the same routes as
// every other client; the files themselves hold no one's data, so they are
// public.
//
//go:embed ui
var consoleFiles embed.FS

// ConsolePath is where the console is served.
const ConsolePath = "/ui/"

// ConsoleCSP is the console's Content-Security-Policy: scripts, styles and
// connections to this origin only, no inline code, no frames, no plugins.
const ConsoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// consoleFile is one embedded file with the headers it is served with.
type consoleFile struct {
	body  []byte
	ctype string
	etag  string
}

// consoleIndex is the embedded console by file name, read and hashed once
// per process, not once per server.
var consoleIndex = sync.OnceValue(func() map[string]consoleFile {
	files := map[string]consoleFile{}
	err := fs.WalkDir(consoleFiles, "ui", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := consoleFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files[path.Base(p)] = consoleFile{body: b, ctype: mime.TypeByExtension(path.Ext(p)), etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if err != nil {
		panic("httpapi: the embedded console: " + err.Error()) // a build without ui/ is broken
	}
	return files
})

// registerConsole serves the console at /ui/ (index.html), its files at
// /ui/{file}, and redirects /ui there.
func (s *Server) registerConsole() {
	files := consoleIndex()
	serve := func(fixed string) HandlerFunc {
		return func(r *http.Request) (any, error) {
			name := fixed
			if name == "" {
				name = mux.Vars(r)["file"]
			}
			f, ok := files[name]
			if !ok {
				return nil, NewProblem(http.StatusNotFound, wire.TypeNotFound, "no console file %q", echo(name))
			}
			h := http.Header{"Content-Security-Policy": {ConsoleCSP}, "Referrer-Policy": {"no-referrer"},
				"X-Frame-Options": {"DENY"}, "Cache-Control": {"no-cache"}, "Etag": {f.etag}}
			if r.Header.Get("If-None-Match") == f.etag {
				return &Response{Status: http.StatusNotModified, Header: h}, nil
			}
			return &Response{Header: h, ContentType: f.ctype, Body: f.body}, nil
		}
	}
	s.Handle(http.MethodGet, "/ui", PublicScope, func(*http.Request) (any, error) {
		return &Response{Status: http.StatusMovedPermanently, Header: http.Header{"Location": {ConsolePath}}, Body: []byte{}}, nil
	})
	s.Handle(http.MethodGet, ConsolePath, PublicScope, serve("index.html"))
	s.Handle(http.MethodGet, ConsolePath+"{file}", PublicScope, serve(""))
}
