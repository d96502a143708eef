package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/assay-ledger/assay/verifier"
	"github.com/dgraph-io/badger/v4"
)

func TestAppendEnvelopeAndReads(t *testing.T) {
	l, k := newTestLog(t)
	ctx := t.Context()
	a, err := l.Append(ctx, Entry{Type: "object.put", Actor: "ci <bot> & co", Tenant: "acme", Body: json.RawMessage(` { "zone": "raw", "n": [1, 2] } `)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"index":0,"type":"object.put","time":"2026-01-02T03:04:05.001Z","actor":"ci <bot> & co","tenant":"acme","zone":"raw","n":[1,2]}`
	if string(a.Record.Bytes) != want {
		t.Fatalf("entry bytes\n got %s\nwant %s", a.Record.Bytes, want)
	}
	got, err := l.Entry(0)
	if err != nil || !bytes.Equal(got, a.Record.Bytes) {
		t.Fatalf("Entry(0) = %s, %v", got, err)
	}
	if i, err := l.LeafIndex(verifier.LeafHash(got)); err != nil || i != 0 {
		t.Fatalf("LeafIndex = %d, %v", i, err)
	}
	cp, err := verifier.OpenCheckpoint(a.Checkpoint, k.vkey, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 1 || !bytes.Equal(cp.Root, verifier.LeafHash(got)) || a.TreeSize != 1 {
		t.Fatalf("checkpoint %+v for tree size %d", cp, a.TreeSize)
	}
	rec, err := ParseRecord(got)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Actor != "ci <bot> & co" || rec.Tenant != "acme" || string(rec.Body) != `{"zone":"raw","n":[1,2]}` {
		t.Fatalf("ParseRecord = %+v body %s", rec, rec.Body)
	}
}

func TestReopenResumes(t *testing.T) {
	dir, k := t.TempDir(), newKeys(t)
	l := openLog(t, dir, k, nil)
	fill(t, l, 1000, 16)
	size, root := l.Head()
	cp := l.Checkpoint()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), Entry{Type: "test.entry"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	l = openLog(t, dir, k, nil)
	defer l.Close()
	size2, root2 := l.Head()
	if size2 != size || !bytes.Equal(root, root2) || !bytes.Equal(cp, l.Checkpoint()) {
		t.Fatalf("reopened at (%d, %x), closed at (%d, %x)", size2, root2, size, root)
	}
	fill(t, l, 10, 2)
	tr := newTLogTree(t, l)
	if got, want := tr.root(t, size+10), l.root; !bytes.Equal(got[:], want) {
		t.Fatalf("root after resume %x, tlog %x", want, got)
	}
	if old, err := l.CheckpointAt(size); err != nil || !bytes.Equal(old, cp) {
		t.Fatalf("CheckpointAt(%d): %v", size, err)
	}
}

// uniqueApplier accepts an entry only if its "key" was never seen, the
// check-then-write that Appliers make race-free.
func uniqueApplier(tx *Tx, rec *Record) error {
	var b struct{ Key string }
	if err := json.Unmarshal(rec.Body, &b); err != nil {
		return err
	}
	k := []byte("unique/" + b.Key)
	if _, err := tx.Get(k); err == nil {
		return fmt.Errorf("key %s: %w", b.Key, errDuplicate)
	}
	tx.Set(k, fmt.Appendf(nil, "%d", rec.Index))
	return nil
}

var errDuplicate = errors.New("duplicate")

func TestApplierRejectsWithoutRace(t *testing.T) {
	l := openLog(t, t.TempDir(), newKeys(t), map[string]Applier{"test.unique": uniqueApplier})
	defer l.Close()
	var ok, dup atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Appendf(nil, `{"key":"k%d"}`, i%2) // two keys, 100 submissions each
			_, err := l.Append(t.Context(), Entry{Type: "test.unique", Body: body})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, errDuplicate):
				dup.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	size, _ := l.Head()
	if ok.Load() != 2 || dup.Load() != 198 || size != 2 {
		t.Fatalf("accepted %d, duplicates %d, log size %d; want 2, 198, 2", ok.Load(), dup.Load(), size)
	}
	for _, key := range []string{"k0", "k1"} {
		v, err := l.Projection([]byte("unique/" + key))
		if err != nil {
			t.Fatal(err)
		}
		if string(v) != "0" && string(v) != "1" {
			t.Fatalf("projection %s = %q", key, v)
		}
	}
}

func TestRejectedEntryWritesNothing(t *testing.T) {
	fail := errors.New("no")
	l := openLog(t, t.TempDir(), newKeys(t), map[string]Applier{
		"test.fail": func(tx *Tx, rec *Record) error { tx.Set([]byte("x"), []byte("y")); return fail },
	})
	defer l.Close()
	cp := l.Checkpoint()
	if _, err := l.Append(t.Context(), Entry{Type: "test.fail"}); !errors.Is(err, fail) {
		t.Fatalf("got %v", err)
	}
	if size, _ := l.Head(); size != 0 || !bytes.Equal(cp, l.Checkpoint()) {
		t.Fatalf("size %d after a rejected entry", size)
	}
	if _, err := l.Projection([]byte("x")); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("rejected entry's projection write survived: %v", err)
	}
}

func TestInvalidEntries(t *testing.T) {
	l, _ := newTestLog(t)
	for name, e := range map[string]Entry{
		"empty type":      {Type: ""},
		"undotted type":   {Type: "thing"},
		"upper type":      {Type: "Object.put"},
		"array body":      {Type: "a.b", Body: json.RawMessage(`[1]`)},
		"string body":     {Type: "a.b", Body: json.RawMessage(`"x"`)},
		"reserved key":    {Type: "a.b", Body: json.RawMessage(`{"index":5}`)},
		"duplicate key":   {Type: "a.b", Body: json.RawMessage(`{"a":1,"a":2}`)},
		"trailing data":   {Type: "a.b", Body: json.RawMessage(`{"a":1} {}`)},
		"broken json":     {Type: "a.b", Body: json.RawMessage(`{"a":`)},
		"control actor":   {Type: "a.b", Actor: "x\ny"},
		"oversize body":   {Type: "a.b", Body: fmt.Appendf(nil, `{"a":"%s"}`, bytes.Repeat([]byte("x"), MaxEntrySize))},
		"invalid utf8":    {Type: "a.b", Tenant: "\xff"},
		"long tenant":     {Type: "a.b", Tenant: string(bytes.Repeat([]byte("t"), 300))},
		"non-object null": {Type: "a.b", Body: json.RawMessage(`null`)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := l.Append(t.Context(), e); !errors.Is(err, ErrInvalidEntry) {
				t.Fatalf("got %v, want ErrInvalidEntry", err)
			}
		})
	}
	if size, _ := l.Head(); size != 0 {
		t.Fatalf("log size %d after invalid entries", size)
	}
}

func TestRangeErrors(t *testing.T) {
	l, _ := newTestLog(t)
	fill(t, l, 10, 1)
	for name, tc := range map[string]struct {
		fn   func() error
		want error
	}{
		"inclusion beyond tree":  {func() error { _, err := l.InclusionProof(1, 11); return err }, ErrBeyondTree},
		"inclusion index>=size":  {func() error { _, err := l.InclusionProof(5, 5); return err }, ErrInvalidRange},
		"consistency first>2nd":  {func() error { _, err := l.ConsistencyProof(6, 5); return err }, ErrInvalidRange},
		"consistency beyond":     {func() error { _, err := l.ConsistencyProof(1, 12); return err }, ErrBeyondTree},
		"entry beyond":           {func() error { _, err := l.Entry(10); return err }, ErrNotFound},
		"entries beyond":         {func() error { _, err := l.Entries(5, 11); return err }, ErrBeyondTree},
		"entries reversed":       {func() error { _, err := l.Entries(5, 4); return err }, ErrInvalidRange},
		"unknown leaf":           {func() error { _, err := l.LeafIndex(make([]byte, 32)); return err }, ErrNotFound},
		"root beyond":            {func() error { _, err := l.RootAt(11); return err }, ErrBeyondTree},
		"checkpoint beyond tree": {func() error { _, err := l.CheckpointAt(11); return err }, ErrBeyondTree},
	} {
		t.Run(name, func(t *testing.T) {
			if err := tc.fn(); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestApplyPolicy(t *testing.T) {
	l, _ := newTestLog(t)
	ctx := t.Context()
	p1 := map[string]any{"retention": map[string]string{"transient": "7d"}, "note": "<&>"}
	for i, tc := range []struct {
		policy any
		added  bool
		size   uint64
	}{{p1, true, 1}, {p1, false, 1}, {map[string]any{"retention": "none"}, true, 2}, {p1, true, 3}} {
		added, err := l.ApplyPolicy(ctx, "system", tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		size, _ := l.Head()
		if added != tc.added || size != tc.size {
			t.Fatalf("step %d: added %v size %d, want %v %d", i, added, size, tc.added, tc.size)
		}
	}
	if idx, err := l.PolicyIndex(); err != nil || idx != 2 {
		t.Fatalf("PolicyIndex = %d, %v; want 2", idx, err)
	}
}

// TestFailedCommitStopsLog makes one batch fail to commit (its projection
// writes are over the transaction limit of a small memtable) and checks that
// the log then refuses every write, and that after reopening it has exactly
// the entries committed before, and takes new ones.
func TestFailedCommitStopsLog(t *testing.T) {
	huge := func(tx *Tx, rec *Record) error {
		for i := range 10_000 {
			tx.Set(fmt.Appendf(nil, "huge/%d", i), []byte("x"))
		}
		return nil
	}
	cfg := testConfig(t, t.TempDir())
	cfg.Modules = []Module{{Name: "test", Appliers: map[string]Applier{"test.huge": huge}}}
	cfg.Badger = func(o *badger.Options) { o.MemTableSize, o.ValueThreshold = 1<<20, 1<<10 }
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := l.Append(ctx, Entry{Type: "test.small", Body: json.RawMessage(`{"n":1}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(ctx, Entry{Type: "test.huge"}); !errors.Is(err, ErrCommit) {
		t.Fatalf("append over the transaction limit: %v, want ErrCommit", err)
	}
	if _, err := l.Append(ctx, Entry{Type: "test.small", Body: json.RawMessage(`{"n":2}`)}); !errors.Is(err, ErrCommit) {
		t.Fatalf("append after a failed commit: %v, want ErrCommit", err)
	}
	if size, _ := l.Head(); size != 1 {
		t.Fatalf("size %d after the failed commit, want 1", size)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.Modules = nil
	l, err = Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if size, _ := l.Head(); size != 1 {
		t.Fatalf("size %d after reopening, want 1", size)
	}
	a, err := l.Append(ctx, Entry{Type: "test.small", Body: json.RawMessage(`{"n":3}`)})
	if err != nil || a.Record.Index != 1 {
		t.Fatalf("append after reopening: index %v, %v", a.Record, err)
	}
}
