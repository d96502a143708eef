package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/promotion"
)

// TestPromotionCrash lands ASSAY_PROMOTION_CRASH_OBJECTS objects (2000;
// 10000 under make soak) in raw through a server running as a separate
// process, requests their promotion, SIGKILLs the server while its worker
// is deciding them (twice, at random points), and restarts it on the same
// data each time. The restarted worker resumes the promotion; once it is
// completed, a scan of the whole log finds exactly one check and one
// outcome per object.
func TestPromotionCrash(t *testing.T) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("ASSAY_PROMOTION_CRASH_OBJECTS")); err == nil {
		n = v
	}
	data := t.TempDir()
	srv := startServeProcess(t, data)
	token := srv.token
	c := srv.client(t, token)
	landMany(t, c, n)
	v, err := c.Promote(t.Context(), wire.PromotionRequest{Source: "raw/crash/", Destination: "golden/crash/", Tier: promotion.TierBasic})
	if err != nil {
		t.Fatal(err)
	}
	rng := mrand.New(mrand.NewPCG(uint64(os.Getpid()), 14))
	for kill := range 2 {
		// Kill somewhere in the next third of the objects.
		at := n*kill/3 + 1 + rng.IntN(n/3)
		decided := srv.waitDecided(t, c, v.ID, at)
		srv.kill(t)
		t.Logf("SIGKILL %d after at least %d of %d objects decided", kill+1, decided, n)
		srv = startServeProcess(t, data)
		c = srv.client(t, token)
	}
	p := srv.waitDecided(t, c, v.ID, -1)
	if p != n {
		t.Fatalf("completed with %d objects decided, want %d", p, n)
	}
	final, err := c.Promotion(t.Context(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.Status != promotion.StatusCompleted || final.Checked != n || final.Promoted != n {
		t.Fatalf("promotion %+v, want %d objects promoted", final.Promotion, n)
	}
	srv.stop(t)
	srv = startServeProcess(t, data) // the log, read through a fresh server
	defer srv.stop(t)
	c = srv.client(t, token)
	checks, outcomes := map[string]int{}, map[string]int{}
	for start := uint64(0); start <= final.CompletedIndex; {
		es, err := c.Entries(t.Context(), start, min(start+wire.MaxPage, final.CompletedIndex+1))
		if err != nil || len(es) == 0 {
			t.Fatalf("entries from %d: %d, %v", start, len(es), err)
		}
		for _, e := range es {
			rec, err := ledger.ParseRecord(e.Entry)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				PromotionID string `json:"promotion_id"`
				SourceKey   string `json:"source_key"`
			}
			if err := json.Unmarshal(rec.Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.PromotionID != v.ID {
				continue
			}
			switch rec.Type {
			case promotion.TypeVerified, promotion.TypeFailed:
				checks[body.SourceKey]++
			case promotion.TypePromoted, promotion.TypeQuarantined:
				outcomes[body.SourceKey]++
			}
		}
		start = es[len(es)-1].Index + 1
	}
	for i := range n {
		k := crashKey(i)
		if checks[k] != 1 || outcomes[k] != 1 {
			t.Fatalf("%s: %d checks and %d outcomes in the log, want 1 and 1", k, checks[k], outcomes[k])
		}
	}
	if len(checks) != n || len(outcomes) != n {
		t.Fatalf("%d objects checked and %d placed, want %d", len(checks), len(outcomes), n)
	}
}

func crashKey(i int) string { return fmt.Sprintf("crash/%05d.txt", i) }

// landMany puts n small objects under raw/crash/, four at a time.
func landMany(t *testing.T, c *client.Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				body := fmt.Sprintf("object %d", i)
				if _, err := c.PutObject(t.Context(), crashKey(i), strings.NewReader(body), int64(len(body)), "text/plain", "", nil); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
}

// serveProcess is `assay serve --dev` running as a child process (the test
// binary, as TestServeHelperProcess).
type serveProcess struct {
	cmd   *exec.Cmd
	url   string
	token string // printed on the first start only
	done  bool
}

func startServeProcess(t *testing.T, data string, extra ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	args := append([]string{"serve", "--dev", "--data", data, "--addr", "127.0.0.1:0"}, extra...)
	cmd.Env = append(os.Environ(), serveArgsEnv+"="+strings.Join(args, "\n"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serveProcess{cmd: cmd}
	t.Cleanup(func() {
		if !s.done {
			s.kill(t)
		}
	})
	sc := bufio.NewScanner(stdout)
	s.url, s.token = readBanner(t, sc)
	go func() { // keep the pipe drained
		for sc.Scan() {
		}
	}()
	return s
}

func (s *serveProcess) client(t *testing.T, token string) *client.Client {
	t.Helper()
	c, err := client.New(s.url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitDecided polls promotion id until at least at objects are decided
// (at < 0: until it is finished) and returns how many are.
func (s *serveProcess) waitDecided(t *testing.T, c *client.Client, id string, at int) int {
	t.Helper()
	for {
		v, err := c.Promotion(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		decided := v.Promoted + v.Quarantined
		switch {
		case v.Status == promotion.StatusCompleted || v.Status == promotion.StatusFailed:
			if at >= 0 {
				t.Fatalf("promotion finished (%d decided) before the kill at %d", decided, at)
			}
			return decided
		case at >= 0 && decided >= at:
			return decided
		}
	}
}

func (s *serveProcess) kill(t *testing.T) {
	t.Helper()
	s.done = true
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("server ended with %v, want killed", err)
	}
}

func (s *serveProcess) stop(t *testing.T) {
	t.Helper()
	if s.done {
		return
	}
	s.done = true
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("server stopped with %v", err)
	}
}
