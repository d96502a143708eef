package retention

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// TestMain lets the test binary double as the crash test's child.
func TestMain(m *testing.M) {
	if dir := os.Getenv("ASSAY_DELETION_CRASH_DIR"); dir != "" {
		deletionChild(dir, os.Getenv("ASSAY_DELETION_CRASH_KEY"))
		return
	}
	os.Exit(m.Run())
}

// talkingStore prints a line after each blob it moves, so that the parent
// can kill the child in the middle of a deletion.
type talkingStore struct{ *local.Local }

func (s talkingStore) Trash(ctx context.Context, d cas.Digest) error {
	err := s.Local.Trash(ctx, d)
	fmt.Println("moved")
	return err
}

// crashParts opens what the server opens over dir: the ledger, the local
// store and the services.
func crashParts(dir, skey string, store func(*local.Local) cas.Store) (*ledger.Log, *catalog.Service, *Deleter, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, nil, err
	}
	lg, err := ledger.Open(ledger.Config{Dir: filepath.Join(dir, "ledger"), Origin: ledgertest.Origin, Signer: s,
		Modules: []ledger.Module{catalog.Module(), Module()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := local.Open(local.Config{Root: filepath.Join(dir, "blobs")})
	if err != nil {
		return nil, nil, nil, err
	}
	cat := &catalog.Service{Catalog: catalog.New(lg), Store: store(st), Classes: catalog.DefaultClasses()}
	svc, err := NewService(Config{Log: lg, Catalog: cat.Catalog})
	if err != nil {
		return nil, nil, nil, err
	}
	del, err := NewDeleter(DeleterConfig{Service: svc, Store: store(st)})
	return lg, cat, del, err
}

// deletionChild resumes what its predecessor left, then creates packages
// (sharing one blob) and deletes them early, restoring every other one,
// until it is killed.
func deletionChild(dir, skey string) {
	lg, cat, del, err := crashParts(dir, skey, func(l *local.Local) cas.Store { return talkingStore{l} })
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	defer lg.Close()
	ctx := context.Background()
	if _, err := del.Resume(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "resume:", err)
		os.Exit(4)
	}
	for i := 0; ; i++ {
		p, err := cat.CreatePackage(ctx, "ci", "acme", catalog.CreateRequest{Name: "b", RetentionClass: "transient"})
		if err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(5)
		}
		for j, body := range []string{"shared by every package", fmt.Sprintf("%d-%s", i, rand.Text()), rand.Text()} {
			if _, err := cat.AddFile(ctx, "ci", "acme", p.ID, fmt.Sprintf("f%d", j), "text/plain", catalog.Landing{}, strings.NewReader(body)); err != nil {
				fmt.Fprintln(os.Stderr, "add:", err)
				os.Exit(6)
			}
			fmt.Println("added")
		}
		if _, err := del.Delete(ctx, "o", "acme", p.ID, DeleteRequest{Reason: "crash test", Admin: true}); err != nil {
			fmt.Fprintln(os.Stderr, "delete:", err)
			os.Exit(7)
		}
		fmt.Println("deleted")
		if i%2 == 0 {
			if _, err := del.Restore(ctx, "o", "acme", p.ID, "crash test"); err != nil {
				fmt.Fprintln(os.Stderr, "restore:", err)
				os.Exit(8)
			}
			fmt.Println("restored")
		}
	}
}

// TestDeletionCrashLoop kills a process deleting and restoring packages
// with SIGKILL at random points (many inside a deletion, between its moves)
// and checks after each restart, once the restarted Deleter has resumed:
// no deletion is left pending, each started deletion has exactly one end,
// and no live package lacks a byte (nor a deleted one not purged, in the
// store or the trash). ASSAY_DELETION_CRASH_CYCLES sets the cycles (10).
func TestDeletionCrashLoop(t *testing.T) {
	cycles := 10
	if v, err := strconv.Atoi(os.Getenv("ASSAY_DELETION_CRASH_CYCLES")); err == nil {
		cycles = v
	}
	skey, _, err := note.GenerateKey(rand.Reader, ledgertest.Origin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rng := mrand.New(mrand.NewPCG(uint64(os.Getpid()), 13))
	for c := range cycles {
		killAfter := 1 + rng.IntN(80)
		killChild(t, dir, skey, killAfter)
		lg, cat, del, err := crashParts(dir, skey, func(l *local.Local) cas.Store { return l })
		if err != nil {
			t.Fatal(err)
		}
		n, err := del.Resume(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("cycle %d: killed after %d lines; resumed %d deletions", c, killAfter, n)
		checkAfterCrash(t, lg, cat, del)
		lg.Close()
	}
}

func killChild(t *testing.T, dir, skey string, killAfter int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ASSAY_DELETION_CRASH_DIR="+dir, "ASSAY_DELETION_CRASH_KEY="+skey)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	n := 0
	for sc.Scan() {
		if n++; n == killAfter {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); n < killAfter || err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child ended after %d lines (want it killed after %d): %v\n%s", n, killAfter, err, stderr.String())
	}
}

func checkAfterCrash(t *testing.T, lg *ledger.Log, cat *catalog.Service, del *Deleter) {
	t.Helper()
	ctx := t.Context()
	pending := 0
	if err := lg.ScanProjections(ctx, []byte(prefixPending), nil, func(_, _ []byte) (bool, error) { pending++; return true, nil }); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Fatalf("%d deletions still pending after Resume", pending)
	}
	size, _ := lg.Head()
	entries, err := lg.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[uint64]int{}
	var starts []uint64
	for i, e := range entries {
		switch {
		case bytes.Contains(e, []byte(`"type":"`+TypeDeletionStarted+`"`)):
			starts = append(starts, uint64(i))
		case bytes.Contains(e, []byte(`"type":"`+TypeDeletionCompleted+`"`)), bytes.Contains(e, []byte(`"type":"`+TypeDeletionFailed+`"`)):
			_, rest, _ := bytes.Cut(e, []byte(`"started_index":`))
			var at uint64
			fmt.Sscan(string(rest), &at)
			ends[at]++
		}
	}
	for _, s := range starts {
		if ends[s] != 1 {
			t.Fatalf("deletion started at %d has %d ends, want 1", s, ends[s])
		}
	}
	store := cat.Store.(*local.Local)
	pkgs, _, err := cat.Catalog.Packages(ctx, "acme", catalog.PackageFilter{}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		d, err := del.svc.deletion(p.ID)
		if err != nil {
			t.Fatal(err)
		}
		files, err := cat.Catalog.Files(ctx, "acme", p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			dg, _ := cas.ParseDigest(f.Digest)
			_, herr := store.Head(ctx, dg)
			trashed, err := store.InTrash(ctx, dg)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Gone() && herr != nil {
				t.Fatalf("live package %s lost %s: %v", p.ID, f.Path, herr)
			}
			if d.Gone() && herr != nil && !trashed {
				t.Fatalf("deleted package %s (%s) lost %s before any purge", p.ID, d.State, f.Path)
			}
		}
	}
}
