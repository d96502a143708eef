package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/mod/sumdb/tlog"
)

// vlogBytes is the disk space of the value log files in dir.
func vlogBytes(t *testing.T, dir string) int64 {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.vlog"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// TestValueLogCollection: a projection rewritten by every entry leaves
// its old values in the value log; collection takes that space back,
// and the log still reads its entries, its latest projection and proofs.
func TestValueLogCollection(t *testing.T) {
	dir := t.TempDir()
	k := newKeys(t)
	s, err := newSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	set := func(tx *Tx, rec *Record) error {
		tx.Set([]byte("big"), bytes.Repeat(fmt.Appendf(nil, "%08d", rec.Index), 512)) // 4 KiB, in the value log
		return nil
	}
	cfg := Config{Dir: dir, Origin: testOrigin, Signer: s, Now: newStepClock().Now, Logger: discardLogger(),
		Modules: []Module{{Name: "test", Appliers: map[string]Applier{"test.set": set}}},
		Badger: func(o *badger.Options) { // small files, and tables compacted soon
			*o = o.WithValueLogFileSize(1 << 20).WithMemTableSize(1 << 20).WithBaseTableSize(256 << 10).WithNumLevelZeroTables(1)
		}}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3000 // 12 MiB of projection values, all but the last replaced
	for i := range n {
		if _, err := l.Append(context.Background(), Entry{Type: "test.set", Actor: "t", Body: json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil { // flushes the memtables into tables
		t.Fatal(err)
	}
	if l, err = Open(cfg); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.db.Flatten(1); err != nil { // compactions drop the replaced versions and count them per file
		t.Fatal(err)
	}
	before := vlogBytes(t, dir)
	if before < 12<<20 {
		t.Fatalf("the value log holds %d bytes: the projection values are not in it", before)
	}
	if err := l.collectValueLog(); err != nil {
		t.Fatal(err)
	}
	after := vlogBytes(t, dir)
	t.Logf("value log: %d KiB before collection, %d KiB after", before>>10, after>>10)
	if after > before/2 {
		t.Fatalf("collection left %d of %d bytes", after, before)
	}
	v, err := l.Projection([]byte("big"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat(fmt.Sprintf("%08d", n-1), 512); string(v) != want {
		t.Fatalf("projection reads %.16q…, want the last entry's", v)
	}
	size, root := l.Head()
	for _, i := range []uint64{0, 255, 256, n / 2, n - 1} {
		e, err := l.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		p, err := l.InclusionProof(i, size)
		if err != nil {
			t.Fatal(err)
		}
		var r tlog.Hash
		copy(r[:], root)
		if err := tlog.CheckRecord(toTLog(t, p), int64(size), r, int64(i), tlog.RecordHash(e)); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
}
