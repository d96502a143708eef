package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// histBody is the body of the history test's entries.
type histBody struct {
	Zone    string `json:"zone,omitempty"`
	Key     string `json:"key,omitempty"`
	Package string `json:"package,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// histModule indexes its bodies' object and package, as the catalog does.
func histModule() Module {
	accept := func(*Tx, *Record) error { return nil }
	return Module{Name: "hist", Appliers: map[string]Applier{
		"object.put": accept, "object.read": accept, "package.created": accept, "retention.extended": accept,
		"refused.entry": func(*Tx, *Record) error { return fmt.Errorf("refused") },
	}, Attrs: func(_ string, body []byte) []Attr {
		var b histBody
		if json.Unmarshal(body, &b) != nil {
			return nil
		}
		var out []Attr
		if b.Key != "" {
			out = KeyAttrs(b.Zone, b.Key)
		}
		if b.Package != "" {
			out = append(out, Attr{AttrPackage, b.Package})
		}
		return out
	}}
}

// histEntry is what the brute-force model knows of one entry.
type histEntry struct {
	index              uint64
	typ, actor, tenant string
	zone, key, pkg     string
	digest             string // hex
	time               time.Time
}

// matches is the brute-force answer to q for e.
func (e histEntry) matches(q HistoryQuery) bool {
	if len(q.Types) > 0 && !slices.ContainsFunc(q.Types, func(t string) bool {
		family, ok := strings.CutSuffix(t, ".*")
		return ok && strings.HasPrefix(e.typ, family+".") || t == e.typ
	}) {
		return false
	}
	if q.KeyPrefix != "" && (e.key == "" || !strings.HasPrefix(e.zone+"/"+e.key, q.KeyPrefix)) {
		return false
	}
	for _, g := range q.AnyOf {
		if !slices.ContainsFunc(g, e.has) {
			return false
		}
	}
	for _, a := range q.Where {
		if !e.has(a) {
			return false
		}
	}
	return (q.Since.IsZero() || !e.time.Before(q.Since)) && (q.Until.IsZero() || !e.time.After(q.Until))
}

// has is the brute-force test of one attribute.
func (e histEntry) has(a Attr) bool {
	{
		var ok bool
		switch a.Name {
		case AttrActor:
			ok = e.actor == a.Value
		case AttrTenant:
			ok = e.tenant == a.Value
		case AttrZone:
			ok = e.key != "" && e.zone == a.Value
		case AttrKey:
			ok = e.key != "" && e.zone+"/"+e.key == a.Value
		case AttrDir:
			ok = e.key != "" && strings.HasPrefix(e.zone+"/"+e.key, a.Value)
		case AttrPackage:
			ok = e.pkg == a.Value
		case AttrDigest:
			ok = e.digest == a.Value
		}
		return ok
	}
}

// envInt is the integer environment variable name, or def when unset.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// TestHistoryMatchesBruteForce appends 100,000 mixed entries (or
// ASSAY_HISTORY_ENTRIES) and
// checks, for many random queries paged through to the end in both
// directions, that History returns exactly the entries a scan of the log
// selects, in order.
func TestHistoryMatchesBruteForce(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Modules = []Module{histModule()}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	types := []string{"object.put", "object.read", "package.created", "retention.extended"}
	actors := []string{"ci", "alice", "bob"}
	tenants := []string{"acme", "evil", ""}
	dirs := []string{"builds/", "builds/2026/", "logs/", ""}
	n := envInt(t, "ASSAY_HISTORY_ENTRIES", 100_000)
	bodies := make([]Entry, n)
	for i := range bodies {
		typ := types[rng.IntN(len(types))]
		b := histBody{}
		switch typ {
		case "object.put", "object.read":
			b.Zone, b.Key = []string{"raw", "golden"}[rng.IntN(2)], dirs[rng.IntN(len(dirs))]+fmt.Sprintf("f%d.txt", rng.IntN(40))
		default:
			b.Package = fmt.Sprintf("pkg_%d", rng.IntN(30))
		}
		if rng.IntN(3) == 0 {
			b.Digest = fmt.Sprintf("sha256:%064x", rng.IntN(20))
		}
		body, _ := json.Marshal(b)
		bodies[i] = Entry{Type: typ, Actor: actors[rng.IntN(len(actors))], Tenant: tenants[rng.IntN(len(tenants))], Body: body}
	}
	appendAll(t, l, bodies, 16)
	// A refused entry leaves no index key behind.
	if _, err := l.Append(t.Context(), Entry{Type: "refused.entry", Actor: "ci", Body: []byte(`{"zone":"raw","key":"ghost"}`)}); err == nil {
		t.Fatal("the refused entry was accepted")
	}
	size, _ := l.Head()
	raw, err := l.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	model := make([]histEntry, len(raw))
	for i, data := range raw {
		rec, err := ParseRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		var b histBody
		if err := json.Unmarshal(rec.Body, &b); err != nil {
			t.Fatal(err)
		}
		model[i] = histEntry{rec.Index, rec.Type, rec.Actor, rec.Tenant, b.Zone, b.Key, b.Package, strings.TrimPrefix(b.Digest, "sha256:"), rec.Time}
	}
	at := func(i int) time.Time { return model[i].time }
	queries := []HistoryQuery{
		{},
		{Types: []string{"object.put"}},
		{Types: []string{"object.*"}},
		{Types: []string{"object.read", "package.*"}},
		{Types: []string{"object.*", "object.put"}},
		{Types: []string{"nothing.*"}},
		{Where: []Attr{{AttrActor, "alice"}}},
		{Where: []Attr{{AttrTenant, ""}}},
		{Where: []Attr{{AttrTenant, "acme"}, {AttrActor, "bob"}}, Types: []string{"object.*"}},
		{Where: []Attr{{AttrKey, "raw/builds/f3.txt"}}},
		{Where: []Attr{{AttrKey, "raw/ghost"}}},
		{Where: []Attr{{AttrDir, "golden/builds/"}}},
		{Where: []Attr{{AttrDir, "golden/builds/2026/"}, {AttrTenant, "evil"}}},
		{Where: []Attr{{AttrZone, "raw"}}, Types: []string{"object.read"}},
		{Where: []Attr{{AttrPackage, "pkg_7"}}},
		{Where: []Attr{{AttrPackage, "pkg_7"}}, Since: at(1000), Until: at(2000)},
		{Since: at(2500)},
		{Until: at(10)},
		{Types: []string{"retention.*"}, Since: at(100), Until: at(200)},
		{Where: []Attr{{AttrDigest, fmt.Sprintf("%064x", 3)}}},
		{Where: []Attr{{AttrDigest, fmt.Sprintf("%064x", 3)}, {AttrTenant, "acme"}}, Types: []string{"object.*"}},
		{AnyOf: [][]Attr{{{AttrTenant, ""}, {AttrTenant, "acme"}}}},
		{AnyOf: [][]Attr{{{AttrTenant, ""}, {AttrTenant, "acme"}}, {{AttrDigest, fmt.Sprintf("%064x", 5)}, {AttrPackage, "pkg_3"}}}},
		{AnyOf: [][]Attr{{}}},
		{KeyPrefix: "raw/builds/f1"},
		{KeyPrefix: "raw/builds/"},
		{KeyPrefix: "golden/f"},
		{KeyPrefix: "golden/builds/2026/f2", Types: []string{"object.read"}},
		{KeyPrefix: "raw/", AnyOf: [][]Attr{{{AttrTenant, "evil"}}}},
	}
	for qi, q := range queries {
		for _, desc := range []bool{false, true} {
			var want []uint64
			for _, e := range model {
				if e.matches(q) {
					want = append(want, e.index)
				}
			}
			if desc {
				slices.Reverse(want)
			}
			for _, limit := range []int{1, 7, 1000} {
				if len(want)/limit > 200 {
					continue // pages enough at a larger limit
				}
				q.Desc, q.Limit = desc, limit
				var got []uint64
				q.After = nil
				for page := 0; ; page++ {
					recs, next, err := l.History(t.Context(), q)
					if err != nil {
						t.Fatalf("query %d %+v: %v", qi, q, err)
					}
					if len(recs) > limit || next != nil && len(recs) != limit {
						t.Fatalf("query %d page %d: %d records, next %v, limit %d", qi, page, len(recs), next, limit)
					}
					for _, r := range recs {
						got = append(got, r.Index)
					}
					if next == nil {
						break
					}
					q.After = next
				}
				if !slices.Equal(got, want) {
					t.Fatalf("query %d (desc %v, limit %d): %d entries %v…, want %d %v…", qi, desc, limit, len(got), first8(got), len(want), first8(want))
				}
			}
		}
	}
}

func first8(s []uint64) []uint64 { return s[:min(len(s), 8)] }

// TestHistoryReadsWhatItReturns checks that a selective query costs reads
// in proportion to its result, not to the log.
func TestHistoryReadsWhatItReturns(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Modules = []Module{histModule()}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var entries []Entry
	for i := range 2000 {
		key := fmt.Sprintf("bulk/f%d", i)
		if i%100 == 0 {
			key = "rare/needle"
		}
		b := histBody{Zone: "raw", Key: key, Package: fmt.Sprintf("pkg_%d", i%50)}
		if i%100 == 50 {
			b.Digest = "sha256:" + strings.Repeat("ab", 32)
		}
		body, _ := json.Marshal(b)
		entries = append(entries, Entry{Type: "object.put", Actor: "ci", Tenant: "acme", Body: body})
	}
	appendAll(t, l, entries, 16)
	before := l.Stats().Reads
	recs, next, err := l.History(t.Context(), HistoryQuery{Where: []Attr{{AttrKey, "raw/rare/needle"}, {AttrTenant, "acme"}}, Limit: 100})
	if err != nil || next != nil || len(recs) != 20 {
		t.Fatalf("needle: %d records, next %v, %v", len(recs), next, err)
	}
	// Per match: the tenant check and the entry; the scan itself is one
	// iterator, not point reads.
	if reads := l.Stats().Reads - before; reads > 2*20+4 {
		t.Fatalf("a 20-entry answer took %d reads over a 2000-entry log", reads)
	}
	// An artifact's timeline: its digest or a package holding it (pkg_7
	// has 40 entries, the digest 20, none in common), for a reader of
	// acme and the system. Per match: at most two tenant checks and the
	// entry.
	before = l.Stats().Reads
	recs, next, err = l.History(t.Context(), HistoryQuery{AnyOf: [][]Attr{
		{{AttrTenant, "acme"}, {AttrTenant, ""}},
		{{AttrDigest, strings.Repeat("ab", 32)}, {AttrPackage, "pkg_7"}},
	}, Limit: 1000})
	if err != nil || next != nil || len(recs) != 60 {
		t.Fatalf("timeline: %d records, next %v, %v", len(recs), next, err)
	}
	if reads := l.Stats().Reads - before; reads > 3*60+4 {
		t.Fatalf("a 60-entry timeline took %d reads over a 2000-entry log", reads)
	}
}

func TestHistoryBadQuery(t *testing.T) {
	l, _ := newTestLog(t)
	for _, q := range []HistoryQuery{
		{Limit: 0},
		{Limit: MaxHistoryLimit + 1},
		{Limit: 1, Types: []string{"Not A Type"}},
		{Limit: 1, Types: []string{".*"}},
		{Limit: 1, KeyPrefix: "nozone"},
		{Limit: 1, KeyPrefix: "/key"},
		{Limit: 1, Where: []Attr{{AttrKey, "a\x00b"}}},
		{Limit: 1, Where: []Attr{{AttrKey, strings.Repeat("k", maxAttrValue+1)}}},
	} {
		if _, _, err := l.History(t.Context(), q); err == nil {
			t.Errorf("query %+v was accepted", q)
		}
	}
}

func TestKeyAttrs(t *testing.T) {
	got := KeyAttrs("raw", "a/b/c.txt")
	want := []Attr{{AttrZone, "raw"}, {AttrKey, "raw/a/b/c.txt"}, {AttrDir, "raw/a/"}, {AttrDir, "raw/a/b/"}}
	if !slices.Equal(got, want) {
		t.Fatalf("KeyAttrs = %v, want %v", got, want)
	}
	deep := strings.Repeat("d/", 20) + "f"
	if n := len(KeyAttrs("raw", deep)); n != 2+maxDirDepth {
		t.Fatalf("a key 20 directories deep has %d attributes, want %d", n, 2+maxDirDepth)
	}
}

// appendAll appends entries with the given concurrency.
func appendAll(t *testing.T, l *Log, entries []Entry, workers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(entries))
	next := make(chan Entry, len(entries))
	for _, e := range entries {
		next <- e
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range next {
				if _, err := l.Append(context.Background(), e); err != nil {
					errs <- err
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

// TestGrown checks that Grown fires once the log holds more entries than
// asked, and not before.
func TestGrown(t *testing.T) {
	l, _ := newTestLog(t)
	size, _ := l.Head()
	c := l.Grown(size)
	select {
	case <-c:
		t.Fatal("Grown fired before an append")
	default:
	}
	if _, err := l.Append(t.Context(), Entry{Type: "test.entry", Actor: "t", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	<-c // a missed wake-up hangs here, and the test times out
	select {
	case <-l.Grown(size):
	default:
		t.Fatal("Grown of a smaller size than the log is not closed")
	}
	select {
	case <-l.Grown(size + 1):
		t.Fatal("Grown of the current size is closed")
	default:
	}
}
