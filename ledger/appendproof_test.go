package ledger

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestAppendProofs checks the inclusion proof every Append returns, made
// from the nodes of its batch in memory: for entries appended from many
// goroutines (so batches of many sizes, staged on top of each other), each
// proof equals the one read from storage and verifies with sumdb/tlog
// against the root of the tree of its checkpoint. No node is read, so no
// proof fell back to storage.
func TestAppendProofs(t *testing.T) {
	l, _ := newTestLog(t)
	const n, workers = 3000, 48
	before := l.Stats().Reads
	got := make([][]Appended, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				body, _ := json.Marshal(map[string]any{"n": i})
				a, err := l.Append(context.Background(), Entry{Type: "test.entry", Actor: "tester", Body: body})
				if err != nil {
					t.Error(err)
					return
				}
				got[w] = append(got[w], a)
			}
		}()
	}
	wg.Wait()
	if reads := l.Stats().Reads - before; reads != 0 {
		t.Fatalf("appends read %d tree nodes; every proof should come from its batch", reads)
	}
	tr := newTLogTree(t, l)
	sizes := map[uint64]bool{}
	for _, as := range got {
		for _, a := range as {
			sizes[a.TreeSize] = true
			want, err := l.InclusionProof(a.Record.Index, a.TreeSize)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) != len(a.Proof) {
				t.Fatalf("entry %d in %d: proof of %d hashes, want %d", a.Record.Index, a.TreeSize, len(a.Proof), len(want))
			}
			for i := range want {
				if string(want[i]) != string(a.Proof[i]) {
					t.Fatalf("entry %d in %d: proof hash %d differs from the stored tree's", a.Record.Index, a.TreeSize, i)
				}
			}
			var leaf tlog.Hash
			copy(leaf[:], a.LeafHash)
			if err := tlog.CheckRecord(toTLog(t, a.Proof), int64(a.TreeSize), tr.root(t, a.TreeSize), int64(a.Record.Index), leaf); err != nil {
				t.Fatalf("entry %d in %d: %v", a.Record.Index, a.TreeSize, err)
			}
		}
	}
	if len(sizes) < 10 {
		t.Fatalf("only %d batches; the test wants many batch boundaries", len(sizes))
	}
}
