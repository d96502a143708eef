// Package ledgertest opens real ledgers, on disk in a test's temporary
// directory, for the tests of the packages built on the ledger: one
// checkpoint key per ledger (or a shared one), an injected clock, the
// Appliers under test, and a Close at the end of the test.
package ledgertest

import (
	"crypto/rand"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
)

// Origin is the checkpoint origin of a ledger opened without one.
const Origin = "assay.test/log"

// Clock is an injected clock: each reading is one second after the last,
// starting one second after Start, so that every entry has its own time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Start is when a Clock made by NewClock starts.
var Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// NewClock returns a Clock at Start.
func NewClock() *Clock { return &Clock{t: Start} }

// Now steps the clock by one second and returns the new time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// Advance moves the clock d ahead, as if that much time had passed, for
// tests of what depends on the time (expiry, eligibility).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Options says how to open a ledger. The zero value opens one with origin
// Origin, a new checkpoint key, a new Clock, no modules and a logger that
// discards.
type Options struct {
	Origin  string           // Origin when empty
	Key     string           // note signer key; a new one for Origin when empty
	Now     func() time.Time // a new Clock's Now when nil
	Logger  *slog.Logger     // discards when nil
	Modules []ledger.Module  // ledger.Config.Modules
	// Observer is ledger.Config.Observer.
	Observer ledger.SequencerObserver
}

// Open opens a ledger in dir as o says, closed when t ends, and returns it
// with the verifier key of the checkpoint key Open made ("" when o.Key was
// given: the caller has it).
func Open(t testing.TB, dir string, o Options) (*ledger.Log, string) {
	t.Helper()
	if o.Origin == "" {
		o.Origin = Origin
	}
	if o.Now == nil {
		o.Now = NewClock().Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var vkey string
	if o.Key == "" {
		var err error
		if o.Key, vkey, err = note.GenerateKey(rand.Reader, o.Origin); err != nil {
			t.Fatal(err)
		}
	}
	signer, err := note.NewSigner(o.Key)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(ledger.Config{Dir: dir, Origin: o.Origin, Signer: signer, Now: o.Now, Logger: o.Logger, Modules: o.Modules, Observer: o.Observer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, vkey
}
