package client

import (
	"context"
	"fmt"
	"strconv"
)

// maxTile bounds a tile or entry bundle: 256 entries of at most 64 KiB each.
const maxTile = 256 * (2 + 1<<16)

// Tile fetches the tlog-tiles hash tile of the given level and index; p is
// the width of a partial tile, 0 for a full one. Its signature fits
// transparency-dev/tessera's client.TileFetcherFunc.
func (c *Client) Tile(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
	return c.get(ctx, "/tile/"+strconv.FormatUint(level, 10)+"/"+tileN(index, p), nil, maxTile)
}

// EntryBundle fetches the tlog-tiles entry bundle of the given index; p is
// its width when partial, 0 when full. It fits tessera's
// client.EntryBundleFetcherFunc.
func (c *Client) EntryBundle(ctx context.Context, index uint64, p uint8) ([]byte, error) {
	return c.get(ctx, "/tile/entries/"+tileN(index, p), nil, maxTile)
}

// tileN encodes a tile index as the spec's path ("x001/x234/067") with the
// partial-width suffix when p > 0.
func tileN(n uint64, p uint8) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n /= 1000; n > 0; n /= 1000 {
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	if p > 0 {
		s += ".p/" + strconv.Itoa(int(p))
	}
	return s
}
