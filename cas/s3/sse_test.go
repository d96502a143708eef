package s3

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

// sseHeader and sseKMSHeader are the request headers that ask S3 for
// server-side encryption, and the response header that reports it.
const (
	sseHeader    = "X-Amz-Server-Side-Encryption"
	sseKMSHeader = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
)

// sseWrite is one request that creates an object or an upload, with the
// encryption it asked for and the encryption the server said it applied.
type sseWrite struct {
	op                 string
	sent, kms, applied string
}

// sseRecorder is a reverse proxy in front of a real S3 server that records
// the object-creating requests passing through, unchanged, in both
// directions (Host is kept, so signatures stay valid).
type sseRecorder struct {
	mu      sync.Mutex
	writes  []sseWrite
	applied map[string]string // response header of HEAD and GET, by method
}

// writeOp names the object-creating S3 operations, which carry the
// encryption settings; "" for every other request.
func writeOp(r *http.Request) string {
	q := r.URL.Query()
	copySrc := r.Header.Get("X-Amz-Copy-Source") != ""
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPut && q.Has("uploadId"):
		return "" // UploadPart, UploadPartCopy: the upload's settings apply
	case r.Method == http.MethodPut && copySrc:
		return "CopyObject"
	case r.Method == http.MethodPut && r.URL.Path != "/" && strings.Count(strings.Trim(r.URL.Path, "/"), "/") > 0:
		return "PutObject"
	}
	return ""
}

func newSSERecorder(t *testing.T, target string) (*sseRecorder, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rec := &sseRecorder{applied: map[string]string{}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		ModifyResponse: func(resp *http.Response) error {
			r := resp.Request
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if op := writeOp(r); op != "" {
				rec.writes = append(rec.writes, sseWrite{op: op, sent: r.Header.Get(sseHeader), kms: r.Header.Get(sseKMSHeader),
					applied: resp.Header.Get(sseHeader)})
			}
			if r.Method == http.MethodHead || r.Method == http.MethodGet {
				rec.applied[r.Method] = resp.Header.Get(sseHeader)
			}
			return nil
		},
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// TestSSEHeaders runs Puts of each shape (one PutObject; a multipart
// upload and a server-side copy; a copy in parts) through a proxy in
// front of versitygw and checks that every object-creating request asks
// for the configured server-side encryption, and that the blobs read
// back.
//
// versitygw v1.8.0 (posix backend) accepts the SSE headers, but does not
// encrypt, and does not report encryption in its answers (no
// x-amz-server-side-encryption): only what Assay sends is tested here, not
// that an S3 service encrypts. The test logs what the server answered.
func TestSSEHeaders(t *testing.T) {
	g := server(t)
	for _, tc := range []struct {
		name, sse, kms string
	}{
		{"AES256", "AES256", ""},
		{"aws:kms", "aws:kms", "key-1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, endpoint := newSSERecorder(t, g.Endpoint)
			plain := newStore(t, g, Config{}, false)
			var puts []cas.Digest
			for _, copyPart := range []int64{0, minPartSize} {
				s, err := New(t.Context(), Config{Endpoint: endpoint, Region: g.Region, PathStyle: true, Bucket: plain.cfg.Bucket,
					Prefix: fmt.Sprintf("copy-%d/", copyPart), PartSize: minPartSize, CopyPartSize: copyPart, SSE: tc.sse, SSEKMSKeyID: tc.kms})
				if err != nil {
					t.Fatal(err)
				}
				for i, size := range []int{1000, minPartSize + 1<<20} {
					data := castest.Data(uint64(copyPart)+uint64(i), size)
					info, err := s.Put(t.Context(), bytes.NewReader(data), castest.Expect(data).Digest)
					if err != nil {
						t.Fatalf("Put of %d bytes: %v", size, err)
					}
					rc, err := s.Get(t.Context(), info.Digest, 0, -1)
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(rc)
					rc.Close()
					if err != nil || !bytes.Equal(got, data) {
						t.Fatalf("Get of %d bytes: %d bytes back, %v", size, len(got), err)
					}
					if _, err := s.Head(t.Context(), info.Digest); err != nil {
						t.Fatal(err)
					}
					puts = append(puts, info.Digest)
					if i == 0 {
						if b, err := os.ReadFile(g.ObjectPath(s.cfg.Bucket, s.blobKey(info.Digest))); err == nil && bytes.Equal(b, data) {
							t.Logf("versitygw keeps %s as plaintext on its disk", s.blobKey(info.Digest))
						}
					}
				}
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			var ops []string
			for _, w := range rec.writes {
				if w.sent != tc.sse || w.kms != tc.kms {
					t.Errorf("%s asked for SSE %q with KMS key %q, want %q, %q", w.op, w.sent, w.kms, tc.sse, tc.kms)
				}
				if w.applied != "" && w.applied != tc.sse {
					t.Errorf("%s: the server applied SSE %q, not %q", w.op, w.applied, tc.sse)
				}
				t.Logf("%s sent %s: %q; server answered %q", w.op, sseHeader, w.sent, w.applied)
				ops = append(ops, w.op)
			}
			for _, op := range []string{"PutObject", "CreateMultipartUpload", "CopyObject"} {
				if !slices.Contains(ops, op) {
					t.Errorf("no %s went through the proxy (saw %v)", op, ops)
				}
			}
			if n := strings.Count(strings.Join(ops, " "), "CreateMultipartUpload"); n < 3 {
				t.Errorf("%d CreateMultipartUpload, want 3 (two uploads, one copy in parts)", n)
			}
			t.Logf("%d blobs; server answered HEAD with %s %q, GET with %q", len(puts), sseHeader, rec.applied[http.MethodHead], rec.applied[http.MethodGet])
		})
	}
}
