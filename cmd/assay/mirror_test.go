package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMirrorFollowsUnderLoad: assay mirror follows a primary while it
// takes writes, serving reads meanwhile; once caught up its projections
// equal the primary's at the same size (blobs too), and a primary replaced
// by another history under the same key stops it with nothing written.
func TestMirrorFollowsUnderLoad(t *testing.T) {
	src := t.TempDir()
	s := startServe(t, "--dev", "--data", src)
	mdir := t.TempDir()
	mustRun(t, "keys", "generate", "--name", "checkpoint", "--out", filepath.Join(mdir, "keys"), "--key-name", "mirror.test")
	reader := strings.TrimSpace(mustRun(t, "token", "create", "--data", mdir, "--name", "reader", "--tenant", "dev", "--scope", "log:read"))
	ctx, cancel := context.WithCancel(t.Context())
	var out lockedOut
	done := make(chan error, 1)
	go func() {
		root := newRootCmd()
		root.SetArgs([]string{"mirror", "--server", s.url, "--token", s.token, "--data", mdir, "--origin", "mirror.test", "--key", s.vkey,
			"--interval", "5ms", "--blobs", "--allow-missing", "--addr", "127.0.0.1:0"})
		root.SetOut(&out)
		root.SetErr(&out)
		done <- root.ExecuteContext(ctx)
	}()
	files := t.TempDir()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 25 {
				p := filepath.Join(files, strings.Repeat("w", w+1)+".txt")
				if err := os.WriteFile(p, []byte(strings.Repeat("z", 100*w+i+1)), 0o600); err != nil {
					t.Error(err)
					return
				}
				if _, err := run(t.Context(), "put", p, "--key", "m/"+filepath.Base(p), "--server", s.url, "--token", s.token); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := sizeOfServer(t, s)
	// The mirror serves its reads while it follows.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var murl string
	deadline := time.After(time.Minute)
	for murl == "" || mirrorSize(t, murl, reader) < want {
		if u, ok := strings.CutPrefix(firstLine(out.String(), "mirror serving on "), "mirror serving on "); ok {
			murl = u
		}
		select {
		case err := <-done:
			t.Fatalf("mirror ended: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("the mirror at %q never reached size %d:\n%s", murl, want, out.String())
		case <-tick.C:
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("mirror: %v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), "mirrored entries ["); n < 2 {
		t.Fatalf("the mirror imported %d times: it did not follow the load\n%s", n, out.String())
	}
	s.stop(t)
	a, b := openAny(t, filepath.Join(src, "ledger")), openAny(t, filepath.Join(mdir, "ledger"))
	sa, ra := a.Head()
	sb, rb := b.Head()
	if sa != sb || !bytes.Equal(ra, rb) {
		t.Fatalf("primary (%d, %x), mirror (%d, %x)", sa, ra, sb, rb)
	}
	pa, pb := projections(t, a), projections(t, b)
	delete(pb, "ledger/mirror")
	if len(pa) < 100 || len(pa) != len(pb) {
		t.Fatalf("primary has %d projection keys, mirror %d", len(pa), len(pb))
	}
	for k, v := range pa {
		if pb[k] != v {
			t.Fatalf("projection %q: primary %q, mirror %q", k, v, pb[k])
		}
	}
	if ba, bb := blobSet(t, filepath.Join(src, "blobs")), blobSet(t, filepath.Join(mdir, "blobs")); len(ba) < 100 || strings.Join(ba, ",") != strings.Join(bb, ",") {
		t.Fatalf("primary store holds %d blobs, mirror %d", len(ba), len(bb))
	}
	a.Close()
	b.Close()

	// Another history under the same key: the mirror stops, writes nothing.
	other := t.TempDir()
	if err := os.CopyFS(filepath.Join(other, "keys"), os.DirFS(filepath.Join(src, "keys"))); err != nil {
		t.Fatal(err)
	}
	o := startServe(t, "--dev", "--data", other)
	defer o.stop(t)
	ocli := cliOf(t, o, o.token)
	p := filepath.Join(files, "other.txt")
	for i := range int(want) + 5 { // a longer tree, so the mirror has something to take
		os.WriteFile(p, []byte(strings.Repeat("q", i+1)), 0o600)
		ocli("put", p, "--key", "other.txt")
	}
	_, err := run(t.Context(), "mirror", "--once", "--server", o.url, "--token", o.token, "--data", mdir, "--origin", "mirror.test", "--key", s.vkey)
	if err == nil || !strings.Contains(err.Error(), "not the one this mirror follows") {
		t.Fatalf("mirror of another history: %v", err)
	}
	l := openAny(t, filepath.Join(mdir, "ledger"))
	if n, r := l.Head(); n != want || !bytes.Equal(r, ra) {
		t.Fatalf("the refused mirror moved to (%d, %x)", n, r)
	}
	l.Close()

	// Disaster recovery: the mirror becomes a primary of its own origin;
	// its first new entry names the old log's last verified checkpoint,
	// and the old tree stays its prefix.
	kept, err := os.ReadFile(filepath.Join(mdir, "mirror-checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	p1 := startServe(t, "--data", mdir, "--origin", "mirror.test", "--promote-mirror")
	tok := strings.TrimSpace(mustRun(t, "token", "create", "--data", mdir, "--name", "writer", "--tenant", "dev", "--scope", "*"))
	wcli := cliOf(t, p1, tok)
	var e struct {
		Entry json.RawMessage `json:"entry"`
	}
	mustJSON(t, wcli("log", "entry", fmt.Sprint(want)), &e)
	var pol struct {
		Type   string `json:"type"`
		Policy struct {
			PromotedFrom struct {
				Checkpoint string `json:"checkpoint"`
				Size       uint64 `json:"size"`
				Root       []byte `json:"root"`
			} `json:"promoted_from"`
		} `json:"policy"`
	}
	pf := &pol.Policy.PromotedFrom
	if err := json.Unmarshal(e.Entry, &pol); err != nil || pol.Type != "policy.applied" || pf.Checkpoint != string(kept) ||
		pf.Size != want || !bytes.Equal(pf.Root, ra) {
		t.Fatalf("first entry of the promoted mirror: %s (%v)", e.Entry, err)
	}
	wcli("put", p, "--key", "after-promotion.txt")
	p1.stop(t)
	p2 := startServe(t, "--data", mdir, "--origin", "mirror.test") // promoted for good
	p2.token = tok
	wcli = cliOf(t, p2, tok)
	before := sizeOfServer(t, p2)
	wcli("put", p, "--key", "after-restart.txt")
	if after := sizeOfServer(t, p2); after <= before {
		t.Fatalf("the promoted mirror refused a write after a restart: %d -> %d", before, after)
	}
	p2.stop(t)
	l = openAny(t, filepath.Join(mdir, "ledger"))
	defer l.Close()
	if r, err := l.RootAt(want); err != nil || !bytes.Equal(r, ra) {
		t.Fatalf("the promoted log's root at %d: %x, %v; the old log's %x", want, r, err, ra)
	}
}

// mirrorSize is the size of the mirror's checkpoint at url.
func mirrorSize(t *testing.T, url, token string) uint64 {
	out, err := run(t.Context(), "log", "checkpoint", "--server", url, "--token", token)
	if err != nil {
		return 0
	}
	var n uint64
	for i, line := range strings.Split(out, "\n") {
		if i == 1 {
			for _, c := range line {
				n = n*10 + uint64(c-'0')
			}
		}
	}
	return n
}

func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// lockedOut is a bytes.Buffer safe for a command writing while the test
// reads.
type lockedOut struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedOut) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedOut) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPromoteMirrorRefusesAPrimary: --promote-mirror on a data directory
// assay mirror did not keep fails the start.
func TestPromoteMirrorRefusesAPrimary(t *testing.T) {
	_, err := run(t.Context(), "serve", "--dev", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--promote-mirror")
	if err == nil || !strings.Contains(err.Error(), "is not a mirror that assay mirror kept") {
		t.Fatalf("promote a primary: %v", err)
	}
}
