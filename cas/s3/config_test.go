package s3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantMsg string
	}{
		{"no bucket", Config{}, "Bucket is empty"},
		{"part too small", Config{Bucket: "b", PartSize: 1 << 20}, "PartSize"},
		{"part too large", Config{Bucket: "b", PartSize: 6 << 30}, "PartSize"},
		{"copy part too small", Config{Bucket: "b", CopyPartSize: 1}, "CopyPartSize"},
		{"unknown SSE", Config{Bucket: "b", SSE: "rot13"}, "SSE"},
		{"KMS key without aws:kms", Config{Bucket: "b", SSE: "AES256", SSEKMSKeyID: "k"}, "SSEKMSKeyID"},
		{"absolute prefix", Config{Bucket: "b", Prefix: "/x/"}, "Prefix"},
		{"negative attempts", Config{Bucket: "b", MaxAttempts: -1}, "MaxAttempts"},
		{"valid", Config{Bucket: "b", SSE: "aws:kms", SSEKMSKeyID: "k", StorageClass: "STANDARD_IA"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(t.Context(), tc.cfg)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("New = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("New = %v, want an error mentioning %q", err, tc.wantMsg)
			}
		})
	}
}

// recorder is a fake S3 endpoint that answers HEAD with 404 and everything
// else with an empty 200, recording request headers by method.
type recorder struct {
	mu      sync.Mutex
	headers map[string]http.Header
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.headers[req.Method] = req.Header.Clone()
	r.mu.Unlock()
	if req.Method == http.MethodHead {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// TestWriteSettingsAndCredentials checks that writes carry the configured
// encryption and storage class and are signed with credentials from the
// environment.
func TestWriteSettingsAndCredentials(t *testing.T) {
	rec := &recorder{headers: map[string]http.Header{}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENVIRONMENT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret-from-environment")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	s, err := New(t.Context(), Config{
		Endpoint: srv.URL, Region: "eu-west-3", Bucket: "b", PathStyle: true, MaxAttempts: 1,
		SSE: "aws:kms", SSEKMSKeyID: "key-1234", StorageClass: "STANDARD_IA",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(t.Context(), strings.NewReader("hello"), cas.Digest{}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	h := rec.headers[http.MethodPut]
	want := map[string]string{
		"X-Amz-Server-Side-Encryption":                "aws:kms",
		"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "key-1234",
		"X-Amz-Storage-Class":                         "STANDARD_IA",
		"X-Amz-Meta-Blake3":                           "ea8f163db38682925e4491c5e58d4bb3506ef8c14eb78a86e908c5624a67200f",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("PUT header %s = %q, want %q", k, got, v)
		}
	}
	if auth := h.Get("Authorization"); !strings.Contains(auth, "Credential=AKIDFROMENVIRONMENT/") || !strings.Contains(auth, "/eu-west-3/s3/") {
		t.Errorf("Authorization %q not signed with the environment's key for eu-west-3", auth)
	}
}
