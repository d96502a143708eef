package intake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/verifier"
)

type fixture struct {
	g      *castest.VersityGW
	bucket string
	lg     *ledger.Log
	vkey   string
	svc    *catalog.Service
}

func newFixture(t testing.TB) *fixture {
	g := castest.StartVersityGW(t)
	g.SetAWSEnv(t)
	dir := t.TempDir()
	lg, vkey := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module()}})
	st, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{g: g, bucket: g.CreateBucket(t, false), lg: lg, vkey: vkey,
		svc: &catalog.Service{Catalog: catalog.New(lg), Store: st, Classes: catalog.DefaultClasses()}}
}

func (f *fixture) put(t *testing.T, key, body string) {
	t.Helper()
	if _, err := f.g.Client().PutObject(t.Context(), &s3sdk.PutObjectInput{Bucket: &f.bucket, Key: &key, Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) intake(t testing.TB) *Intake {
	in, err := New(Config{Client: f.g.Client(), Bucket: f.bucket, Prefix: "incoming/", Service: f.svc, Log: f.lg, Tenant: "acme", Receipts: true})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// entries counts the object.put entries naming each external URL.
func (f *fixture) entries(t *testing.T) map[string]int {
	n, _ := f.lg.Head()
	es, err := f.lg.Entries(0, n)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range es {
		var b struct {
			Type     string
			External *catalog.External
		}
		if err := json.Unmarshal(e, &b); err != nil {
			t.Fatal(err)
		}
		if b.External != nil && b.Type == catalog.TypeObjectPut {
			out[b.External.URL]++
		}
	}
	return out
}

// TestIntake: 1,000 objects producers put with the AWS SDK each get one
// entry, however many passes and intakes run (two race here), with a
// receipt in the bucket that verifies with sumdb/tlog and sumdb/note; an
// overwritten object is a new version with its own entry; receipts are
// never taken in; the recorded bytes are the bucket's.
func TestIntake(t *testing.T) {
	f := newFixture(t)
	const n = 1000
	for i := range n {
		f.put(t, fmt.Sprintf("incoming/run-%d/obj-%04d.json", i%7, i), fmt.Sprintf(`{"object":%d}`, i))
	}
	f.put(t, "outside/x.json", "{}")
	var wg sync.WaitGroup
	reps := make([]Report, 2)
	for r := range reps {
		wg.Go(func() {
			rep, err := f.intake(t).Once(t.Context())
			if err != nil {
				t.Error(err)
			}
			reps[r] = rep
		})
	}
	wg.Wait()
	if reps[0].Recorded+reps[1].Recorded != n || reps[0].Seen != n {
		t.Fatalf("two racing passes: %+v %+v, want %d recorded between them", reps[0], reps[1], n)
	}
	rep, err := f.intake(t).Once(t.Context()) // a restart
	if err != nil || rep.Recorded != 0 || rep.Skipped != n {
		t.Fatalf("a pass after a restart: %+v, %v", rep, err)
	}
	counts := f.entries(t)
	if len(counts) != n {
		t.Fatalf("%d objects have entries, want %d", len(counts), n)
	}
	for u, c := range counts {
		if c != 1 || !strings.HasPrefix(u, "s3://"+f.bucket+"/incoming/") {
			t.Fatalf("%s has %d entries", u, c)
		}
	}
	// Receipts verify with sumdb alone.
	v, err := note.NewVerifier(f.vkey)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 499, 998, 999} {
		key := fmt.Sprintf("provenance/incoming/run-%d/obj-%04d.json.json", i%7, i)
		out, err := f.g.Client().GetObject(t.Context(), &s3sdk.GetObjectInput{Bucket: &f.bucket, Key: &key})
		if err != nil {
			t.Fatalf("receipt %s: %v", key, err)
		}
		var r Receipt
		err = json.NewDecoder(out.Body).Decode(&r)
		out.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		nt, err := note.Open([]byte(r.Checkpoint), note.VerifierList(v))
		if err != nil {
			t.Fatalf("receipt %s checkpoint: %v", key, err)
		}
		cp, err := verifier.ParseCheckpoint(nt.Text)
		if err != nil || cp.Size != r.TreeSize {
			t.Fatalf("receipt checkpoint %+v, %v", cp, err)
		}
		var root tlog.Hash
		copy(root[:], cp.Root)
		proof := make(tlog.RecordProof, len(r.InclusionProof))
		for j := range proof {
			copy(proof[j][:], r.InclusionProof[j])
		}
		if err := tlog.CheckRecord(proof, int64(cp.Size), root, int64(r.Index), tlog.RecordHash(r.Entry)); err != nil {
			t.Fatalf("receipt %s: %v", key, err)
		}
		if !bytes.Contains(r.Entry, []byte(fmt.Sprintf(`"url":"s3://%s/incoming/run-%d/obj-%04d.json"`, f.bucket, i%7, i))) {
			t.Fatalf("receipt %s entry %s", key, r.Entry)
		}
	}
	// An overwrite is a new version, with its own entry; the raw object
	// now holds the new bytes.
	f.put(t, "incoming/run-0/obj-0000.json", `{"object":"rewritten"}`)
	rep, err = f.intake(t).Once(t.Context())
	if err != nil || rep.Recorded != 1 {
		t.Fatalf("after an overwrite: %+v, %v", rep, err)
	}
	if c := f.entries(t)["s3://"+f.bucket+"/incoming/run-0/obj-0000.json"]; c != 2 {
		t.Fatalf("the overwritten object has %d entries", c)
	}
	o, err := f.svc.Catalog.Object("acme", catalog.ZoneRaw, Key(f.bucket, "incoming/run-0/obj-0000.json"))
	if err != nil || o.Versions != 2 || o.Landing == nil || !strings.HasPrefix(o.Landing.Source, "s3://") {
		t.Fatalf("recorded object %+v, %v", o, err)
	}
}

// TestIntakeErrors: a bucket that does not exist and an unreachable
// endpoint give clear errors and record nothing.
func TestIntakeErrors(t *testing.T) {
	f := newFixture(t)
	in, err := New(Config{Client: f.g.Client(), Bucket: "no-such-bucket", Service: f.svc, Log: f.lg, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Once(t.Context()); err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
		t.Fatalf("missing bucket: %v", err)
	}
	down := s3sdk.New(s3sdk.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true,
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	in, err = New(Config{Client: down, Bucket: f.bucket, Service: f.svc, Log: f.lg, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Once(t.Context()); err == nil || !strings.Contains(err.Error(), "list s3://"+f.bucket) {
		t.Fatalf("unreachable endpoint: %v", err)
	}
	// Denied: the right server, a wrong secret. The object is there; the
	// error says the server refused the credentials.
	f.put(t, "incoming/secret.txt", "x")
	denied := s3sdk.New(s3sdk.Options{Region: f.g.Region, BaseEndpoint: aws.String(f.g.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(f.g.AccessKey, "not-the-secret", ""), RetryMaxAttempts: 1})
	in, err = New(Config{Client: denied, Bucket: f.bucket, Service: f.svc, Log: f.lg, Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Once(t.Context()); err == nil || !strings.Contains(err.Error(), "list s3://"+f.bucket) || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("denied credentials: %v", err)
	}
	if n, _ := f.lg.Head(); n != 0 {
		t.Fatalf("the log grew to %d", n)
	}
	// The same intake with good credentials then records the object.
	if rep, err := f.intake(t).Once(t.Context()); err != nil || rep.Recorded != 1 {
		t.Fatalf("after the refusals: %+v %v", rep, err)
	}
	if _, err := New(Config{Bucket: "b"}); err == nil {
		t.Fatal("a config without a client was accepted")
	}
}

// TestScrubExternal: after intake, an object whose bytes are altered in
// place on versitygw's backing directory, and a version deleted from the
// bucket, are each reported by Scrub with one object.drift entry; a second
// scrub reports them again and appends nothing; intact objects pass.
func TestScrubExternal(t *testing.T) {
	f := newFixture(t)
	for _, k := range []string{"a", "b", "c"} {
		f.put(t, "incoming/"+k+".txt", "original "+k)
	}
	in := f.intake(t)
	if rep, err := in.Once(t.Context()); err != nil || rep.Recorded != 3 {
		t.Fatalf("intake: %+v %v", rep, err)
	}
	rep, err := in.Scrub(t.Context())
	if err != nil || rep.Checked != 3 || len(rep.Drifted) != 0 {
		t.Fatalf("scrub of intact objects: %+v %v", rep, err)
	}
	// Alter b in place, behind the S3 API's back.
	altered := []byte("tampered b!")
	if err := os.WriteFile(filepath.Join(f.g.Root, f.bucket, "incoming", "b.txt"), altered, 0o644); err != nil {
		t.Fatal(err)
	}
	// Delete c's only version.
	out, err := f.g.Client().ListObjectVersions(t.Context(), &s3sdk.ListObjectVersionsInput{Bucket: &f.bucket, Prefix: aws.String("incoming/c.txt")})
	if err != nil || len(out.Versions) != 1 {
		t.Fatalf("versions of c: %v %v", out, err)
	}
	if _, err := f.g.Client().DeleteObject(t.Context(), &s3sdk.DeleteObjectInput{Bucket: &f.bucket, Key: aws.String("incoming/c.txt"), VersionId: out.Versions[0].VersionId}); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(altered)
	want := map[string]string{
		"s3://" + f.bucket + "/incoming/b.txt": catalog.DriftChanged + " sha256:" + hex.EncodeToString(sum[:]),
		"s3://" + f.bucket + "/incoming/c.txt": catalog.DriftMissing + " ",
	}
	for round := range 2 {
		before, _ := f.lg.Head()
		rep, err := in.Scrub(t.Context())
		if err != nil || rep.Checked != 3 || len(rep.Drifted) != 2 {
			t.Fatalf("scrub %d: %+v %v", round, rep, err)
		}
		for _, d := range rep.Drifted {
			if want[d.URL] != d.Problem+" "+d.FoundDigest || d.RecordedDigest == d.FoundDigest {
				t.Fatalf("scrub %d drift %+v, want %q", round, d, want[d.URL])
			}
		}
		after, _ := f.lg.Head()
		if added := after - before; round == 0 && added != 2 || round == 1 && added != 0 {
			t.Fatalf("scrub %d appended %d entries", round, added)
		}
	}
}

// TestIntakeDeletion: an object deleted in the bucket after intake (a
// delete marker) is recorded once as object.deleted naming the marker;
// the object put again is a new version with its own object.put.
func TestIntakeDeletion(t *testing.T) {
	f := newFixture(t)
	f.put(t, "incoming/d.txt", "first")
	in := f.intake(t)
	if rep, err := in.Once(t.Context()); err != nil || rep.Recorded != 1 {
		t.Fatalf("intake: %+v %v", rep, err)
	}
	if _, err := f.g.Client().DeleteObject(t.Context(), &s3sdk.DeleteObjectInput{Bucket: &f.bucket, Key: aws.String("incoming/d.txt")}); err != nil {
		t.Fatal(err)
	}
	for round, want := range []Report{{Seen: 2, Recorded: 1, Skipped: 1}, {Seen: 2, Skipped: 2}} {
		if rep, err := in.Once(t.Context()); err != nil || rep != want {
			t.Fatalf("pass %d after the deletion: %+v %v, want %+v", round, rep, err, want)
		}
	}
	n, _ := f.lg.Head()
	es, err := f.lg.Entries(0, n)
	if err != nil {
		t.Fatal(err)
	}
	var deleted []catalog.ObjectDeleted
	for _, e := range es {
		rec, err := ledger.ParseRecord(e)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type == catalog.TypeObjectDeleted {
			var d catalog.ObjectDeleted
			if err := json.Unmarshal(rec.Body, &d); err != nil {
				t.Fatal(err)
			}
			deleted = append(deleted, d)
		}
	}
	if len(deleted) != 1 || deleted[0].Key != Key(f.bucket, "incoming/d.txt") || deleted[0].External.URL != "s3://"+f.bucket+"/incoming/d.txt" || deleted[0].External.VersionID == "" {
		t.Fatalf("object.deleted entries: %+v", deleted)
	}
	f.put(t, "incoming/d.txt", "second")
	if rep, err := in.Once(t.Context()); err != nil || rep.Recorded != 1 {
		t.Fatalf("the object put again: %+v %v", rep, err)
	}
	if got := f.entries(t)["s3://"+f.bucket+"/incoming/d.txt"]; got != 2 {
		t.Fatalf("%d object.put of d.txt, want 2", got)
	}
}

// TestIntakeInPlace: in reference mode nothing is copied into the store;
// reads through ReadThrough come from the bucket version, whole and by
// range; bytes changed in the bucket are refused at the end of a read and
// by Verify, and reported by Scrub.
func TestIntakeInPlace(t *testing.T) {
	f := newFixture(t)
	f.put(t, "incoming/p.txt", "bytes kept in the bucket")
	in, err := New(Config{Client: f.g.Client(), Bucket: f.bucket, Prefix: "incoming/", Service: f.svc, Log: f.lg, Tenant: "acme", InPlace: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := in.Once(t.Context()); err != nil || rep.Recorded != 1 {
		t.Fatalf("intake in place: %+v %v", rep, err)
	}
	o, err := f.svc.Catalog.Object("acme", catalog.ZoneRaw, Key(f.bucket, "incoming/p.txt"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := cas.ParseDigest(o.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Store.Head(t.Context(), d); !errors.Is(err, cas.ErrNotFound) {
		t.Fatalf("the store holds the in-place blob: %v", err)
	}
	rt := &ReadThrough{Store: f.svc.Store, Catalog: f.svc.Catalog, Client: f.g.Client()}
	read := func(offset, length int64) (string, error) {
		rc, err := rt.Get(t.Context(), d, offset, length)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		return string(b), err
	}
	if got, err := read(0, -1); err != nil || got != "bytes kept in the bucket" {
		t.Fatalf("read in place: %q %v", got, err)
	}
	if got, err := read(6, 4); err != nil || got != "kept" {
		t.Fatalf("range in place: %q %v", got, err)
	}
	if info, err := rt.Head(t.Context(), d); err != nil || info.Size != int64(len("bytes kept in the bucket")) {
		t.Fatalf("head in place: %+v %v", info, err)
	}
	if err := rt.Verify(t.Context(), d, true); err != nil {
		t.Fatalf("verify in place: %v", err)
	}
	if err := os.WriteFile(filepath.Join(f.g.Root, f.bucket, "incoming", "p.txt"), []byte("bytes KEPT in the bucket"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := read(0, -1); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("read of changed bytes in place: %v", err)
	}
	if err := rt.Verify(t.Context(), d, true); !errors.Is(err, cas.ErrCorrupt) {
		t.Fatalf("verify of changed bytes in place: %v", err)
	}
	if rep, err := in.Scrub(t.Context()); err != nil || len(rep.Drifted) != 1 {
		t.Fatalf("scrub in place: %+v %v", rep, err)
	}
}
