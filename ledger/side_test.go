package ledger

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestSideData: side values survive appends and a reopen, a later write
// replaces an earlier one, scans see a prefix in order, and none of it
// changes the tree.
func TestSideData(t *testing.T) {
	dir, k := t.TempDir(), newKeys(t)
	l := openLog(t, dir, k, nil)
	ctx := context.Background()
	if _, err := l.Side([]byte("w/a")); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("unwritten side key: %v", err)
	}
	for i := range 5 {
		if err := l.PutSide([]byte("w/a"), fmt.Appendf(nil, "v%d", i)); err != nil {
			t.Fatal(err)
		}
		fill(t, l, 3, 1)
	}
	if err := l.PutSide([]byte("w/b"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := l.PutSide([]byte("x"), []byte("other prefix")); err != nil {
		t.Fatal(err)
	}
	size, root := l.Head()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openLog(t, dir, k, nil)
	defer l.Close()
	if s, r := l.Head(); s != size || string(r) != string(root) {
		t.Fatalf("head after reopen %d %x, want %d %x", s, r, size, root)
	}
	if v, err := l.Side([]byte("w/a")); err != nil || string(v) != "v4" {
		t.Fatalf("w/a after reopen: %q %v, want the last write v4", v, err)
	}
	var seen []string
	if err := l.ScanSide(ctx, []byte("w/"), func(k, v []byte) (bool, error) {
		seen = append(seen, string(k)+"="+string(v))
		return true, nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seen) != "[w/a=v4 w/b=b]" {
		t.Fatalf("scan of w/: %v", seen)
	}
	if err := l.PutSide(nil, []byte("x")); err == nil {
		t.Fatal("an empty side key was accepted")
	}
}
