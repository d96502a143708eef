package httpapi_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/cas/s3"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// badCase is one bad request; setup prepares state and returns the request
// to send, whose answer must be a problem of type typ and status, with the
// log and the store exactly as they were after setup.
type badCase struct {
	name   string
	typ    string
	status int
	send   func(f *catFixture) response
}

// uploadTo uploads parts to a fresh open package.
func uploadTo(parts ...part) func(f *catFixture) response {
	return func(f *catFixture) response {
		id := f.createPackage("p")
		return f.snapshotThen(func() response { return f.upload(id, f.admin, parts...) })
	}
}

// create posts a package creation body.
func create(body string) func(f *catFixture) response {
	return func(f *catFixture) response {
		return f.snapshotThen(func() response {
			return f.request(http.MethodPost, "/v1/packages", f.admin, http.Header{"Content-Type": {"application/json"}}, strings.NewReader(body))
		})
	}
}

// snapshotThen records the log size and store contents, runs send and
// fails the test if either changed.
func (f *catFixture) snapshotThen(send func() response) response {
	f.t.Helper()
	size, files := f.size(), f.storeFiles()
	r := send()
	if got := f.size(); got != size {
		f.t.Errorf("log size %d after the bad request, was %d", got, size)
	}
	if got := f.storeFiles(); !slices.Equal(got, files) {
		f.t.Errorf("store files changed:\nbefore %q\nafter  %q", files, got)
	}
	return r
}

func badInputCases() []badCase {
	bigMeta := fmt.Sprintf(`{"name":"n","retention_class":"transient","metadata":{"blob":"%s"}}`, strings.Repeat("x", catalog.MaxMetadata))
	return []badCase{
		{"dotdot path", wire.TypePathDotDot, 400, uploadTo(filePart("a/../../etc/passwd", "x"))},
		{"absolute path", wire.TypePathAbsolute, 400, uploadTo(filePart("/etc/passwd", "x"))},
		{"backslash in filename", wire.TypePathBackslash, 400, uploadTo(rawPart(`form-data; name="file"; filename="reports\report.md"`, "x"))},
		{"backslash in path header", wire.TypePathBackslash, 400, uploadTo(filePart(`a\b`, "x"))},
		{"NUL in filename", wire.TypePathControl, 400, uploadTo(rawPart(`form-data; name="file"; filename*=UTF-8''a%00b`, "x"))},
		{"control character", wire.TypePathControl, 400, uploadTo(rawPart(`form-data; name="file"; filename*=UTF-8''a%1bb`, "x"))},
		{"empty name", wire.TypePathEmpty, 400, uploadTo(rawPart(`form-data; name="file"; filename=""`, "x"))},
		{"no filename", wire.TypePathEmpty, 400, uploadTo(rawPart(`form-data; name="file"`, "x"))},
		{"unclean path", wire.TypePathUnclean, 400, uploadTo(filePart("a//b", "x"))},
		{"not a file part", wire.TypeInvalidMultipart, 400, uploadTo(rawPart(`form-data; name="comment"`, "x"))},
		{"no parts", wire.TypeInvalidMultipart, 400, uploadTo()},
		{"bad part digest", wire.TypeInvalidDigest, 400, uploadTo(filePart("a", "x", wire.DigestHeader, "sha256:XYZ"))},
		{"digest mismatch", wire.TypeDigestMismatch, 422, uploadTo(filePart("a", "x", wire.DigestHeader, cas.DigestOf([]byte("y")).String()))},
		{"duplicate path", wire.TypeDuplicatePath, 409, func(f *catFixture) response {
			id := f.createPackage("p")
			f.upload(id, f.admin, filePart("reports/a.md", "first"))
			return f.snapshotThen(func() response { return f.upload(id, f.admin, filePart("reports/a.md", "second")) })
		}},
		{"finalized package", wire.TypePackageFinalized, 409, func(f *catFixture) response {
			id := f.createPackage("p")
			f.upload(id, f.admin, filePart("a", "a"))
			if _, err := f.adminCli.Finalize(f.t.Context(), id); err != nil {
				f.t.Fatal(err)
			}
			return f.snapshotThen(func() response { return f.upload(id, f.admin, filePart("b", "b")) })
		}},
		{"unknown package", wire.TypePackageNotFound, 404, func(f *catFixture) response {
			return f.snapshotThen(func() response { return f.upload(catalog.NewID("pkg"), f.admin, filePart("a", "a")) })
		}},
		{"unknown retention class", wire.TypeUnknownRetention, 400, create(`{"name":"n","retention_class":"forever"}`)},
		{"oversize metadata", wire.TypeMetadataTooLarge, 413, create(bigMeta)},
		{"non-JSON metadata", wire.TypeMetadataNotJSON, 400, create(`{"name":"n","retention_class":"transient","metadata":"text"}`)},
		{"non-JSON body", wire.TypeMetadataNotJSON, 400, create(`name=n`)},
		{"non-JSON object metadata", wire.TypeMetadataNotJSON, 400, func(f *catFixture) response {
			return f.snapshotThen(func() response {
				return f.request(http.MethodPut, "/v1/objects/raw/k", f.admin, http.Header{wire.MetadataHeader: {"{oops"}}, strings.NewReader("k"))
			})
		}},
		{"object key under packages/", wire.TypePathReserved, 400, func(f *catFixture) response {
			return f.snapshotThen(func() response {
				return f.request(http.MethodPut, "/v1/objects/raw/packages/x", f.admin, nil, strings.NewReader("k"))
			})
		}},
		{"object key with backslash", wire.TypePathBackslash, 400, func(f *catFixture) response {
			return f.snapshotThen(func() response {
				return f.request(http.MethodPut, "/v1/objects/raw/a%5Cb", f.admin, nil, strings.NewReader("k"))
			})
		}},
		{"object key with control character", wire.TypePathControl, 400, func(f *catFixture) response {
			return f.snapshotThen(func() response {
				return f.request(http.MethodPut, "/v1/objects/raw/a%01b", f.admin, nil, strings.NewReader("k"))
			})
		}},
		{"upload over the size limit", wire.TypePayloadTooLarge, 413, uploadTo(filePart("big", strings.Repeat("x", 2<<20)))},
		{"store write error", wire.TypeStorageWriteFailed, 500, func(f *catFixture) response {
			id := f.createPackage("p")
			tmp := filepath.Join(f.blobs, "tmp")
			if err := os.RemoveAll(tmp); err != nil {
				f.t.Fatal(err)
			}
			if err := os.WriteFile(tmp, nil, 0o600); err != nil { // a file where the temp dir was
				f.t.Fatal(err)
			}
			return f.snapshotThen(func() response { return f.upload(id, f.admin, filePart("a", "a")) })
		}},
		{"disk full", wire.TypeStorageFull, 507, func(f *catFixture) response {
			id := f.createPackage("p")
			return f.snapshotThen(func() response {
				castest.LimitFileSize(f.t, 256<<10)
				return f.upload(id, f.admin, filePart("big", strings.Repeat("x", 512<<10)))
			})
		}},
	}
}

