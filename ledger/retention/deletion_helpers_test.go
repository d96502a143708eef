package retention

import (
	"errors"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
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

// blobs lists the files of the store, live and trashed (on versitygw:
// every version and delete marker in the bucket).
func (f *fixture) blobs() []string {
	f.t.Helper()
	var out []string
	if f.gw != nil {
		p := s3sdk.NewListObjectVersionsPaginator(f.gw.Client(), &s3sdk.ListObjectVersionsInput{Bucket: &f.bucket})
		for p.HasMorePages() {
			page, err := p.NextPage(f.t.Context())
			if err != nil {
				f.t.Fatal(err)
			}
			for _, v := range page.Versions {
				out = append(out, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
			}
			for _, m := range page.DeleteMarkers {
				out = append(out, aws.ToString(m.Key)+"@"+aws.ToString(m.VersionId)+" (delete marker)")
			}
		}
		return out
	}
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

// expectBytes fails unless the store serves data for d.
func (f *fixture) expectBytes(step string, d cas.Digest, data string) {
	f.t.Helper()
	r, err := f.store.Get(f.t.Context(), d, 0, -1)
	if err != nil {
		f.t.Fatalf("%s: get %s: %v", step, d.Hex()[:8], err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != data {
		f.t.Fatalf("%s: blob %s holds %q, %v; want %q", step, d.Hex()[:8], got, err, data)
	}
}

// expectLegalHold fails unless the S3 legal hold of d's live version is
// on as asked; on the local store, which has no locks, it does nothing.
func (f *fixture) expectLegalHold(step string, d cas.Digest, on bool) {
	f.t.Helper()
	if f.gw == nil {
		return
	}
	key := "sha256/" + d.Hex()
	out, err := f.gw.Client().GetObjectLegalHold(f.t.Context(), &s3sdk.GetObjectLegalHoldInput{Bucket: &f.bucket, Key: &key})
	var apiErr interface{ ErrorCode() string }
	switch {
	case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchObjectLockConfiguration":
		if on {
			f.t.Fatalf("%s: blob %s has no legal hold, want one", step, d.Hex()[:8])
		}
	case err != nil:
		f.t.Fatalf("%s: GetObjectLegalHold %s: %v", step, d.Hex()[:8], err)
	case (out.LegalHold.Status == types.ObjectLockLegalHoldStatusOn) != on:
		f.t.Fatalf("%s: blob %s legal hold %s, want on=%v", step, d.Hex()[:8], out.LegalHold.Status, on)
	}
}
