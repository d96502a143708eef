package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/tools/loadgen"
)

// tesseraPkg is the Tessera log the export figures are compared with.
const tesseraPkg = "github.com/transparency-dev/tessera/cmd/conformance/posix@v1.0.4"

// tesseraBinary returns the path of Tessera's POSIX conformance server,
// installing it with `go install` when GOBIN (or GOPATH/bin) lacks it.
func tesseraBinary() (string, error) {
	gobin, err := exec.Command("go", "env", "GOBIN").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOBIN: %w", err)
	}
	dir := strings.TrimSpace(string(gobin))
	if dir == "" {
		gopath, err := exec.Command("go", "env", "GOPATH").Output()
		if err != nil {
			return "", fmt.Errorf("go env GOPATH: %w", err)
		}
		dir = filepath.Join(strings.TrimSpace(strings.Split(string(gopath), string(os.PathListSeparator))[0]), "bin")
	}
	bin := filepath.Join(dir, "posix")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	fmt.Printf("installing %s ...\n", tesseraPkg)
	cmd := exec.Command("go", "install", tesseraPkg)
	cmd.Dir = os.TempDir() // outside this module, so its go.mod is not involved
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w\n%s", tesseraPkg, err, out)
	}
	return bin, nil
}

// tessera is a running Tessera POSIX conformance server.
type tessera struct {
	url string
	cmd *exec.Cmd
}

func startTessera(dir string) (*tessera, error) {
	bin, err := tesseraBinary()
	if err != nil {
		return nil, err
	}
	skey, _, err := note.GenerateKey(rand.Reader, "tessera.bench/log")
	if err != nil {
		return nil, err
	}
	keyFile := filepath.Join(dir, "tessera.key")
	if err := os.WriteFile(keyFile, []byte(skey), 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--storage_dir", filepath.Join(dir, "tessera"), "--listen", addr, "--private_key", keyFile, "--logtostderr=false")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	t := &tessera{url: "http://" + addr, cmd: cmd}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return t, nil
		}
	}
	t.stop()
	return nil, fmt.Errorf("tessera did not listen on %s within 20s", addr)
}

func (t *tessera) stop() {
	_ = t.cmd.Process.Kill() // the process this benchmark started
	_ = t.cmd.Wait()
}

// drive posts distinct 512-byte bodies to /add for d.
func (t *tessera) drive(clients int, d time.Duration, first int) loadgen.Result {
	return loadgen.Run(context.Background(), loadgen.Config{Clients: clients, Duration: d, Want: http.StatusOK,
		Next: func(i int) (loadgen.Request, bool) {
			body := fmt.Appendf(nil, "entry %012d ", first+i)
			body = append(body, make([]byte, 512-len(body))...)
			return loadgen.Request{Method: http.MethodPost, URL: t.url + "/add", Body: body}, true
		}})
}

// tesseraCompare drives Tessera's /add and Assay's unsigned exports with
// the same load generator at 64 and 512 clients and prints the ratios.
func tesseraCompare(dir string, srv *assayServer, firstRun int, d time.Duration) {
	fmt.Printf("\nTessera POSIX log (%s), /add with 512-byte bodies, same load generator, %v per run:\n", tesseraPkg, d)
	t, err := startTessera(dir)
	if err != nil {
		fmt.Printf("  Tessera not measured: %v\n", err)
		return
	}
	defer t.stop()
	noop := startNoop()
	defer noop.Close()
	for i, clients := range []int{64, 512} {
		ceiling := driveNoop(noop.URL, clients, d)
		tr := t.drive(clients, d, i*10_000_000)
		bodies := srv.exportBodies(firstRun+i*1_000_000, int(d.Seconds()*30_000), false) // more than a run can use
		ar := srv.drive(bodies, clients, d)
		ratio := 0.0
		if tr.Rate() > 0 {
			ratio = ar.Rate() / tr.Rate()
		}
		fmt.Printf("  %3d clients: HTTP ceiling (no-op handler) %s\n", clients, ceiling)
		fmt.Printf("               tessera /add               %s\n", tr)
		fmt.Printf("               assay unsigned export      %s  -> ratio %.2f x tessera\n", ar, ratio)
	}
	fmt.Printf("  (Tessera answers once an entry is sequenced, in batches of up to 256 or 1 s; Assay once the\n" +
		"   entry, its tree nodes and the signed checkpoint are committed, with the inclusion proof.\n" +
		"   The HTTP ceiling is the same load generator against a net/http handler that reads the body\n" +
		"   and answers 201 with 2 KiB: no server on these cores answers faster.)\n")
}

// startNoop starts a net/http server that reads each body and answers 201
// with a receipt-sized body: the ceiling of any HTTP server on this
// machine under this load generator.
func startNoop() *httptest.Server {
	answer := make([]byte, 2048)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(answer)
	}))
}

// driveNoop drives the no-op server with 512-byte bodies.
func driveNoop(url string, clients int, d time.Duration) loadgen.Result {
	body := make([]byte, 512)
	return loadgen.Run(context.Background(), loadgen.Config{Clients: clients, Duration: d, Want: http.StatusCreated,
		Next: func(int) (loadgen.Request, bool) {
			return loadgen.Request{Method: http.MethodPost, URL: url + "/add", Body: body}, true
		}})
}
