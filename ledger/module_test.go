package ledger

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestOpenRefusesClashingModules(t *testing.T) {
	noop := func(*Tx, *Record) error { return nil }
	tests := []struct {
		name string
		mods []Module
		want string // in the error; "" opens
	}{
		{"distinct", []Module{{Name: "a", Appliers: map[string]Applier{"a.x": noop}}, {Name: "b", Appliers: map[string]Applier{"b.x": noop}}}, ""},
		{"unnamed", []Module{{Appliers: map[string]Applier{"a.x": noop}}}, "module name"},
		{"same name", []Module{{Name: "a"}, {Name: "a"}}, "module name"},
		{"same entry type", []Module{{Name: "a", Appliers: map[string]Applier{"x": noop}}, {Name: "b", Appliers: map[string]Applier{"x": noop}}}, `"x" claimed`},
		{"the log's own type", []Module{{Name: "a", Appliers: map[string]Applier{PolicyType: noop}}}, "claimed"},
		{"the log's own name", []Module{{Name: "ledger"}}, "module name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, t.TempDir())
			cfg.Modules = tt.mods
			l, err := Open(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := len(l.Modules()); got != len(tt.mods)+1 {
					t.Errorf("%d modules, want %d and the log's own", got, len(tt.mods))
				}
				l.Close()
				return
			}
			if err == nil {
				l.Close()
				t.Fatalf("Open succeeded, want an error with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	specs := []ErrorSpec{{Err: errA, Kind: KindConflict, Slug: "a"}, {Err: errB, Kind: KindNotFound, Slug: "b"}}
	tests := []struct {
		err  error
		slug string
	}{
		{errA, "a"},
		{fmt.Errorf("wrapped: %w", errB), "b"},
		{fmt.Errorf("%w and %w", errB, errA), "a"}, // the first spec that matches
		{errors.New("other"), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		s, ok := Lookup(specs, tt.err)
		if s.Slug != tt.slug || ok != (tt.slug != "") {
			t.Errorf("Lookup(%v) = %q, %v; want %q", tt.err, s.Slug, ok, tt.slug)
		}
	}
}

// TestLogErrors checks that a log's error table lists its modules' errors
// before its own, so a domain's sentinel wins over a core one it wraps.
func TestLogErrors(t *testing.T) {
	errDomain := errors.New("domain not found")
	cfg := testConfig(t, t.TempDir())
	cfg.Modules = []Module{{Name: "d", Errors: []ErrorSpec{{Err: errDomain, Kind: KindNotFound, Slug: "d-not-found"}}}}
	l, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	both := fmt.Errorf("%w: %w", errDomain, ErrNotFound)
	if s, _ := Lookup(l.Errors(), both); s.Slug != "d-not-found" {
		t.Fatalf("slug %q, want d-not-found", s.Slug)
	}
	if s, _ := Lookup(l.Errors(), ErrMirror); s.Slug != "read-only-mirror" || s.Kind != KindConflict {
		t.Fatalf("ErrMirror: %+v", s)
	}
}

func TestKindString(t *testing.T) {
	if KindNotFound.String() != "not found" || Kind(0).String() != "Kind(0)" || Kind(99).String() != "Kind(99)" {
		t.Fatal("Kind.String")
	}
}
