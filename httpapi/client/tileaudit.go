package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/transparency-dev/tessera/api/layout"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/verifier"
)

// TileAuditor follows a log from its tlog-tiles alone, read over plain
// HTTP from a bucket, a CDN or any static server (serve --publish), with
// no Assay server running and no token: the checkpoint, and the hash
// tiles, each checked against the checkpoint's root as it is read.
type TileAuditor struct {
	BaseURL string       // where checkpoint and tile/ are, such as https://bucket.example/log
	HTTP    *http.Client // http.DefaultClient when nil
	Key     string       // trusted verifier key
	Origin  string       // expected origin; any when empty
}

// Follow fetches and verifies the checkpoint, then, against prev (nil on
// a first run): that the tree did not shrink or fork (ErrRollback,
// ErrSplitView), and the consistency proof from prev, computed from the
// tiles. It also reads every hash tile holding a leaf added since prev
// (all of them on a first run), each verified against the new root, so
// the whole published tree is checked. It returns the checkpoint with its
// signed bytes.
func (a *TileAuditor) Follow(ctx context.Context, prev *verifier.Checkpoint) (verifier.Checkpoint, []byte, FollowReport, error) {
	raw, err := a.get(ctx, layout.CheckpointPath)
	if err != nil {
		return verifier.Checkpoint{}, nil, FollowReport{}, err
	}
	cp, err := verifier.OpenCheckpoint(raw, a.Key, a.Origin)
	if err != nil {
		return cp, nil, FollowReport{}, err
	}
	rep := FollowReport{To: cp.Size}
	tree := tlog.Tree{N: int64(cp.Size)}
	copy(tree.Hash[:], cp.Root)
	hr := tlog.TileHashReader(tree, tileFetcher{ctx, a})
	if prev != nil {
		rep.From = prev.Size
		switch {
		case prev.Size > cp.Size:
			return cp, nil, rep, fmt.Errorf("%w: size %d after %d", ErrRollback, cp.Size, prev.Size)
		case prev.Size == cp.Size && !bytes.Equal(prev.Root, cp.Root):
			return cp, nil, rep, fmt.Errorf("%w: size %d has roots %x and %x", ErrSplitView, cp.Size, prev.Root, cp.Root)
		case prev.Size > 0 && prev.Size < cp.Size:
			proof, err := tlog.ProveTree(tree.N, int64(prev.Size), hr)
			if err != nil {
				return cp, nil, rep, fmt.Errorf("consistency from %d to %d from the tiles: %w", prev.Size, cp.Size, err)
			}
			var old tlog.Hash
			copy(old[:], prev.Root)
			if err := tlog.CheckTree(proof, tree.N, tree.Hash, int64(prev.Size), old); err != nil {
				return cp, nil, rep, fmt.Errorf("%w: from %d to %d: %v", ErrSplitView, prev.Size, cp.Size, err)
			}
		}
	}
	// Every leaf hash added since prev, a tile (256 hashes) at a time:
	// TileHashReader checks each tile it loads against the tree's root.
	for start := rep.From &^ 255; start < cp.Size; start += 256 {
		end := min(start+256, cp.Size)
		idx := make([]int64, 0, end-start)
		for i := start; i < end; i++ {
			idx = append(idx, tlog.StoredHashIndex(0, int64(i)))
		}
		if _, err := hr.ReadHashes(idx); err != nil {
			return cp, nil, rep, fmt.Errorf("leaf hashes %d to %d: %w", start, end, err)
		}
		rep.Recomputed += end - max(start, rep.From)
	}
	return cp, raw, rep, nil
}

// tileFetcher reads hash tiles for sumdb/tlog.
type tileFetcher struct {
	ctx context.Context
	a   *TileAuditor
}

func (tileFetcher) Height() int { return 8 }

func (f tileFetcher) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := uint8(0)
		if t.W < 256 {
			p = uint8(t.W)
		}
		b, err := f.a.get(f.ctx, layout.TilePath(uint64(t.L), uint64(t.N), p))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

func (tileFetcher) SaveTiles([]tlog.Tile, [][]byte) {}

// get fetches BaseURL/path, refusing anything but 200 and bodies over
// maxTile.
func (a *TileAuditor) get(ctx context.Context, path string) ([]byte, error) {
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimSuffix(a.BaseURL, "/") + "/" + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTile+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if len(b) > maxTile {
		return nil, errors.New("GET " + u + ": body too large")
	}
	return b, nil
}
