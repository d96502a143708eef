package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// uploadProfile, when set, names a file for a CPU profile of the timed
// uploads only (not of generating the file or of the limits).
var uploadProfile = flag.String("upload-cpuprofile", "", "write a CPU profile of the HTTP uploads only to this file")

// uploadBench prints the throughput of one upload of a size-byte file
// through HTTP (multipart, into a package, local store) beside the two
// limits measured on the same file in the same run: `openssl dgst -sha256
// FILE` (hashing) and `cp FILE DIR && sync` (the disk's write rate). The
// goal is at least 0.7 times the slower of the two.
func uploadBench(dir string, size int64) {
	file := filepath.Join(dir, "upload.bin")
	writeRandomFile(file, size)
	hash := timeCmd("openssl", "dgst", "-sha256", file)
	cpDir := filepath.Join(dir, "cp")
	check(os.MkdirAll(cpDir, 0o700))
	disk := timeCmd("sh", "-c", `cp "$0" "$1" && sync`, file, cpDir)
	check(os.RemoveAll(cpDir))
	if *uploadProfile != "" {
		f, err := os.Create(*uploadProfile)
		check(err)
		check(pprof.StartCPUProfile(f))
	}
	pkg, obj := timeUpload(dir, file, size)
	if *uploadProfile != "" {
		pprof.StopCPUProfile()
	}
	mbps := func(d time.Duration) float64 { return float64(size) / d.Seconds() / 1e6 }
	slower := max(hash, disk)
	fmt.Printf("HTTP upload of %d MiB, multipart into a package: %7.0f MB/s  ratio %.2f  (cpu %.2fs)\n", size>>20, mbps(pkg.wall), slower.Seconds()/pkg.wall.Seconds(), pkg.cpu.Seconds())
	fmt.Printf("HTTP upload of %d MiB, PUT /v1/objects/raw/KEY:  %7.0f MB/s  ratio %.2f  (cpu %.2fs)\n", size>>20, mbps(obj.wall), slower.Seconds()/obj.wall.Seconds(), obj.cpu.Seconds())
	fmt.Printf("  limit: openssl dgst -sha256 FILE:              %7.0f MB/s\n", mbps(hash))
	fmt.Printf("  limit: cp FILE DIR && sync:                    %7.0f MB/s\n", mbps(disk))
	fmt.Printf("  ratios are to the slower limit (goal >= 0.70)\n\n")
}

// writeRandomFile writes size pseudo-random bytes to path and syncs it.
func writeRandomFile(path string, size int64) {
	f, err := os.Create(path)
	check(err)
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(buf)) {
		rng.Read(buf)
		_, err := w.Write(buf[:min(int64(len(buf)), size-n)])
		check(err)
	}
	check(w.Flush())
	check(f.Sync())
}

// timeCmd runs a command and returns how long it took.
func timeCmd(name string, args ...string) time.Duration {
	start := time.Now()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		check(fmt.Errorf("%s: %w: %s", name, err, out))
	}
	return time.Since(start)
}

// timing is how long an upload took, and the CPU time this process (the
// client and the server both) spent meanwhile.
type timing struct{ wall, cpu time.Duration }

// timed runs fn and returns its timing.
func timed(fn func()) timing {
	cpu0, start := cpuTime(), time.Now()
	fn()
	return timing{wall: time.Since(start), cpu: cpuTime() - cpu0}
}

// timeUpload starts a server with the catalog routes on loopback and
// returns how long uploading file takes, first into a new package
// (multipart, which the client sends in 1 MiB writes), then as an object
// put by key (a plain body the client sends with sendfile). The blobs are
// removed in between so that both write.
func timeUpload(dir, file string, size int64) (pkg, obj timing) {
	lg := openLog(filepath.Join(dir, "upload-ledger"))
	defer lg.Close()
	st, err := local.Open(local.Config{Root: filepath.Join(dir, "upload-blobs")})
	check(err)
	tokens := filepath.Join(dir, "upload-tokens.json")
	tok, err := httpapi.CreateToken(tokens, httpapi.Identity{Name: "bench", Tenant: benchTenant, Scopes: []string{httpapi.AllScopes}}, time.Now())
	check(err)
	api, err := httpapi.New(httpapi.Config{Log: lg, Tokens: httpapi.OpenTokens(tokens), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	check(err)
	svc := &catalog.Service{Catalog: catalog.New(lg), Store: st, Classes: catalog.DefaultClasses()}
	api.HandleCatalog(httpapi.CatalogConfig{Service: svc})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	hs := &http.Server{Handler: api}
	go hs.Serve(ln)
	defer hs.Close()
	c, err := client.New("http://"+ln.Addr().String(), tok, nil)
	check(err)
	ctx := context.Background()
	p, err := c.CreatePackage(ctx, map[string]any{"name": "bench", "retention_class": "transient"})
	check(err)
	f, err := os.Open(file)
	check(err)
	defer f.Close()
	pkg = timed(func() {
		_, err = c.UploadFiles(ctx, p.ID, []client.UploadFile{{Path: "upload.bin", Body: f}})
		check(err)
	})
	check(os.RemoveAll(filepath.Join(dir, "upload-blobs", "sha256"))) // so that the PUT writes the blob again
	_, err = f.Seek(0, io.SeekStart)
	check(err)
	obj = timed(func() {
		_, err = c.PutObject(ctx, "bench/upload.bin", f, size, "", "", nil)
		check(err)
	})
	return pkg, obj
}
