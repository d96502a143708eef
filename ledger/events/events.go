// Package events is Assay's in-process event bus: the ledger's features
// publish what they accepted (for example orchestrator.export.created) and
// subscribers, such as a future live stream, receive it.
//
// # Delivery
//
// Publishing never blocks and never fails: each subscriber has its own
// bounded buffer, and an event that does not fit is dropped for that
// subscriber alone and counted (see Subscription.Dropped), so a slow
// consumer can neither stall the append path nor starve the others. Events
// are published only after the ledger entry they describe is durable, so a
// subscriber that misses some can always catch up from the log.
package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Event is one published fact. Data is the event's payload as JSON; Index
// is the ledger entry that recorded it.
type Event struct {
	Type   string          `json:"type"`
	Tenant string          `json:"tenant"`
	Index  uint64          `json:"index"`
	Time   time.Time       `json:"time"`
	Data   json.RawMessage `json:"data"`
}

// Defaults and bounds of a Bus.
const (
	// DefaultMaxSubscribers bounds the subscribers of a Bus made with
	// NewBus(0).
	DefaultMaxSubscribers = 256
	// MaxBuffer bounds the buffer one subscriber may ask for.
	MaxBuffer = 1 << 16
)

// ErrTooManySubscribers is returned by Subscribe when the bus is full.
var ErrTooManySubscribers = errors.New("events: too many subscribers")

// Bus fans events out to subscribers. It is safe for concurrent use.
type Bus struct {
	mu        sync.RWMutex
	subs      map[*Subscription]struct{}
	max       int
	published atomic.Uint64
}

// NewBus returns a bus that accepts at most maxSubscribers subscribers
// (DefaultMaxSubscribers when maxSubscribers <= 0).
func NewBus(maxSubscribers int) *Bus {
	if maxSubscribers <= 0 {
		maxSubscribers = DefaultMaxSubscribers
	}
	return &Bus{subs: map[*Subscription]struct{}{}, max: maxSubscribers}
}

// Publish offers e to every subscriber without blocking and returns how many
// took it; the others had full buffers and count a drop.
func (b *Bus) Publish(e Event) int {
	b.published.Add(1)
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := 0
	for s := range b.subs {
		if s.filter != nil && !s.filter(e) {
			continue
		}
		select {
		case s.c <- e:
			n++
		default:
			s.dropped.Add(1)
		}
	}
	return n
}

// Published returns the number of events published so far.
func (b *Bus) Published() uint64 { return b.published.Load() }

// Subscribe registers a subscriber with a buffer of the given size (1 to
// MaxBuffer) that receives the events for which filter returns true (all
// events when filter is nil). The filter runs on the publisher's goroutine
// and must be fast and must not block.
func (b *Bus) Subscribe(buffer int, filter func(Event) bool) (*Subscription, error) {
	if buffer < 1 || buffer > MaxBuffer {
		return nil, fmt.Errorf("events: buffer %d, want 1 to %d", buffer, MaxBuffer)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subs) >= b.max {
		return nil, fmt.Errorf("%w: limit %d", ErrTooManySubscribers, b.max)
	}
	s := &Subscription{bus: b, c: make(chan Event, buffer), filter: filter}
	b.subs[s] = struct{}{}
	return s, nil
}

// Subscription is one subscriber's view of a Bus.
type Subscription struct {
	bus     *Bus
	c       chan Event
	filter  func(Event) bool
	dropped atomic.Uint64
	once    sync.Once
}

// Events returns the channel events arrive on; it is closed by Close.
func (s *Subscription) Events() <-chan Event { return s.c }

// Dropped returns how many events this subscriber missed because its buffer
// was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close unsubscribes and closes the Events channel. It is idempotent.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		close(s.c)
		s.bus.mu.Unlock()
	})
}
