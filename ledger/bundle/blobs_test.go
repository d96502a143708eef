package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/assay-ledger/assay/ledger"
)

// blobLog is a source log whose entries name three blobs, one of which the
// store does not hold.
func blobLog(t *testing.T) (*ledger.Log, keys, map[string][]byte, string) {
	k := newKeys(t, origin)
	src := openLog(t, k, origin)
	store := map[string][]byte{}
	var absent string
	for i := range 3 {
		data := fmt.Appendf(nil, "blob %d", i)
		sum := sha256.Sum256(data)
		d := hex.EncodeToString(sum[:])
		if i < 2 {
			store[d] = data
		} else {
			absent = d
		}
		body := fmt.Appendf(nil, `{"digest":"sha256:%s"}`, d)
		if _, err := src.Append(t.Context(), ledger.Entry{Type: "test.count", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	return src, k, store, absent
}

// exportBlobs writes the whole log with the blobs store holds.
func exportBlobs(t *testing.T, l *ledger.Log, store map[string][]byte) []byte {
	to, _ := l.Head()
	es, _ := l.Entries(0, to)
	c := Contents{Header: Header{Origin: l.Origin(), To: to}, Checkpoint: l.Checkpoint(),
		Blobs: func(refs []string) ([]Blob, []string, error) {
			var bs []Blob
			var missing []string
			for _, d := range refs {
				data, ok := store[d]
				if !ok {
					missing = append(missing, d)
					continue
				}
				bs = append(bs, Blob{Hex: d, Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
					return io.NopCloser(bytes.NewReader(data)), nil
				}})
			}
			return bs, missing, nil
		}}
	var buf bytes.Buffer
	next := func() ([]byte, error) {
		if len(es) == 0 {
			return nil, io.EOF
		}
		e := es[0]
		es = es[1:]
		return e, nil
	}
	if err := Write(&buf, c, next, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBundleCarriesBlobs(t *testing.T) {
	src, k, store, absent := blobLog(t)
	b := exportBlobs(t, src, store)
	v, err := Verify(bytes.NewReader(b), Options{Key: k.vkey})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Header.Blobs || !slices.Equal(v.Header.Missing, []string{absent}) {
		t.Fatalf("header %+v: want blobs and missing [%s]", v.Header, absent)
	}
	got := map[string][]byte{}
	sink := func(d string, r io.Reader) error {
		data, err := io.ReadAll(r)
		got[d] = data
		return err
	}
	dst := openLog(t, newKeys(t, "m"), "m")
	if _, err := Import(t.Context(), opener(b), dst, Options{Key: k.vkey}, nil); err == nil {
		t.Fatal("a bundle with blobs imported with nowhere to keep them")
	}
	if res, err := Import(t.Context(), opener(b), dst, Options{Key: k.vkey}, sink); err != nil || res.Added != 3 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	if len(got) != 2 {
		t.Fatalf("sink got %d blobs, want 2", len(got))
	}
	for d, data := range store {
		if !bytes.Equal(got[d], data) {
			t.Fatalf("blob %s arrived as %q", d, got[d])
		}
	}
}

func TestBundleBlobTampering(t *testing.T) {
	src, k, store, absent := blobLog(t)
	good := exportBlobs(t, src, store)
	names, data := members(t, good)
	blobAt := slices.IndexFunc(names, func(n string) bool { return len(n) > 6 && n[:6] == "blobs/" })
	swapped := append([][]byte(nil), data...)
	swapped[blobAt] = []byte("blob 9") // same length, other content
	unlisted := append([][]byte(nil), data...)
	unlisted[0] = bytes.Replace(unlisted[0], []byte(`"missing":["`+absent+`"]`), []byte(`"missing":[]`), 1)
	reordered := append([]string(nil), names...)
	rdata := append([][]byte(nil), data...)
	reordered[blobAt], reordered[blobAt+1] = reordered[blobAt+1], reordered[blobAt]
	rdata[blobAt], rdata[blobAt+1] = rdata[blobAt+1], rdata[blobAt]
	for name, b := range map[string][]byte{
		"blob swapped":                 pack(t, names, swapped, tar.TypeReg),
		"blob swapped, manifest fixed": pack(t, names, withManifest(names, swapped), tar.TypeReg),
		"missing digest not listed":    pack(t, names, withManifest(names, unlisted), tar.TypeReg),
		"blobs out of order":           pack(t, reordered, withManifest(reordered, rdata), tar.TypeReg),
		"stray member among blobs":     pack(t, append(append(append([]string(nil), names[:blobAt]...), "blobs/x"), names[blobAt:]...), append(append(append([][]byte(nil), data[:blobAt]...), []byte("x")), data[blobAt:]...), tar.TypeReg),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Verify(bytes.NewReader(b), Options{Key: k.vkey}); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify: %v, want ErrInvalid", err)
			}
			dst := openLog(t, newKeys(t, "m"), "m")
			kept := 0
			sink := func(string, io.Reader) error { kept++; return nil }
			if _, err := Import(t.Context(), opener(b), dst, Options{Key: k.vkey}, sink); err == nil {
				t.Fatal("imported")
			}
			if size, _ := dst.Head(); size != 0 || kept != 0 {
				t.Fatalf("a refused bundle imported %d entries and %d blobs", size, kept)
			}
		})
	}
}
