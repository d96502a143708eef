package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/assay-ledger/assay/internal/durable"
)

// TokenUsedFile is the name of the sidecar file, beside the token file, in
// which the server keeps when each token was last accepted. It is separate
// from the token file so that recording a use never rewrites the token file
// (nor races with `assay token create` or `revoke`).
const TokenUsedFile = "tokens-used.json"

// TokenUsedFlush is how often a server writes the last-used times it
// recorded to TokenUsedFile, when any moved: the times on disk lag by at
// most this much, and a busy server writes that file at most this often.
const TokenUsedFlush = 10 * time.Second

// usedResolution is the step of the in-memory last-used clocks: a lookup
// stores a new time only when the token's last one is this much older, so
// that lookups of a busy token mostly only read the clock.
const usedResolution = time.Second

// usedClock is the last time one token was accepted, in Unix nanoseconds
// (zero: not since the server started).
type usedClock struct{ nanos atomic.Int64 }

// advance moves the clock to now if now is at least usedResolution past
// it, and reports whether it did. It never moves the clock back.
func (c *usedClock) advance(now time.Time) bool {
	n := now.UnixNano()
	for {
		last := c.nanos.Load()
		if n-last < int64(usedResolution) {
			return false
		}
		if c.nanos.CompareAndSwap(last, n) {
			return true
		}
	}
}

// time returns the clock's reading; the zero time when it was never set.
func (c *usedClock) time() time.Time {
	if n := c.nanos.Load(); n != 0 {
		return time.Unix(0, n).UTC()
	}
	return time.Time{}
}

// lastUsed holds the last-used clock of every token name a Tokens has
// loaded. Clocks are kept by name across reloads of the token file.
type lastUsed struct {
	mu     sync.Mutex // guards clocks
	clocks map[string]*usedClock
	dirty  atomic.Bool // a clock moved since the last flush
	flush  sync.Mutex  // serializes flushes
}

// clock returns name's clock, making it on first use.
func (u *lastUsed) clock(name string) *usedClock {
	u.mu.Lock()
	defer u.mu.Unlock()
	c, ok := u.clocks[name]
	if !ok {
		if u.clocks == nil {
			u.clocks = make(map[string]*usedClock)
		}
		c = new(usedClock)
		u.clocks[name] = c
	}
	return c
}

// times returns the set readings of every clock, by name.
func (u *lastUsed) times() map[string]time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	m := make(map[string]time.Time, len(u.clocks))
	for name, c := range u.clocks {
		if t := c.time(); !t.IsZero() {
			m[name] = t
		}
	}
	return m
}

// usedFile is the sidecar's format.
type usedFile struct {
	LastUsed map[string]time.Time `json:"last_used"`
}

// tokenUsedPath is the sidecar of the token file at path.
func tokenUsedPath(tokenPath string) string {
	return filepath.Join(filepath.Dir(tokenPath), TokenUsedFile)
}

// ReadTokenUsed returns the last-used times recorded in the sidecar of the
// token file at tokenPath (TokenUsedFile in the same directory), by token
// name; none when there is no sidecar yet.
func ReadTokenUsed(tokenPath string) (map[string]time.Time, error) {
	path := tokenUsedPath(tokenPath)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]time.Time{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read last-used file: %w", err)
	}
	if len(b) > maxTokenFile {
		return nil, fmt.Errorf("last-used file %s is %d bytes, limit %d", path, len(b), maxTokenFile)
	}
	var f usedFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("last-used file %s: %w", path, err)
	}
	if f.LastUsed == nil {
		f.LastUsed = map[string]time.Time{}
	}
	return f.LastUsed, nil
}

// FlushUsed writes the last-used times recorded in memory to the sidecar
// file, merged with the times already there (the later of the two wins, so
// times from earlier runs survive), if any moved since the last flush. It
// is cheap when nothing moved. After a failure the next call tries again.
func (t *Tokens) FlushUsed() error {
	t.used.flush.Lock()
	defer t.used.flush.Unlock()
	if !t.used.dirty.Swap(false) {
		return nil
	}
	if err := t.writeUsed(); err != nil {
		t.used.dirty.Store(true)
		return err
	}
	return nil
}

// writeUsed merges the in-memory times into the sidecar file.
func (t *Tokens) writeUsed() error {
	merged, err := ReadTokenUsed(t.path)
	if err != nil {
		return err
	}
	for name, at := range t.used.times() {
		if at.After(merged[name]) {
			merged[name] = at
		}
	}
	b, err := json.MarshalIndent(usedFile{LastUsed: merged}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode last-used file: %w", err)
	}
	if err := durable.WriteFile(tokenUsedPath(t.path), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write last-used file: %w", err)
	}
	return nil
}

// FlushUsedEvery calls FlushUsed every interval in a goroutine, passing its
// errors to onErr, until stop is called. stop ends the goroutine, flushes a
// last time (call it after the HTTP server has shut down, so the last
// requests count) and returns that flush's error; later calls return the
// same.
func (t *Tokens) FlushUsedEvery(interval time.Duration, onErr func(error)) (stop func() error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if err := t.FlushUsed(); err != nil {
					onErr(err)
				}
			}
		}
	})
	return sync.OnceValue(func() error {
		close(done)
		wg.Wait()
		return t.FlushUsed()
	})
}
