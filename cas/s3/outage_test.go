package s3

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

// TestServerDown stops the server and expects every operation to fail with
// ErrUnavailable; once it is back, nothing is half-written.
func TestServerDown(t *testing.T) {
	g := server(t)
	s := newStore(t, g, Config{PartSize: minPartSize, MaxAttempts: 1}, false)
	stored := castest.Data(1, 1000)
	d := castest.Expect(stored).Digest
	if _, err := s.Put(t.Context(), bytes.NewReader(stored), cas.Digest{}); err != nil {
		t.Fatal(err)
	}
	g.Stop()
	ops := []struct {
		name string
		op   func() error
	}{
		{"Put small", func() error {
			_, err := s.Put(t.Context(), bytes.NewReader(castest.Data(2, 1000)), cas.Digest{})
			return err
		}},
		{"Put large", func() error { _, err := s.Put(t.Context(), castest.NewReader(3, 12<<20), cas.Digest{}); return err }},
		{"Put existing", func() error { _, err := s.Put(t.Context(), bytes.NewReader(stored), d); return err }},
		{"Get", func() error { _, err := s.Get(t.Context(), d, 0, -1); return err }},
		{"Get range", func() error { _, err := s.Get(t.Context(), d, 10, 0); return err }},
		{"Head", func() error { _, err := s.Head(t.Context(), d); return err }},
		{"Delete", func() error { return s.Delete(t.Context(), d) }},
		{"Verify", func() error { return s.Verify(t.Context(), d, true) }},
		{"Walk", func() error { return s.Walk(t.Context(), func(cas.Digest) error { return nil }) }},
		{"Health", func() error { return s.Health(t.Context()) }},
		{"SweepTemp", func() error { _, err := s.SweepTemp(t.Context(), time.Now()); return err }},
	}
	for _, tc := range ops {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, cas.ErrUnavailable) {
				t.Fatalf("%s with the server down = %v, want ErrUnavailable", tc.name, err)
			}
		})
	}
	g.Start()
	if got := listAll(t, s); len(got) != 1 || got[0] != s.blobKey(d) {
		t.Fatalf("after the outage the bucket holds %q, want only %s", got, s.blobKey(d))
	}
}

// TestServerDiesMidPut stops the server while a multipart Put streams: the
// Put fails with ErrUnavailable, no blob appears, and the pending upload it
// could not abort is invisible and removed by SweepTemp.
func TestServerDiesMidPut(t *testing.T) {
	g := server(t)
	s := newStore(t, g, Config{PartSize: minPartSize, MaxAttempts: 1}, false)
	data := castest.Data(4, 12<<20)
	d := castest.Expect(data).Digest
	r := &stopAfter{r: bytes.NewReader(data), left: 7 << 20, stop: g.Stop}
	if _, err := s.Put(t.Context(), r, cas.Digest{}); !errors.Is(err, cas.ErrUnavailable) {
		t.Fatalf("Put while the server dies = %v, want ErrUnavailable", err)
	}
	g.Start()
	if _, err := s.Head(t.Context(), d); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("Head after the failed Put = %v, want ErrNotFound", err)
	}
	for _, o := range listAll(t, s) {
		if !strings.HasPrefix(o, "pending upload: "+s.tmpPrefix()) {
			t.Errorf("bucket holds %q after the failed Put; only pending temporary uploads may remain", o)
		}
	}
	if _, err := s.SweepTemp(t.Context(), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("SweepTemp: %v", err)
	}
	if got := listAll(t, s); len(got) != 0 {
		t.Fatalf("after SweepTemp the bucket holds %q", got)
	}
}

// stopAfter reads from r and calls stop once left bytes have been read.
type stopAfter struct {
	r    *bytes.Reader
	left int
	stop func()
}

func (s *stopAfter) Read(p []byte) (int, error) {
	if s.left <= 0 && s.stop != nil {
		s.stop()
		s.stop = nil
	}
	p = p[:min(len(p), max(s.left, 1))]
	n, err := s.r.Read(p)
	s.left -= n
	return n, err
}

// TestVersionedBucketKeepsNoTemporaries checks that the temporary object of
// a multipart Put is deleted by version, leaving no noncurrent version or
// delete marker behind.
func TestVersionedBucketKeepsNoTemporaries(t *testing.T) {
	g := server(t)
	s := newStore(t, g, Config{PartSize: minPartSize}, true)
	if _, err := s.Put(t.Context(), castest.NewReader(5, 11<<20), cas.Digest{}); err != nil {
		t.Fatal(err)
	}
	prefix := s.tmpPrefix()
	out, err := s.client.ListObjectVersions(t.Context(), &s3sdk.ListObjectVersionsInput{Bucket: &s.cfg.Bucket, Prefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Versions)+len(out.DeleteMarkers) != 0 {
		t.Fatalf("versioned bucket keeps %d versions and %d delete markers under %s", len(out.Versions), len(out.DeleteMarkers), prefix)
	}
}

func TestSweepTemp(t *testing.T) {
	g := server(t)
	s := newStore(t, g, Config{}, false)
	tmp, err := s.tmpKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateMultipartUpload(t.Context(), &s3sdk.CreateMultipartUploadInput{Bucket: &s.cfg.Bucket, Key: &tmp}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &s.cfg.Bucket, Key: aws.String(tmp + "-orphan"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	blob, err := s.Put(t.Context(), strings.NewReader("kept"), cas.Digest{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		before  time.Time
		removed int
	}{
		{"cutoff before they started", time.Now().Add(-time.Hour), 0},
		{"cutoff after they started", time.Now().Add(time.Hour), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.SweepTemp(t.Context(), tc.before)
			if err != nil || n != tc.removed {
				t.Fatalf("SweepTemp = %d, %v; want %d", n, err, tc.removed)
			}
		})
	}
	if got := listAll(t, s); len(got) != 1 || got[0] != s.blobKey(blob.Digest) {
		t.Fatalf("after the sweep the bucket holds %q, want only the blob", got)
	}
}
