package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas/castest"
	"github.com/assay-ledger/assay/httpapi/client"
)

// serveArgsEnv carries the arguments of `assay serve` to the helper
// process of TestUploadMemory.
const serveArgsEnv = "ASSAY_TEST_SERVE_ARGS"

// TestServeHelperProcess is not a test: TestUploadMemory re-executes the
// test binary to run it as a separate `assay serve` process whose memory
// can be measured alone.
func TestServeHelperProcess(t *testing.T) {
	args := os.Getenv(serveArgsEnv)
	if args == "" {
		t.Skip("helper process of TestUploadMemory")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(strings.Split(args, "\n"))
	root.SetOut(os.Stdout)
	root.SetErr(os.Stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestUploadMemory uploads 1 GiB, generated on the fly, through HTTP into
// a separate server process and checks that the server's peak resident
// memory (VmHWM) stays under 100 MiB. It takes a few seconds; set
// ASSAY_SKIP_1GIB=1 to skip it.
func TestUploadMemory(t *testing.T) {
	if os.Getenv("ASSAY_SKIP_1GIB") != "" {
		t.Skip("ASSAY_SKIP_1GIB is set")
	}
	const size, limit = 1 << 30, 100 << 20
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Env = append(os.Environ(), serveArgsEnv+"="+strings.Join([]string{"serve", "--dev", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, "\n"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	url, token := readBanner(t, bufio.NewScanner(stdout))
	c, err := client.New(url, token, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.CreatePackage(t.Context(), map[string]any{"name": "big", "retention_class": "transient"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	files, err := c.UploadFiles(t.Context(), p.ID, []client.UploadFile{{Path: "big.bin", Body: castest.NewReader(42, size)}})
	if err != nil || files[0].Size != size {
		t.Fatalf("upload: %+v, %v", files, err)
	}
	elapsed := time.Since(start)
	hwm := vmHWM(t, cmd.Process.Pid)
	t.Logf("1 GiB upload in %v (%.0f MB/s); server peak RSS %.1f MiB", elapsed, size/elapsed.Seconds()/1e6, float64(hwm)/(1<<20))
	if hwm >= limit {
		t.Fatalf("server peak RSS %d MiB, want under %d MiB", hwm>>20, limit>>20)
	}
}

// readBanner reads the server's banner up to its curl example and returns
// its URL and dev token.
func readBanner(t *testing.T, sc *bufio.Scanner) (url, token string) {
	t.Helper()
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "Assay serving "); ok {
			url, _, _ = strings.Cut(v, " ")
		}
		if _, v, ok := strings.Cut(line, "shown only now): "); ok {
			token = v
		}
		if strings.Contains(line, "curl ") {
			return url, token
		}
	}
	t.Fatalf("server stopped before its banner: %v", sc.Err())
	return "", ""
}

// vmHWM returns the peak resident set size of process pid in bytes.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
