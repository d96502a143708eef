// Package witnesstest runs real witnesses for tests: litewitness, the C2SP
// tlog-witness of filippo.io/torchwood, with its key in an ssh-agent of its
// own.
package witnesstest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assay-ledger/assay/internal/gobin"
)

// Install is what installs the programs; `make test` runs it when they are
// missing.
const Install = "go install filippo.io/torchwood/cmd/litewitness@v0.6.1 filippo.io/torchwood/cmd/witnessctl@v0.6.1"

// Litewitness is a running litewitness.
type Litewitness struct {
	Name string // its name in cosignature lines
	URL  string // http://127.0.0.1:PORT, its submission prefix
	VKey string // the verifier key of its cosignatures
	t    testing.TB
	db   string
	ctl  string
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs bytes.Buffer
}

// need returns the path of program, skipping the test when it is missing,
// or failing it when ASSAY_REQUIRE_WITNESS or CI=true says it must run.
func need(t testing.TB, program string) string {
	t.Helper()
	p := gobin.Require(t, program, Install, "ASSAY_REQUIRE_WITNESS")
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to give litewitness its key: %v", tool, err)
		}
	}
	return p
}

var vkeyLine = regexp.MustCompile(`msg="verifier key" vkey=(\S+)`)

// Start runs a litewitness named name on a free loopback port, with a new
// Ed25519 key held by an ssh-agent started for it, and stops both when the
// test ends.
func Start(t testing.TB, name string) *Litewitness {
	t.Helper()
	bin := need(t, "litewitness")
	w := &Litewitness{Name: name, t: t, ctl: need(t, "witnessctl")}
	dir, err := os.MkdirTemp("", "lw") // short: a unix socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	key, sock := filepath.Join(dir, "key"), filepath.Join(dir, "agent.sock")
	w.db = filepath.Join(dir, "witness.db")
	run(t, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key)
	// ssh-agent binds its socket before it forks, so it is there once
	// this returns; it prints the pid to stop it with.
	m := regexp.MustCompile(`SSH_AGENT_PID=(\d+)`).FindStringSubmatch(run(t, nil, "ssh-agent", "-s", "-a", sock))
	if m == nil {
		t.Fatal("ssh-agent printed no pid")
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() {
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	})
	env := append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	run(t, env, "ssh-add", "-q", key)
	fp := strings.Fields(run(t, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub"))
	if len(fp) < 2 || !strings.HasPrefix(fp[1], "SHA256:") {
		t.Fatalf("ssh-keygen -l printed %q", fp)
	}
	// Create the database before litewitness opens it.
	run(t, nil, w.ctl, "list-logs", "-db", w.db)
	for attempt := 0; ; attempt++ {
		addr := freeAddr(t)
		w.URL = "http://" + addr
		w.cmd = exec.Command(bin, "-db", w.db, "-name", name, "-key", fp[1], "-ssh-agent", sock, "-listen", addr)
		stderr, err := w.cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if w.VKey, err = w.await(stderr); err == nil {
			err = dialable(addr)
		}
		if err == nil {
			break
		}
		w.Stop()
		if attempt == 2 {
			t.Fatalf("litewitness did not start: %v\n%s", err, w.output())
		}
	}
	t.Cleanup(func() {
		w.Stop()
		if t.Failed() {
			t.Logf("litewitness %s output:\n%s", name, w.output())
		}
	})
	return w
}

// await reads litewitness's log until it listens, returning its verifier
// key, and keeps copying the log afterwards.
func (w *Litewitness) await(stderr interface{ Read([]byte) (int, error) }) (string, error) {
	sc := bufio.NewScanner(stderr)
	vkey := ""
	for sc.Scan() {
		line := sc.Text()
		w.mu.Lock()
		w.logs.WriteString(line + "\n")
		w.mu.Unlock()
		if m := vkeyLine.FindStringSubmatch(line); m != nil {
			vkey = m[1]
		}
		if strings.Contains(line, `msg=listening`) {
			go func() {
				for sc.Scan() {
					w.mu.Lock()
					w.logs.WriteString(sc.Text() + "\n")
					w.mu.Unlock()
				}
			}()
			if vkey == "" {
				return "", fmt.Errorf("no verifier key in its log")
			}
			return vkey, nil
		}
	}
	return "", fmt.Errorf("it exited: %v", sc.Err())
}

func (w *Litewitness) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.logs.String()
}

// AddLog registers a log's origin and checkpoint verifier key with the
// witness (witnessctl add-log and add-key), as its operator would.
func (w *Litewitness) AddLog(origin, vkey string) {
	w.t.Helper()
	run(w.t, nil, w.ctl, "add-log", "-db", w.db, "-origin", origin)
	run(w.t, nil, w.ctl, "add-key", "-db", w.db, "-origin", origin, "-key", vkey)
}

// Logs lists what the witness knows of each log (witnessctl list-logs),
// one JSON object a line.
func (w *Litewitness) Logs() string {
	w.t.Helper()
	return run(w.t, nil, w.ctl, "list-logs", "-db", w.db)
}

// Stop kills the witness; it answers nothing afterwards.
func (w *Litewitness) Stop() {
	if w.cmd != nil && w.cmd.Process != nil {
		w.cmd.Process.Kill()
		w.cmd.Wait()
	}
}

func run(t testing.TB, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// dialable waits until addr accepts a connection: litewitness logs that
// it listens just before it binds.
func dialable(addr string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			return c.Close()
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
