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
	// A job export of tenant acme names its logs by cas:// URI.
	body := []byte(`{"logsPath":"cas://runs/1/logs.ndjson","manifestPath":"cas://runs/1/manifest.json"}`)
	if _, err := src.Append(t.Context(), ledger.Entry{Type: "test.count", Tenant: "acme", Body: body}); err != nil {
		t.Fatal(err)
	}
	return src, k, store, absent
}

// casObjects is what acme's cas:// URIs name in the test store: the logs
// are blob 0; the manifest is not there.
var casObjects = map[CASRef][]byte{{Tenant: "acme", URI: "cas://runs/1/logs.ndjson"}: []byte("blob 0")}

// exportBlobs writes the whole log with the blobs store holds.
func exportBlobs(t *testing.T, l *ledger.Log, store map[string][]byte) []byte {
	to, _ := l.Head()
	es, _ := l.Entries(0, to)
	blob := func(data []byte) Blob {
		sum := sha256.Sum256(data)
		return Blob{Hex: hex.EncodeToString(sum[:]), Size: int64(len(data)), Open: func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		}}
	}
	c := Contents{Header: Header{Origin: l.Origin(), To: to}, Checkpoint: l.Checkpoint(),
		Resolve: func(refs References) (Resolution, error) {
			var res Resolution
			for _, d := range refs.Digests {
				if data, ok := store[d]; ok {
					res.Blobs = append(res.Blobs, blob(data))
				} else {
					res.Missing = append(res.Missing, d)
				}
			}
			for _, r := range refs.CAS {
				if data, ok := casObjects[r]; ok {
					b := blob(data)
					res.Blobs, r.Digest = append(res.Blobs, b), b.Hex
				}
				res.CAS = append(res.CAS, r)
			}
			return res, nil
		}}
	return writeBundle(t, c, es)
}

func TestBundleCarriesBlobs(t *testing.T) {
	src, k, store, absent := blobLog(t)
	b := exportBlobs(t, src, store)
	v, err := Verify(bytes.NewReader(b), Options{Key: k.vkey})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Header.Blobs || !slices.Equal(v.Header.Missing, []string{absent}) || len(v.Header.CAS) != 2 ||
		v.Header.CAS[0].Digest == "" || v.Header.CAS[1].Digest != "" {
		t.Fatalf("header %+v: want blobs, missing [%s], logs resolved and manifest not", v.Header, absent)
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
	if res, err := Import(t.Context(), opener(b), dst, Options{Key: k.vkey}, sink); err != nil || res.Added != 4 {
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
	header := func(from, to string) [][]byte {
		d := append([][]byte(nil), data...)
		if !bytes.Contains(d[0], []byte(from)) {
			t.Fatalf("header %s lacks %s", d[0], from)
		}
		d[0] = bytes.Replace(d[0], []byte(from), []byte(to), 1)
		return withManifest(names, d)
	}
	reordered := append([]string(nil), names...)
	rdata := append([][]byte(nil), data...)
	reordered[blobAt], reordered[blobAt+1] = reordered[blobAt+1], reordered[blobAt]
	rdata[blobAt], rdata[blobAt+1] = rdata[blobAt+1], rdata[blobAt]
	for name, b := range map[string][]byte{
		"blob swapped":                 pack(t, names, swapped, tar.TypeReg),
		"blob swapped, manifest fixed": pack(t, names, withManifest(names, swapped), tar.TypeReg),
		"missing digest not listed":    pack(t, names, withManifest(names, unlisted), tar.TypeReg),
		"blobs out of order":           pack(t, reordered, withManifest(reordered, rdata), tar.TypeReg),
		"cas URI not resolved":         pack(t, names, header(`{"tenant":"acme","uri":"cas://runs/1/manifest.json","digest":""}`, ``), tar.TypeReg),
		"cas URI of another tenant":    pack(t, names, header(`"tenant":"acme","uri":"cas://runs/1/logs`, `"tenant":"evil","uri":"cas://runs/1/logs`), tar.TypeReg),
		"cas digest not carried":       pack(t, names, header(`"uri":"cas://runs/1/manifest.json","digest":""`, `"uri":"cas://runs/1/manifest.json","digest":"`+absent+`"`), tar.TypeReg),
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
