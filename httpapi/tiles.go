package httpapi

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/assay-ledger/assay/ledger"
)

// The read-only C2SP tlog-tiles API, so that standard clients and witnesses
// can follow the log without the proof endpoints:
//
//	GET /checkpoint                      the signed checkpoint
//	GET /tile/<L>/<N>[.p/<W>]            hash tile of level L, index N, width W
//	GET /tile/entries/<N>[.p/<W>]        entry bundle of index N, width W
//
// Hash tiles reveal only hashes and need log:read; entry bundles hold every
// tenant's entries and need log:audit too (see readmodel.go).
//
// N is written in groups of three digits, all but the last prefixed with
// "x" (1234067 is x001/x234/067). A tile's bytes never change once it can be
// served (the first W hashes of a tile are fixed), so tiles and bundles are
// sent as immutable; the checkpoint is not cached.
const (
	tileContentType = "application/octet-stream"
	immutable       = "public, max-age=31536000, immutable"
)

func (s *Server) registerTileRoutes() {
	s.Handle(http.MethodGet, "/checkpoint", ScopeLogRead, s.tileCheckpoint)
	s.Handle(http.MethodGet, "/tile/{path:.+}", ScopeLogRead, s.tile)
}

func (s *Server) tileCheckpoint(*http.Request) (any, error) {
	cp, err := s.servedCheckpoint(true)
	if err != nil {
		return nil, err
	}
	return &Response{ContentType: CheckpointContentType, Body: cp, Header: http.Header{"Cache-Control": {"no-cache"}}}, nil
}

func (s *Server) tile(r *http.Request) (any, error) {
	t, err := parseTilePath(mux.Vars(r)["path"])
	if err != nil {
		return nil, err
	}
	var body []byte
	if t.entries {
		if err := needAudit(r, "an entry bundle"); err != nil {
			return nil, err
		}
		body, err = s.cfg.Log.EntryBundle(t.index, t.width)
	} else {
		body, err = s.cfg.Log.Tile(t.level, t.index, t.width)
	}
	if err != nil {
		return nil, err
	}
	return &Response{ContentType: tileContentType, Body: body,
		Header: http.Header{"Cache-Control": {immutable}}}, nil
}

// tilePath is a parsed tile or entry-bundle path.
type tilePath struct {
	entries bool
	level   uint
	index   uint64
	width   int
}

// parseTilePath parses the part of a tile URL after "/tile/", demanding the
// spec's canonical encoding so that each tile has exactly one URL.
func parseTilePath(p string) (tilePath, error) {
	parts := strings.Split(p, "/")
	var t tilePath
	if parts[0] == "entries" {
		t.entries = true
	} else {
		l, err := parseUint("tile level", parts[0])
		if err != nil || l > 63 {
			return t, invalidParam("tile level %q is not a decimal from 0 to 63", echo(parts[0]))
		}
		t.level = uint(l)
	}
	groups := parts[1:]
	t.width = ledger.TileWidth
	if n := len(groups); n >= 2 && strings.HasSuffix(groups[n-2], ".p") {
		w, err := parseUint("tile width", groups[n-1])
		if err != nil || w < 1 || w >= ledger.TileWidth {
			return t, invalidParam("partial tile width %q is not a decimal from 1 to 255", echo(groups[n-1]))
		}
		t.width = int(w)
		groups = append(groups[:n-2:n-2], strings.TrimSuffix(groups[n-2], ".p"))
	}
	index, err := parseTileIndex(groups)
	if err != nil {
		return t, err
	}
	t.index = index
	return t, nil
}

// parseTileIndex decodes N from its groups: "xDDD" for all but the last,
// "DDD" for the last, no leading "x000" group, at most 2^64-1.
func parseTileIndex(groups []string) (uint64, error) {
	if len(groups) == 0 || len(groups) > 7 {
		return 0, invalidParam("tile index has %d path elements; expected 1 to 7 groups of 3 digits", len(groups))
	}
	var n uint64
	for i, g := range groups {
		last := i == len(groups)-1
		if !last {
			if !strings.HasPrefix(g, "x") || (i == 0 && g == "x000") {
				return 0, invalidParam("tile index element %q; expected x and 3 digits, the first not x000", echo(g))
			}
			g = g[1:]
		}
		if len(g) != 3 || g[0] < '0' || g[0] > '9' || g[1] < '0' || g[1] > '9' || g[2] < '0' || g[2] > '9' {
			return 0, invalidParam("tile index element %q; expected 3 digits", echo(g))
		}
		d := uint64(g[0]-'0')*100 + uint64(g[1]-'0')*10 + uint64(g[2]-'0')
		if n > (1<<64-1-d)/1000 {
			return 0, invalidParam("tile index is beyond 2^64-1")
		}
		n = n*1000 + d
	}
	return n, nil
}
