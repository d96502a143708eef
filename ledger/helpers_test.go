package ledger

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

const testOrigin = "assay.test/log"

// stepClock is an injected clock that moves one millisecond per reading.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock {
	return &stepClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

type testKeys struct{ skey, vkey string }

func newKeys(t testing.TB) testKeys {
	skey, vkey, err := note.GenerateKey(rand.Reader, "assay-test")
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{skey, vkey}
}

func newSigner(k testKeys) (note.Signer, error) { return note.NewSigner(k.skey) }

// testConfig returns the Config tests open a log in dir with: a new
// checkpoint key, the test origin, a step clock and a discarding logger.
func testConfig(t testing.TB, dir string) Config {
	t.Helper()
	s, err := newSigner(newKeys(t))
	if err != nil {
		t.Fatal(err)
	}
	return Config{Dir: dir, Origin: testOrigin, Signer: s, Now: newStepClock().Now, Logger: discardLogger()}
}

func openLog(t testing.TB, dir string, k testKeys, appliers map[string]Applier) *Log {
	t.Helper()
	s, err := newSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Open(Config{Dir: dir, Origin: testOrigin, Signer: s, Now: newStepClock().Now, Modules: []Module{{Name: "test", Appliers: appliers}}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func newTestLog(t testing.TB) (*Log, testKeys) {
	k := newKeys(t)
	l := openLog(t, t.TempDir(), k, nil)
	t.Cleanup(func() { l.Close() })
	return l, k
}

// fill appends n entries with the given concurrency and returns when all are
// durable.
func fill(t testing.TB, l *Log, n, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body, _ := json.Marshal(map[string]any{"n": i})
				if _, err := l.Append(context.Background(), Entry{Type: "test.entry", Actor: "tester", Body: body}); err != nil {
					errs <- fmt.Errorf("append %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
