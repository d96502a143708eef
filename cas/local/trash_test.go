package local

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

// TestTrash moves a blob to the trash and back, repeats each step (every
// step is idempotent, as a resumed deletion needs), and purges it.
func TestTrash(t *testing.T) {
	ctx := t.Context()
	l, err := Open(Config{Root: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("evidence that may be deleted")
	info, err := l.Put(ctx, bytes.NewReader(data), cas.Digest{})
	if err != nil {
		t.Fatal(err)
	}
	d := info.Digest
	where := func() (live, trashed bool) {
		t.Helper()
		_, herr := l.Head(ctx, d)
		in, err := l.InTrash(ctx, d)
		if err != nil || herr != nil && !errors.Is(herr, cas.ErrNotFound) {
			t.Fatalf("InTrash: %v, Head: %v", err, herr)
		}
		return herr == nil, in
	}
	steps := []struct {
		name          string
		do            func() error
		want          error
		live, trashed bool
	}{
		{"trash", func() error { return l.Trash(ctx, d) }, nil, false, true},
		{"trash again", func() error { return l.Trash(ctx, d) }, nil, false, true},
		{"untrash", func() error { return l.Untrash(ctx, d) }, nil, true, false},
		{"untrash again", func() error { return l.Untrash(ctx, d) }, nil, true, false},
		{"purge leaves the live blob", func() error { return l.Purge(ctx, d) }, nil, true, false},
		{"trash once more", func() error { return l.Trash(ctx, d) }, nil, false, true},
		{"put again while trashed", func() error { _, err := l.Put(ctx, bytes.NewReader(data), d); return err }, nil, true, true},
		{"untrash drops the copy", func() error { return l.Untrash(ctx, d) }, nil, true, false},
		{"trash for the purge", func() error { return l.Trash(ctx, d) }, nil, false, true},
		{"purge", func() error { return l.Purge(ctx, d) }, nil, false, false},
		{"purge again", func() error { return l.Purge(ctx, d) }, nil, false, false},
		{"untrash a purged blob", func() error { return l.Untrash(ctx, d) }, cas.ErrNotFound, false, false},
		{"trash a purged blob", func() error { return l.Trash(ctx, d) }, cas.ErrNotFound, false, false},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.want) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.want)
		}
		if live, trashed := where(); live != s.live || trashed != s.trashed {
			t.Fatalf("%s: live %v, trashed %v; want %v, %v", s.name, live, trashed, s.live, s.trashed)
		}
	}
	if _, err := l.Put(ctx, bytes.NewReader(data), d); err != nil {
		t.Fatal(err)
	}
	rc, err := l.Get(ctx, d, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %q, %v", got, err)
	}
}
