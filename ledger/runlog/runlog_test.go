package runlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

const runID = "3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f"

func newService(t *testing.T) (*Service, cas.Store) {
	t.Helper()
	dir := t.TempDir()
	lg, _ := ledgertest.Open(t, filepath.Join(dir, "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module(), Module()}})
	store, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		t.Fatal(err)
	}
	return &Service{Log: lg, Store: store, Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}, store
}

func msgs(prefix string, n int) []LineInput {
	out := make([]LineInput, n)
	for i := range out {
		out[i] = LineInput{Phase: "test", Level: "info", Message: fmt.Sprintf("%s %d", prefix, i)}
	}
	return out
}

// TestConcurrentAppendsThenSeal: appends of one run from many goroutines
// queue (none refused) and number the lines 1..N without a gap or a
// duplicate; the seal is the chunks' bytes in order, a raw object at
// RunLogKey; every chunk and the sealed log are referenced blobs (so the
// collection of unreferenced blobs keeps them).
func TestConcurrentAppendsThenSeal(t *testing.T) {
	svc, store := newService(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for b := range 5 {
				if _, err := svc.Append(ctx, "producer", "acme", runID, msgs(fmt.Sprintf("g%d b%d", g, b), 3)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	run, err := svc.Run("acme", runID)
	if err != nil || run.Lines != 240 || run.Chunks != 80 || run.Status != StatusOpen {
		t.Fatalf("run %+v, %v", run, err)
	}
	var seen []uint64
	var want bytes.Buffer
	if err := svc.Lines(ctx, "acme", runID, 0, func(l Line, raw []byte) error {
		seen = append(seen, l.Seq)
		want.Write(raw)
		want.WriteByte('\n')
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, s := range seen {
		if s != uint64(i+1) {
			t.Fatalf("line %d numbered %d", i+1, s)
		}
	}
	if len(seen) != 240 {
		t.Fatalf("%d lines read", len(seen))
	}
	sealed, err := svc.Close(ctx, "producer", "acme", runID, "succeeded")
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(svc.Log)
	o, err := cat.Object("acme", catalog.ZoneRaw, catalog.RunLogKey(runID))
	if err != nil || o.Digest != sealed.Digest || o.MediaType != MediaType {
		t.Fatalf("sealed object %+v, %v; run %+v", o, err, sealed)
	}
	d, _ := cas.ParseDigest(o.Digest)
	rc, err := store.Get(ctx, d, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("sealed log is not the lines in order:\n%.300s\nwant\n%.300s", got, want.Bytes())
	}
	sum := sha256.Sum256(got)
	if sealed.Digest != "sha256:"+hex.EncodeToString(sum[:]) || sealed.Size != int64(len(got)) || sealed.FinalStatus != "succeeded" {
		t.Fatalf("sealed run %+v", sealed)
	}
	if err := svc.eachChunk(ctx, "acme", runID, 0, func(c Chunk) error {
		b, ok, err := cat.Blob(strings.TrimPrefix(c.Blob.Digest, "sha256:"))
		if err != nil || !ok || b.Refs < 1 {
			return fmt.Errorf("chunk %s at %d: blob %+v %v %v", c.Blob.Digest, c.First, b, ok, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Append(ctx, "producer", "acme", runID, msgs("late", 1)); !errors.Is(err, ErrSealed) {
		t.Fatalf("append after the seal: %v", err)
	}
}

// TestAppliersRefuseForged: entries no Service appends are refused and
// change nothing: chunks out of order or after the seal, seals of the
// wrong length, key, media type or size, and an object.put of a run log
// key.
func TestAppliersRefuseForged(t *testing.T) {
	svc, _ := newService(t)
	ctx := t.Context()
	if _, err := svc.Append(ctx, "p", "acme", runID, msgs("a", 2)); err != nil {
		t.Fatal(err)
	}
	run, _ := svc.Run("acme", runID)
	chunk := BlobRef{Digest: "sha256:" + strings.Repeat("a", 64), Size: 10, BLAKE3: strings.Repeat("b", 64)}
	obj := catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: catalog.RunLogKey(runID), Digest: "sha256:" + strings.Repeat("c", 64),
		Size: run.Bytes, BLAKE3: strings.Repeat("d", 64), MediaType: MediaType}
	with := func(f func(*catalog.ObjectRef)) catalog.ObjectRef { o := obj; f(&o); return o }
	for _, tc := range []struct {
		name string
		typ  string
		body any
		want error
	}{
		{"chunk with a gap", TypeAppended, Appended{RunID: runID, First: 4, Lines: 1, Chunk: chunk}, ErrInvalidBody},
		{"chunk repeating lines", TypeAppended, Appended{RunID: runID, First: 2, Lines: 1, Chunk: chunk}, ErrInvalidBody},
		{"first chunk of a run not at 1", TypeAppended, Appended{RunID: "00000000-0000-4000-8000-000000000001", First: 2, Lines: 1, Chunk: chunk}, ErrInvalidBody},
		{"chunk of no lines", TypeAppended, Appended{RunID: runID, First: 3, Lines: 0, Chunk: chunk}, ErrInvalidBody},
		{"chunk without a blob", TypeAppended, Appended{RunID: runID, First: 3, Lines: 1}, ErrInvalidBody},
		{"chunk of a bad run id", TypeAppended, Appended{RunID: "run-1", First: 1, Lines: 1, Chunk: chunk}, ErrInvalidBody},
		{"seal of fewer lines", TypeSealed, Sealed{RunID: runID, Status: "succeeded", Lines: 1, Object: obj}, ErrInvalidBody},
		{"seal at another key", TypeSealed, Sealed{RunID: runID, Status: "succeeded", Lines: 2, Object: with(func(o *catalog.ObjectRef) { o.Key = "runs/x/log.ndjson" })}, ErrInvalidBody},
		{"seal in golden", TypeSealed, Sealed{RunID: runID, Status: "succeeded", Lines: 2, Object: with(func(o *catalog.ObjectRef) { o.Zone = catalog.ZoneGolden })}, ErrInvalidBody},
		{"seal of another size", TypeSealed, Sealed{RunID: runID, Status: "succeeded", Lines: 2, Object: with(func(o *catalog.ObjectRef) { o.Size++ })}, ErrInvalidBody},
		{"seal of another media type", TypeSealed, Sealed{RunID: runID, Status: "succeeded", Lines: 2, Object: with(func(o *catalog.ObjectRef) { o.MediaType = "text/plain" })}, ErrInvalidBody},
		{"seal with status running", TypeSealed, Sealed{RunID: runID, Status: "running", Lines: 2, Object: obj}, ErrInvalidBody},
		{"seal of an unknown run", TypeSealed, Sealed{RunID: "00000000-0000-4000-8000-000000000001", Status: "failed", Lines: 0, Object: obj}, ErrRunNotFound},
		{"object.put of a run log key", catalog.TypeObjectPut, catalog.ObjectPut{ObjectRef: obj}, catalog.ErrPathReserved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, _ := svc.Log.Head()
			if _, err := svc.Log.AppendJSON(ctx, tc.typ, "p", "acme", tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			if after, _ := svc.Log.Head(); after != size {
				t.Fatalf("log grew %d -> %d", size, after)
			}
		})
	}
	// The right seal is accepted; then a chunk or a second seal is refused.
	if _, err := svc.Log.AppendJSON(ctx, TypeSealed, "p", "acme", Sealed{RunID: runID, Status: "failed", Lines: 2, Object: obj}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Log.AppendJSON(ctx, TypeAppended, "p", "acme", Appended{RunID: runID, First: 3, Lines: 1, Chunk: chunk}); !errors.Is(err, ErrSealed) {
		t.Fatalf("chunk after the seal: %v", err)
	}
	if _, err := svc.Log.AppendJSON(ctx, TypeSealed, "p", "acme", Sealed{RunID: runID, Status: "failed", Lines: 2, Object: obj}); !errors.Is(err, ErrSealed) {
		t.Fatalf("second seal: %v", err)
	}
}

// FuzzLineFraming: every line CheckLines accepts is stored as exactly one
// line of its chunk (its message's newlines escaped) and reads back with
// the same phase, level and message.
func FuzzLineFraming(f *testing.F) {
	f.Add("build", "info", "hello")
	f.Add("test", "error", "two\nlines\r\nand\u2028more")
	f.Add("x", "warn", "\x00\"quoted\"</script>")
	f.Fuzz(func(t *testing.T, phase, level, msg string) {
		in := []LineInput{{Phase: phase, Level: level, Message: msg}}
		if CheckLines(in) != nil {
			return
		}
		chunk, err := encodeChunk([]Line{{Seq: 1, Phase: phase, Level: level, Message: msg}, {Seq: 2, Phase: "next", Level: "info", Message: "x"}})
		if err != nil {
			t.Fatal(err)
		}
		rows := bytes.Split(bytes.TrimSuffix(chunk, []byte("\n")), []byte("\n"))
		if len(rows) != 2 {
			t.Fatalf("chunk %q holds %d lines, want 2", chunk, len(rows))
		}
		var back Line
		if err := json.Unmarshal(rows[0], &back); err != nil || back.Message != msg || back.Phase != phase || back.Level != level {
			t.Fatalf("read back %+v, %v; want %q", back, err, msg)
		}
	})
}
