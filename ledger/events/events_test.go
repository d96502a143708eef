package events

import (
	"errors"
	"sync"
	"testing"
)

func TestPublishFansOutWithoutBlocking(t *testing.T) {
	b := NewBus(2)
	fast, err := b.Subscribe(4, nil)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := b.Subscribe(1, func(e Event) bool { return e.Tenant == "acme" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(1, nil); !errors.Is(err, ErrTooManySubscribers) {
		t.Fatalf("third subscriber: %v, want ErrTooManySubscribers", err)
	}
	for i, tenant := range []string{"acme", "other", "acme"} {
		b.Publish(Event{Type: "x", Tenant: tenant, Index: uint64(i)})
	}
	if len(fast.Events()) != 3 || fast.Dropped() != 0 {
		t.Fatalf("fast subscriber holds %d, dropped %d; want 3, 0", len(fast.Events()), fast.Dropped())
	}
	if e := <-slow.Events(); e.Index != 0 || slow.Dropped() != 1 || len(slow.Events()) != 0 {
		t.Fatalf("slow subscriber got %+v, dropped %d; want index 0 and one drop (the filtered event is not a drop)", e, slow.Dropped())
	}
	if b.Published() != 3 {
		t.Fatalf("published %d, want 3", b.Published())
	}
	slow.Close()
	slow.Close()
	if _, ok := <-slow.Events(); ok {
		t.Fatal("closed subscription still delivers")
	}
	if _, err := b.Subscribe(1, nil); err != nil {
		t.Fatalf("subscribe after a close: %v", err)
	}
	if _, err := b.Subscribe(0, nil); err == nil {
		t.Fatal("zero buffer accepted")
	}
}

func TestConcurrentPublishAndClose(t *testing.T) {
	b := NewBus(0)
	var wg sync.WaitGroup
	for range 8 {
		s, err := b.Subscribe(2, nil)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Publish(Event{Type: "x"})
			}
		}()
		go func() {
			defer wg.Done()
			s.Close()
		}()
	}
	wg.Wait()
}