// TestCatalogBadInput sends each bad request to a fresh server and checks
// its problem type and that neither the log nor the store changed.
func TestCatalogBadInput(t *testing.T) {
	for _, tc := range badInputCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := newCatFixture(t, nil)
			r := tc.send(f)
			if p := r.problem(t); p.Type != tc.typ || p.Status != tc.status {
				t.Fatalf("problem %s (%d), want %s (%d): %s", p.Type, p.Status, tc.typ, tc.status, r.body)
			}
		})
	}
}

// TestStoreUnavailable points the server at an S3 endpoint where nothing
// listens: uploads and puts answer 503 and register nothing.
func TestStoreUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_CONFIG_FILE": os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": ""} {
		t.Setenv(k, v)
	}
	st, err := s3.New(context.Background(), s3.Config{Endpoint: "http://" + addr, Bucket: "b", PathStyle: true, Region: "us-east-1", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	f := newCatFixture(t, st)
	id := f.createPackage("p")
	for name, send := range map[string]func() response{
		"upload": func() response { return f.upload(id, f.admin, filePart("a", "a")) },
		"put": func() response {
			return f.request(http.MethodPut, "/v1/objects/raw/k", f.admin, nil, strings.NewReader("k"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.snapshotThen(send)
			if p := r.problem(t); p.Type != wire.TypeStorageUnavailable || p.Status != 503 {
				t.Fatalf("problem %s: %s", p.Type, r.body)
			}
		})
	}
	r := f.request(http.MethodGet, "/v1/backends", f.admin, nil, nil)
	if !strings.Contains(string(r.body), `"status":"unavailable"`) {
		t.Fatalf("backends: %s", r.body)
	}
	if r := f.request(http.MethodGet, "/health/store", "", nil, nil); r.problem(t).Type != wire.TypeStorageUnavailable {
		t.Fatalf("store health: %s", r.body)
	}
}
