package castest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

func testConcurrentSame(t *testing.T, b Backend) {
	data := Data(5, 300_000)
	want := Expect(data)
	const n = 16
	infos, errs := make([]cas.Info, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var expected cas.Digest
			if i%2 == 0 {
				expected = want.Digest
			}
			infos[i], errs[i] = b.Store.Put(t.Context(), bytes.NewReader(data), expected)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		sameBlob(t, fmt.Sprintf("Put %d", i), infos[i], want)
	}
	if o := objects(t, b); len(o) != 1 {
		t.Fatalf("backend holds %q after %d concurrent Puts of the same bytes, want one object", o, n)
	}
	if got := get(t, b.Store, want.Digest, 0, -1); !bytes.Equal(got, data) {
		t.Fatal("bytes differ after concurrent Puts")
	}
}

func testConcurrentDistinct(t *testing.T, b Backend) {
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = b.Store.Put(t.Context(), bytes.NewReader(Data(uint64(300+i), 100_000+i)), cas.Digest{})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Put %d: %v", i, errs[i])
		}
		data := Data(uint64(300+i), 100_000+i)
		if got := get(t, b.Store, Expect(data).Digest, 0, -1); !bytes.Equal(got, data) {
			t.Fatalf("blob %d: bytes differ", i)
		}
	}
	if o := objects(t, b); len(o) != n {
		t.Fatalf("backend holds %d objects after %d distinct Puts: %q", len(o), n, o)
	}
}

// failingReader yields the bytes of r, then err once it has read after
// bytes, calling hook (if set) at that point.
type failingReader struct {
	r     io.Reader
	after int64
	err   error
	hook  func()
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		if f.hook != nil {
			f.hook()
			f.hook = nil
		}
		if f.err != nil {
			return 0, f.err
		}
	}
	if int64(len(p)) > f.after && f.after > 0 {
		p = p[:f.after]
	}
	n, err := f.r.Read(p)
	f.after -= int64(n)
	return n, err
}

func testFailedReader(t *testing.T, b Backend) {
	errBoom := errors.New("boom: client went away")
	tests := []struct {
		name    string
		after   int64 // bytes before the failure
		cancel  bool  // cancel the context instead of failing the read
		wantErr error
	}{
		{"read error in first part", 3000, false, errBoom},
		{"read error after several parts", 12 << 20, false, errBoom},
		{"context canceled before start", 0, true, context.Canceled},
		{"context canceled mid-stream", 2 << 20, true, context.Canceled},
		{"context canceled after several parts", 12 << 20, true, context.Canceled},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			r := &failingReader{r: NewReader(uint64(400+i), 20<<20), after: tc.after, err: errBoom}
			if tc.cancel {
				r.err, r.hook = nil, cancel
			}
			_, err := b.Store.Put(ctx, r, cas.Digest{})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Put = %v, want %v", err, tc.wantErr)
			}
			assertObjects(t, b, nil, "after a failed Put")
		})
	}
}

