package retention

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// upload adds a file holding data to the tenant's package and returns its
// digest.
func (f *fixture) upload(tenant, pkg, path, data string) cas.Digest {
	f.t.Helper()
	file, err := f.cat.AddFile(f.t.Context(), "ci", tenant, pkg, path, "text/plain", catalog.Landing{}, strings.NewReader(data))
	if err != nil {
		f.t.Fatal(err)
	}
	d, err := cas.ParseDigest(file.Digest)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// withFile makes a package of class for acme holding one file of data.
func (f *fixture) withFile(class, data string) (*catalog.Package, cas.Digest) {
	f.t.Helper()
	p := f.create(class)
	return p, f.upload("acme", p.ID, "a.txt", data)
}

// Where a blob is in the local store.
const (
	inStore = "store"
	inTrash = "trash"
	nowhere = "gone"
)

// where says whether d is in the store, in the trash or gone.
func (f *fixture) where(d cas.Digest) string {
	f.t.Helper()
	_, err := f.store.Head(f.t.Context(), d)
	trashed, terr := f.store.InTrash(f.t.Context(), d)
	switch {
	case terr != nil || err != nil && !errors.Is(err, cas.ErrNotFound):
		f.t.Fatalf("where %s: %v, %v", d, err, terr)
	case err == nil && trashed:
		f.t.Fatalf("%s is both in the store and in the trash", d)
	case err == nil:
		return inStore
	case trashed:
		return inTrash
	}
	return nowhere
}

// expectWhere fails unless each blob is where it should be.
func (f *fixture) expectWhere(step string, want map[cas.Digest]string) {
	f.t.Helper()
	for d, w := range want {
		if got := f.where(d); got != w {
			f.t.Fatalf("%s: blob %s is in %s, want %s", step, d.Hex()[:8], got, w)
		}
	}
}

// blobs lists the files of the store, live and trashed.
func (f *fixture) blobs() []string {
	f.t.Helper()
	var out []string
	err := filepath.WalkDir(f.storeRoot, func(path string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && !strings.Contains(path, "/tmp/") {
			out = append(out, strings.TrimPrefix(path, f.storeRoot))
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// typesSince returns the entry types appended from index from on.
func (f *fixture) typesSince(from uint64) []string {
	f.t.Helper()
	size := f.size()
	entries, err := f.log.Entries(from, size)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		_, rest, _ := strings.Cut(string(e), `"type":"`)
		typ, _, _ := strings.Cut(rest, `"`)
		out = append(out, typ)
	}
	return out
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
