package ledger

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// A Module is one domain of the state machine (catalog, exports, …): the
// entry types it owns with their Appliers, the projection key prefixes whose
// lookups mostly miss, and the errors it returns to callers. Open takes the
// modules in Config.Modules; the server, bundle import, the benchmarks and
// the tests all take them from one registry (package domains), so a new
// domain is one registration.
type Module struct {
	// Name identifies the module in errors, such as "catalog".
	Name string
	// Appliers are the state-machine steps of the module's entry types. An
	// entry type belongs to one module only.
	Appliers map[string]Applier
	// Filtered are projection key prefixes whose point reads (Tx.Get,
	// Log.Projection) mostly miss: an in-memory filter answers most misses
	// without a Badger read. Open scans the keys under them once.
	Filtered []string
	// Errors are the errors the module's services return, most specific
	// first, each with its transport-free kind and stable slug.
	Errors []ErrorSpec
	// Attrs returns the history attributes an entry of one of the module's
	// types names in its body (the objects, packages and runs it touches;
	// see KeyAttrs), which the history index records beside the type,
	// actor and tenant of every entry. It runs on the appending caller's
	// goroutine, before the Applier, so it must not trust the body: an
	// attribute of a body the Applier then refuses is never written. Nil:
	// the module's entries have the log's attributes only.
	Attrs func(typ string, body []byte) []Attr
}

// Kind is the transport-free class of a domain error: what went wrong from
// the caller's point of view. Only the HTTP layer turns kinds into status
// codes; the domains never name a transport.
type Kind int

// The kinds of domain errors.
const (
	// KindInvalid: the input is malformed (a bad parameter, path or body).
	KindInvalid Kind = iota + 1
	// KindUnprocessable: the input is well formed but breaks a rule.
	KindUnprocessable
	// KindConflict: the input conflicts with recorded state.
	KindConflict
	// KindNotFound: what the input names does not exist (for this caller).
	KindNotFound
	// KindTooLarge: the input is over a size limit.
	KindTooLarge
	// KindForbidden: the caller may not act on what the input names.
	KindForbidden
	// KindUnavailable: a backend is down; the caller may retry later.
	KindUnavailable
	// KindRangeNotSatisfiable: a byte range lies outside the content.
	KindRangeNotSatisfiable
	// KindStorageFull: the storage has no room for the write.
	KindStorageFull
	// KindInternal: the server is at fault (a missing blob, a bad trusted
	// key); the message names server internals and is for the log only.
	KindInternal
	// KindGone: what the input names existed and was deleted on purpose
	// (a deleted package's file, a purged deletion).
	KindGone
)

var kindNames = [...]string{"", "invalid", "unprocessable", "conflict", "not found", "too large", "forbidden",
	"unavailable", "range not satisfiable", "storage full", "internal", "gone"}

// String returns the kind's name, such as "not found".
func (k Kind) String() string {
	if k <= 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// ErrorSpec describes one error a module returns: the sentinel that
// errors.Is matches, its kind, a stable slug that names it to clients (the
// HTTP layer makes it a problem type URI), a short fixed title, and
// optionally details drawn from the error value, such as a pointer to the
// entry a conflict is with.
type ErrorSpec struct {
	Err   error
	Kind  Kind
	Slug  string
	Title string // empty: the HTTP layer uses its own title for the kind
	// Details returns extra members describing err (which matches Err), or
	// nil; it may be nil.
	Details func(err error) map[string]any
}

// Lookup returns the first spec in specs whose sentinel err matches.
func Lookup(specs []ErrorSpec, err error) (ErrorSpec, bool) {
	if err == nil {
		return ErrorSpec{}, false
	}
	for _, s := range specs {
		if errors.Is(err, s.Err) {
			return s, true
		}
	}
	return ErrorSpec{}, false
}

// coreErrors are the errors of the log's own reads and appends.
var coreErrors = []ErrorSpec{
	{Err: ErrNotFound, Kind: KindNotFound, Slug: "not-found"},
	{Err: ErrBeyondTree, Kind: KindInvalid, Slug: "beyond-tree"},
	{Err: ErrInvalidRange, Kind: KindInvalid, Slug: "invalid-range"},
	{Err: ErrInvalidEntry, Kind: KindInvalid, Slug: "invalid-entry"},
	{Err: ErrClosed, Kind: KindUnavailable, Slug: "unavailable"},
	{Err: ErrMirror, Kind: KindConflict, Slug: "read-only-mirror"},
}

// coreModule is the log's own module: the policy.applied entry and the
// errors of reads and appends. Open always includes it, after the others.
func coreModule() Module {
	return Module{Name: "ledger", Appliers: map[string]Applier{PolicyType: applyPolicy}, Errors: slices.Clone(coreErrors)}
}

// checkModules refuses modules without a name, with the same name, or that
// claim the same entry type.
func checkModules(mods []Module) error {
	names := map[string]bool{}
	owner := map[string]string{}
	for _, m := range mods {
		if m.Name == "" || names[m.Name] {
			return fmt.Errorf("ledger: module name %q empty or used twice", m.Name)
		}
		names[m.Name] = true
		for _, t := range slices.Sorted(maps.Keys(m.Appliers)) {
			if prev, ok := owner[t]; ok {
				return fmt.Errorf("ledger: entry type %q claimed by modules %q and %q", t, prev, m.Name)
			}
			owner[t] = m.Name
		}
	}
	return nil
}

// Modules returns the modules the log runs, in Config.Modules order, the
// log's own module last.
func (l *Log) Modules() []Module { return slices.Clone(l.mods) }

// Errors returns every module's error specs, in module order: the lookup
// table of the HTTP layer.
func (l *Log) Errors() []ErrorSpec {
	var specs []ErrorSpec
	for _, m := range l.mods {
		specs = append(specs, m.Errors...)
	}
	return specs
}