func testWalk(t *testing.T, b Backend) {
	walk := func() map[cas.Digest]bool {
		t.Helper()
		seen := map[cas.Digest]bool{}
		err := b.Store.Walk(t.Context(), func(d cas.Digest) error {
			if seen[d] {
				t.Errorf("Walk visits %s twice", d)
			}
			seen[d] = true
			return nil
		})
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		return seen
	}
	if seen := walk(); len(seen) != 0 {
		t.Fatalf("Walk of an empty store visits %d blobs", len(seen))
	}
	want := map[cas.Digest]bool{}
	for i := range 5 {
		want[put(t, b.Store, Data(uint64(500+i), 1000*i), cas.Digest{}).Digest] = true
	}
	seen := walk()
	for d := range want {
		if !seen[d] {
			t.Errorf("Walk misses %s", d)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("Walk visits %d blobs, want %d", len(seen), len(want))
	}
	errStop, calls := errors.New("stop"), 0
	err := b.Store.Walk(t.Context(), func(cas.Digest) error { calls++; return errStop })
	if !errors.Is(err, errStop) || calls != 1 {
		t.Errorf("Walk with a failing callback = %v after %d calls, want errStop after 1", err, calls)
	}
}

// largeSize is the streaming test's blob size; heap growth must stay under
// a quarter of it.
const largeSize = 64 << 20

func testLarge(t *testing.T, b Backend) {
	const seed = 600
	want := sha256.New()
	io.Copy(want, NewReader(seed, largeSize))
	d := cas.FromSHA256([sha256.Size]byte(want.Sum(nil)))

	base := heapBaseline()
	src := newHeapSampler(NewReader(seed, largeSize), 4<<20)
	info, err := b.Store.Put(t.Context(), src, d)
	if err != nil {
		t.Fatalf("Put(64 MiB): %v", err)
	}
	putGrowth := src.peak - min(base, src.peak)
	if info.Digest != d || info.Size != largeSize {
		t.Fatalf("Put = %s, %d bytes; want %s, %d", info.Digest, info.Size, d, largeSize)
	}

	base = heapBaseline()
	rc, err := b.Store.Get(t.Context(), d, 0, -1)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	got := sha256.New()
	dst := newHeapSampler(rc, 4<<20)
	_, err = io.Copy(got, dst)
	rc.Close()
	getGrowth := dst.peak - min(base, dst.peak)
	if err != nil || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Fatalf("Get of 64 MiB: %v or bytes differ", err)
	}
	t.Logf("64 MiB streamed: peak HeapInuse growth %s during Put, %s during Get", mib(putGrowth), mib(getGrowth))
	for what, g := range map[string]uint64{"Put": putGrowth, "Get": getGrowth} {
		if g > largeSize/4 {
			t.Errorf("%s of a %s blob grew the heap by %s, want under %s", what, mib(largeSize), mib(g), mib(largeSize/4))
		}
	}
}

func testScrub(t *testing.T, b Backend) {
	const corrupt, intact = 100, 10
	rng := rand.New(rand.NewPCG(7, 7))
	var all []cas.Digest
	for i := range corrupt + intact + 1 {
		all = append(all, put(t, b.Store, Data(uint64(1000+i), 1+rng.IntN(20_000)), cas.Digest{}).Digest)
	}
	for _, d := range all[:corrupt] {
		b.Corrupt(t, d, rng)
	}
	missing := all[len(all)-1]
	b.Remove(t, missing)
	tests := []struct {
		name    string
		digests []cas.Digest // nil: walk the store
		full    bool
		want    cas.ScrubResult
	}{
		{"catalog, BLAKE3", all, false, cas.ScrubResult{Checked: len(all), Corrupt: corrupt, Missing: 1}},
		{"catalog, sha256 too", all, true, cas.ScrubResult{Checked: len(all), Corrupt: corrupt, Missing: 1}},
		{"walk, BLAKE3", nil, false, cas.ScrubResult{Checked: corrupt + intact, Corrupt: corrupt}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reported := map[cas.Digest]error{}
			opt := cas.ScrubOptions{Full: tc.full, OnProblem: func(d cas.Digest, err error) { reported[d] = err }}
			var seq iter.Seq[cas.Digest]
			if tc.digests != nil {
				seq = slices.Values(tc.digests)
			}
			res, err := cas.Scrub(t.Context(), b.Store, seq, opt)
			if err != nil {
				t.Fatalf("Scrub: %v", err)
			}
			t.Logf("scrub %s: %+v", tc.name, res)
			if res != tc.want {
				t.Fatalf("Scrub = %+v, want %+v", res, tc.want)
			}
			for _, d := range all[:corrupt] {
				if !errors.Is(reported[d], cas.ErrCorrupt) {
					t.Errorf("blob %s reported as %v, want ErrCorrupt", d, reported[d])
				}
			}
			if tc.digests != nil && !errors.Is(reported[missing], cas.ErrNotFound) {
				t.Errorf("missing blob reported as %v, want ErrNotFound", reported[missing])
			}
		})
	}
}
