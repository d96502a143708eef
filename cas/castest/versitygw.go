package castest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/assay-ledger/assay/internal/gobin"
)

// VersityGWInstall is the command that installs the S3 server the S3
// backend's tests run against; `make test` runs it when the binary is
// missing.
const VersityGWInstall = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Static credentials of the test server's root account.
const (
	vgwAccessKey = "assay-test-access"
	vgwSecretKey = "assay-test-secret-key"
	vgwRegion    = "us-east-1"
)

// How long the harness waits for the server to listen and to exit.
const (
	vgwStartTimeout = 30 * time.Second
	vgwStopTimeout  = 10 * time.Second
	vgwPollEvery    = 20 * time.Millisecond
)

// VersityGW is a versitygw S3 gateway serving a temporary directory on
// 127.0.0.1 for one test. Its buckets are directories under Root and its
// objects plain files under them, so tests can look at and damage stored
// bytes directly.
type VersityGW struct {
	Endpoint  string // "http://127.0.0.1:<port>"
	Region    string
	AccessKey string
	SecretKey string
	Root      string // the posix backend's root directory
	// Flags are more gateway flags (before the backend), such as
	// --event-webhook-url; set them with StartVersityGWWith.
	Flags []string

	t       testing.TB
	bin     string
	addr    string
	verDir  string
	cmd     *exec.Cmd
	exited  chan struct{}
	running bool
	logs    lockedBuffer
}

// SetAWSEnv points the AWS SDK's environment at g for the rest of the test:
// g's keys, and none of the machine's own credentials, config files,
// profile, region or endpoint. The environment is the only way the S3
// store takes credentials.
func (g *VersityGW) SetAWSEnv(t testing.TB) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": g.AccessKey, "AWS_SECRET_ACCESS_KEY": g.SecretKey, "AWS_SESSION_TOKEN": "",
		"AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none, "AWS_PROFILE": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}
}

// StartVersityGW finds the versitygw binary (in PATH, then in
// $(go env GOPATH)/bin), starts it on a free port of 127.0.0.1 with static
// keys and `posix --versioning-dir DIR ROOT`, waits until it accepts
// connections, and stops it when the test ends. Without the binary the test
// is skipped, or fails when CI is "true" or ASSAY_REQUIRE_S3 is set (make
// test sets it); either way the message says how to install it.
func StartVersityGW(t testing.TB) *VersityGW {
	t.Helper()
	return StartVersityGWWith(t)
}

// StartVersityGWWith is StartVersityGW with more gateway flags.
func StartVersityGWWith(t testing.TB, flags ...string) *VersityGW {
	t.Helper()
	bin := gobin.Require(t, "versitygw", VersityGWInstall, "ASSAY_REQUIRE_S3")
	dir := t.TempDir()
	g := &VersityGW{
		Region: vgwRegion, AccessKey: vgwAccessKey, SecretKey: vgwSecretKey,
		Root: filepath.Join(dir, "root"), Flags: flags, t: t, bin: bin, verDir: filepath.Join(dir, "versions"),
	}
	for _, d := range []string{g.Root, g.verDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		g.Stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", g.logs.String())
		}
	})
	g.startOnFreePort()
	return g
}

// startOnFreePort starts the server on a fresh port, trying another if the
// port was taken between choosing and binding it.
func (g *VersityGW) startOnFreePort() {
	g.t.Helper()
	var err error
	for range 3 {
		g.addr = freeAddr(g.t)
		g.Endpoint = "http://" + g.addr
		if err = g.launch(); err == nil {
			return
		}
	}
	g.t.Fatalf("start versitygw: %v\n%s", err, g.logs.String())
}

// Start starts the server again on its previous address and root, after
// Stop.
func (g *VersityGW) Start() {
	g.t.Helper()
	if err := g.launch(); err != nil {
		g.t.Fatalf("restart versitygw: %v\n%s", err, g.logs.String())
	}
}

// CommandLine is the argument list the server runs with (the keys are
// passed in its environment).
func (g *VersityGW) CommandLine() []string {
	args := append([]string{g.bin, "--port", g.addr, "--region", g.Region, "--quiet"}, g.Flags...)
	return append(args, "posix", "--versioning-dir", g.verDir, g.Root)
}

// launch starts the process and polls until it accepts connections.
func (g *VersityGW) launch() error {
	args := g.CommandLine()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = []string{
		"HOME=" + g.Root, "PATH=" + os.Getenv("PATH"),
		"ROOT_ACCESS_KEY_ID=" + g.AccessKey, "ROOT_SECRET_ACCESS_KEY=" + g.SecretKey,
	}
	cmd.Stdout, cmd.Stderr = &g.logs, &g.logs
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	g.cmd, g.exited, g.running = cmd, exited, true
	return g.waitReady()
}

// waitReady polls a TCP dial until the server listens, it exits, or the
// start timeout passes.
func (g *VersityGW) waitReady() error {
	tick := time.NewTicker(vgwPollEvery)
	defer tick.Stop()
	deadline := time.NewTimer(vgwStartTimeout)
	defer deadline.Stop()
	for {
		select {
		case <-g.exited:
			g.running = false
			return fmt.Errorf("versitygw exited while starting on %s", g.addr)
		case <-deadline.C:
			g.Stop()
			return fmt.Errorf("versitygw not listening on %s after %v", g.addr, vgwStartTimeout)
		case <-tick.C:
			if c, err := net.DialTimeout("tcp", g.addr, time.Second); err == nil {
				c.Close()
				return nil
			}
		}
	}
}

// Stop terminates the server (SIGTERM, then SIGKILL after a grace period)
// and waits for it to exit. Stopping a stopped server does nothing.
func (g *VersityGW) Stop() {
	if !g.running {
		return
	}
	g.running = false
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		g.t.Errorf("stop versitygw: %v", err)
	}
	grace := time.NewTimer(vgwStopTimeout)
	defer grace.Stop()
	select {
	case <-g.exited:
	case <-grace.C:
		g.cmd.Process.Kill()
		<-g.exited
	}
}

// ObjectPath is the file in which the server keeps an object's bytes.
func (g *VersityGW) ObjectPath(bucket, key string) string {
	return filepath.Join(g.Root, bucket, filepath.FromSlash(key))
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// lockedBuffer collects the server's output from two pipes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
