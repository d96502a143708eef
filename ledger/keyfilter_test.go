package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// TestKeyFilter checks the filter directly: no key it was given is ever
// reported absent, keys outside its prefixes are never reported absent, and
// few unknown keys under them are taken for present.
func TestKeyFilter(t *testing.T) {
	kf := &keyFilter{prefixes: []string{"k/", "other/"}}
	kf.f = newBloom(0)
	added := map[string][]byte{}
	for i := range 20_000 {
		added[fmt.Sprintf("k/%d", i)] = []byte{1}
	}
	kf.add(added)
	for k := range added {
		if kf.absent([]byte(k)) {
			t.Fatalf("added key %q reported absent", k)
		}
	}
	if kf.absent([]byte("unfiltered/1")) || (*keyFilter)(nil).absent([]byte("k/1")) {
		t.Fatal("a key outside the prefixes, or a nil filter, reported a key absent")
	}
	falsePositives := 0
	for i := range 10_000 {
		if !kf.absent(fmt.Appendf(nil, "k/unknown/%d", i)) {
			falsePositives++
		}
	}
	if falsePositives > 300 {
		t.Fatalf("%d of 10000 unknown keys taken for present", falsePositives)
	}
}

// TestFilteredProjections runs a log with a filtered prefix: lookups of
// absent keys under it make no Badger read, every key written is found
// (from the same batch, a later batch, Log.Projection, and after reopening,
// when the filter is rebuilt from the stored keys), and deleted keys read as
// absent.
func TestFilteredProjections(t *testing.T) {
	// test.set sets key/<n> for every n in the body's "set" list and
	// deletes those in "del"; it refuses an entry whose "want" key is
	// absent, so the Appliers' reads are checked too.
	apply := func(tx *Tx, rec *Record) error {
		var b struct {
			Set, Del []int
			Want     *int
		}
		if err := json.Unmarshal(rec.Body, &b); err != nil {
			return err
		}
		if b.Want != nil {
			if _, err := tx.Get(fmt.Appendf(nil, "key/%d", *b.Want)); err != nil {
				return fmt.Errorf("want key/%d: %w", *b.Want, err)
			}
		}
		for _, n := range b.Set {
			tx.Set(fmt.Appendf(nil, "key/%d", n), []byte("v"))
		}
		for _, n := range b.Del {
			tx.Delete(fmt.Appendf(nil, "key/%d", n))
		}
		return nil
	}
	cfg := testConfig(t, t.TempDir())
	cfg.Modules = []Module{{Name: "test", Appliers: map[string]Applier{"test.set": apply}, Filtered: []string{"key/"}}}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	add := func(body string) error {
		_, err := l.Append(ctx, Entry{Type: "test.set", Body: []byte(body)})
		return err
	}
	if err := add(`{"set":[1,2,3]}`); err != nil {
		t.Fatal(err)
	}
	if err := add(`{"want":2,"set":[4],"del":[3]}`); err != nil {
		t.Fatal(err)
	}
	if err := add(`{"want":3}`); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("entry wanting a deleted key: %v", err)
	}
	check := func(l *Log) {
		t.Helper()
		for n, want := range map[int]bool{1: true, 2: true, 3: false, 4: true, 5: false} {
			_, err := l.Projection(fmt.Appendf(nil, "key/%d", n))
			if got := err == nil; got != want || (err != nil && !errors.Is(err, ErrKeyNotFound)) {
				t.Fatalf("key/%d: %v, want present %v", n, err, want)
			}
		}
		before := l.Stats().Reads
		for n := range 1000 {
			if _, err := l.Projection(fmt.Appendf(nil, "key/absent/%d", n)); !errors.Is(err, ErrKeyNotFound) {
				t.Fatal(err)
			}
		}
		if reads := l.Stats().Reads - before; reads > 30 {
			t.Fatalf("1000 lookups of absent keys made %d Badger reads", reads)
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l, err = Open(cfg); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	check(l)
	if err := add(`{"want":4,"set":[6]}`); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Projection([]byte("key/6")); err != nil {
		t.Fatalf("key written after reopening: %v", err)
	}
}
