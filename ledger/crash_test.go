package ledger

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/verifier"
)

// TestMain lets the test binary double as the crash test's child process.
func TestMain(m *testing.M) {
	if dir := os.Getenv("ASSAY_CRASH_CHILD_DIR"); dir != "" {
		crashChild(dir, os.Getenv("ASSAY_CRASH_CHILD_KEY"))
		return
	}
	os.Exit(m.Run())
}

// crashChild appends from 32 goroutines until killed, printing one line per
// acknowledged append: index, leaf hash and the batch's checkpoint.
func crashChild(dir, skey string) {
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	l, err := Open(Config{Dir: dir, Origin: testOrigin, Signer: s, Logger: discardLogger()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				body := fmt.Appendf(nil, `{"worker":%d,"seq":%d,"pad":"%0400d"}`, w, i, i)
				a, err := l.Append(context.Background(), Entry{Type: "test.crash", Actor: "child", Body: body})
				if err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %x %s\n", a.Record.Index, a.LeafHash, base64.StdEncoding.EncodeToString(a.Checkpoint))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

type crashState struct {
	acked       map[uint64]string // index -> leaf hash hex
	checkpoints map[uint64][]byte // size -> root, from every checkpoint seen
}

func TestCrashRecovery(t *testing.T) {
	cycles := 10
	if v, err := strconv.Atoi(os.Getenv("ASSAY_CRASH_CYCLES")); err == nil {
		cycles = v
	}
	dir, k := t.TempDir(), newKeys(t)
	st := &crashState{acked: map[uint64]string{}, checkpoints: map[uint64][]byte{}}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 7))
	for c := range cycles {
		killAfter := 1 + rng.IntN(3000)
		n := runAndKill(t, dir, k, killAfter, st)
		l := openLog(t, dir, k, nil)
		size, _ := l.Head()
		t.Logf("cycle %d: killed after %d acks (%d read), reopened at size %d", c, killAfter, n, size)
		st.check(t, l, k)
		l.Close()
	}
	l := openLog(t, dir, k, nil)
	defer l.Close()
	tr := newTLogTree(t, l)
	size, root := l.Head()
	if want := tr.root(t, size); !bytes.Equal(root, want[:]) {
		t.Fatalf("final root %x, tlog recomputes %x", root, want)
	}
}

// runAndKill starts the child, reads acknowledgements, SIGKILLs it after
// killAfter of them and records every ack and checkpoint it printed.
func runAndKill(t *testing.T, dir string, k testKeys, killAfter int, st *crashState) int {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ASSAY_CRASH_CHILD_DIR="+dir, "ASSAY_CRASH_CHILD_KEY="+k.skey)
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
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		st.record(t, k, sc.Text())
		if n++; n == killAfter {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); n < killAfter || err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child ended after %d acks (want it killed after %d): %v\n%s", n, killAfter, err, stderr.String())
	}
	return n
}

func (st *crashState) record(t *testing.T, k testKeys, line string) {
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "ack" {
		return // a line cut short by the kill
	}
	i, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := base64.StdEncoding.DecodeString(f[3])
	if err != nil {
		return
	}
	cp, err := verifier.OpenCheckpoint(signed, k.vkey, testOrigin)
	if err != nil {
		t.Fatalf("child printed a bad checkpoint: %v", err)
	}
	st.acked[i] = f[2]
	st.checkpoints[cp.Size] = cp.Root
}

// check asserts that every acknowledged entry is present with its bytes and
// every checkpoint seen is consistent with the reopened tree.
func (st *crashState) check(t *testing.T, l *Log, k testKeys) {
	size, root := l.Head()
	for i, lh := range st.acked {
		e, err := l.Entry(i)
		if err != nil {
			t.Fatalf("acknowledged entry %d lost (size %d): %v", i, size, err)
		}
		if got := hex.EncodeToString(verifier.LeafHash(e)); got != lh {
			t.Fatalf("entry %d has leaf hash %s, acknowledged %s", i, got, lh)
		}
	}
	for n, r := range st.checkpoints {
		p, err := l.ConsistencyProof(n, size)
		if err != nil {
			t.Fatalf("checkpoint at %d vs tree %d: %v", n, size, err)
		}
		if n > 0 && n < size {
			if err := verifier.VerifyConsistency(n, size, p, r, root); err != nil {
				t.Fatalf("checkpoint at %d inconsistent with reopened tree %d: %v", n, size, err)
			}
		} else if n == size && !bytes.Equal(r, root) {
			t.Fatalf("checkpoint at %d has root %x, reopened tree %x", n, r, root)
		}
	}
	if _, err := verifier.OpenCheckpoint(l.Checkpoint(), k.vkey, testOrigin); err != nil {
		t.Fatal(err)
	}
}
