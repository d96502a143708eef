package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// Every entry is indexed by its history attributes, so that a query for
// the entries of one actor, one object or one package reads the keys of
// what it returns, not the log. The log adds the attributes every entry
// has (type, type family, actor, tenant); a module adds those its entry
// bodies name (Module.Attrs: zone, key, key directories, package, run).
// The keys are written in the entry's own transaction by the code that
// appends and imports, so replay rebuilds them exactly:
//
//	p hist/<name>\x00<value>\x00<index:8>   (empty value)
const historyPrefix = "hist/"

// Names of history attributes.
const (
	AttrType    = "type"    // the entry type, such as promotion.verified
	AttrFamily  = "family"  // the type up to its first dot, such as promotion
	AttrActor   = "actor"   // who appended it
	AttrTenant  = "tenant"  // whose it is ("" for the system's)
	AttrZone    = "zone"    // a zone of the object it touches
	AttrKey     = "key"     // an object it touches, as zone/key
	AttrDir     = "dir"     // a directory of such an object, as zone/a/b/
	AttrPackage = "package" // a package it touches
	AttrRun     = "run"     // the producer's run it belongs to
	// AttrDigest is a content digest the entry names, as lower-case hex
	// without "sha256:". Its keys are the digest index's (digests.go),
	// which every entry has, so a module never adds it.
	AttrDigest = "digest"
)

// maxDirDepth bounds the directory attributes one key adds: a key prefix
// deeper than this is answered from its deepest indexed directory.
const maxDirDepth = 8

// maxAttrValue bounds an attribute value; a longer one is not indexed.
const maxAttrValue = 1024

// Attr is one history attribute of an entry: the entry is found by a query
// that asks for Name = Value.
type Attr struct{ Name, Value string }

// KeyAttrs returns the attributes of an entry that touches object key of
// zone: the zone, the key and each directory above the key (up to
// maxDirDepth), so that a key-prefix query ending at a directory reads only
// what it returns.
func KeyAttrs(zone, key string) []Attr {
	out := []Attr{{AttrZone, zone}, {AttrKey, zone + "/" + key}}
	for i, depth := 0, 0; depth < maxDirDepth; depth++ {
		j := strings.IndexByte(key[i:], '/')
		if j < 0 {
			break
		}
		i += j + 1
		out = append(out, Attr{AttrDir, zone + "/" + key[:i]})
	}
	return out
}

// historyKey is the index key of attribute a of the entry at index.
func historyKey(a Attr, index uint64) []byte {
	return binary.BigEndian.AppendUint64(historyAttrPrefix(a), index)
}

// historyAttrPrefix is the prefix of every index key of attribute a.
func historyAttrPrefix(a Attr) []byte {
	if a.Name == AttrDigest {
		return []byte(digestPrefix + a.Value + "/")
	}
	b := make([]byte, 0, len(historyPrefix)+len(a.Name)+len(a.Value)+2+8)
	b = append(b, historyPrefix...)
	b = append(b, a.Name...)
	b = append(b, 0)
	b = append(b, a.Value...)
	return append(b, 0)
}

// indexable reports whether a can be an index key: no NUL (the separator)
// and not over maxAttrValue.
func indexable(a Attr) bool {
	return a.Name != "" && len(a.Value) <= maxAttrValue && !strings.ContainsRune(a.Name, 0) && !strings.ContainsRune(a.Value, 0)
}

// coreAttrs are the attributes of every entry.
func coreAttrs(rec *Record) [4]Attr {
	family, _, _ := strings.Cut(rec.Type, ".")
	return [4]Attr{{AttrType, rec.Type}, {AttrFamily, family}, {AttrActor, rec.Actor}, {AttrTenant, rec.Tenant}}
}

// entryAttrs returns the module attributes of an entry of type typ with
// body, without duplicates: what its module's Attrs says, if anything.
func (l *Log) entryAttrs(typ string, body []byte) []Attr {
	fn := l.attrs[typ]
	if fn == nil {
		return nil
	}
	var out []Attr
	for _, a := range fn(typ, body) {
		if indexable(a) && a.Name != AttrDigest && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// indexHistory stages the history index keys of an accepted record.
func (st *staged) indexHistory(rec *Record, attrs []Attr) {
	for _, a := range coreAttrs(rec) {
		if indexable(a) {
			st.set(projKey(historyKey(a, rec.Index)), nil)
		}
	}
	for _, a := range attrs {
		st.set(projKey(historyKey(a, rec.Index)), nil)
	}
}

// MaxHistoryLimit bounds the entries one History call returns.
const MaxHistoryLimit = 1000

// HistoryQuery selects entries of the log. Every condition must hold.
type HistoryQuery struct {
	// Types are entry types, each exact ("promotion.verified") or a family
	// ("promotion.*"); an entry of any of them matches. None: any type.
	Types []string
	// Where are attributes the entry must all have.
	Where []Attr
	// AnyOf are groups of attributes: the entry must have at least one of
	// each group (an empty group matches nothing). A reader who may see
	// two tenants' entries, or a timeline of an artifact and the packages
	// that hold it, is one group.
	AnyOf [][]Attr
	// KeyPrefix, as zone/prefix, selects entries that touch an object
	// whose zone/key starts with it. It is answered from the index of its
	// deepest directory (or of its zone) and the keys each candidate's
	// module attributes name.
	KeyPrefix string
	// Since and Until bound the entry's time, inclusive; zero is open.
	Since, Until time.Time
	// After is the cursor: the last index of the previous page. Ascending,
	// the page starts after it; descending, before it.
	After *uint64
	// Desc returns the newest entries first.
	Desc bool
	// Limit is the most entries returned, 1 to MaxHistoryLimit.
	Limit int
}

// familyPattern is the first part of an entry type.
var familyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// typeAttr is the attribute a Types element selects by.
func typeAttr(t string) (Attr, error) {
	if family, ok := strings.CutSuffix(t, ".*"); ok {
		if !familyPattern.MatchString(family) {
			return Attr{}, fmt.Errorf("%w: type %q: want a type or FAMILY.*", ErrInvalidRange, t)
		}
		return Attr{AttrFamily, family}, nil
	}
	if !typePattern.MatchString(t) {
		return Attr{}, fmt.Errorf("%w: type %q: want a type or FAMILY.*", ErrInvalidRange, t)
	}
	return Attr{AttrType, t}, nil
}

// prefixAttr is the attribute whose index holds every entry touching a
// key under prefix (zone/...): the deepest indexed directory of the
// prefix, or its zone.
func prefixAttr(prefix string) (Attr, error) {
	zone, rest, ok := strings.Cut(prefix, "/")
	if !ok || zone == "" {
		return Attr{}, fmt.Errorf("%w: key prefix %q: want zone/prefix", ErrInvalidRange, prefix)
	}
	dir := ""
	for depth := 0; depth < maxDirDepth; depth++ {
		j := strings.IndexByte(rest[len(dir):], '/')
		if j < 0 {
			break
		}
		dir = rest[:len(dir)+j+1]
	}
	if dir == "" {
		return Attr{AttrZone, zone}, nil
	}
	return Attr{AttrDir, zone + "/" + dir}, nil
}

// drivePriority orders attribute names from the most selective: a query
// reads the index of its most selective attribute and checks the others
// by point reads.
var drivePriority = []string{AttrKey, AttrDigest, AttrRun, AttrPackage, AttrDir, AttrActor, AttrType, AttrZone, AttrFamily, AttrTenant}

// History returns the records the query selects, in log order (newest
// first with Desc), and the cursor of the next page (nil on the last). It
// reads the index keys of its most selective attribute (or group of
// attributes), checks the other attributes with one point read each, and
// reads only the entries that match them; a query bounded by time alone
// reads the entries in its direction until it has a page.
func (l *Log) History(ctx context.Context, q HistoryQuery) ([]*Record, *uint64, error) {
	if q.Limit < 1 || q.Limit > MaxHistoryLimit {
		return nil, nil, fmt.Errorf("%w: limit %d: want 1 to %d", ErrInvalidRange, q.Limit, MaxHistoryLimit)
	}
	where := slices.Clone(q.Where)
	groups := slices.Clone(q.AnyOf)
	if len(q.Types) > 0 {
		var types []Attr
		for _, t := range q.Types {
			a, err := typeAttr(t)
			if err != nil {
				return nil, nil, err
			}
			types = append(types, a)
		}
		groups = append(groups, types)
	}
	if q.KeyPrefix != "" {
		a, err := prefixAttr(q.KeyPrefix)
		if err != nil {
			return nil, nil, err
		}
		where = append(where, a)
	}
	for _, a := range slices.Concat(append([][]Attr{where}, groups...)...) {
		if !indexable(a) {
			return nil, nil, fmt.Errorf("%w: attribute %q is not indexed", ErrInvalidRange, a.Name)
		}
	}
	size, _ := l.Head()
	// The drive: the most selective Where attribute, else the group whose
	// least selective attribute is the most selective, else every index.
	var drive []Attr
	slices.SortStableFunc(where, func(a, b Attr) int { return rank(a.Name) - rank(b.Name) })
	slices.SortStableFunc(groups, func(a, b []Attr) int { return groupRank(a) - groupRank(b) })
	switch {
	case len(where) > 0:
		drive, where = where[:1], where[1:]
	case len(groups) > 0:
		drive, groups = groups[0], groups[1:]
		if len(drive) == 0 {
			return nil, nil, nil
		}
	}
	src := newMerge(l, drive, q.Desc, q.After, size)
	var out []*Record
	for {
		i, ok, err := src.next(ctx)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return out, nil, nil
		}
		match, err := l.hasAll(i, where, groups)
		if err != nil {
			return nil, nil, err
		}
		if !match {
			continue
		}
		data, err := l.Entry(i)
		if err != nil {
			return nil, nil, err
		}
		rec, err := ParseRecord(data)
		if err != nil {
			return nil, nil, fmt.Errorf("entry %d: %w", i, err)
		}
		if !q.Since.IsZero() && rec.Time.Before(q.Since) || !q.Until.IsZero() && rec.Time.After(q.Until) {
			continue
		}
		if q.KeyPrefix != "" && !l.touchesPrefix(rec, q.KeyPrefix) {
			continue
		}
		if len(out) == q.Limit {
			last := out[len(out)-1].Index
			return out, &last, nil
		}
		out = append(out, rec)
	}
}

// touchesPrefix reports whether rec names an object whose zone/key starts
// with prefix, by its module attributes.
func (l *Log) touchesPrefix(rec *Record, prefix string) bool {
	return slices.ContainsFunc(l.entryAttrs(rec.Type, rec.Body), func(a Attr) bool {
		return a.Name == AttrKey && strings.HasPrefix(a.Value, prefix)
	})
}

// groupRank is the rank of a group's least selective attribute.
func groupRank(g []Attr) int {
	r := 0
	for _, a := range g {
		r = max(r, rank(a.Name))
	}
	return r
}

func rank(name string) int {
	if i := slices.Index(drivePriority, name); i >= 0 {
		return i
	}
	return len(drivePriority)
}

// hasAll reports whether the entry at index has every attribute of where
// and one of each group.
func (l *Log) hasAll(index uint64, where []Attr, groups [][]Attr) (bool, error) {
	for _, a := range where {
		if ok, err := l.hasAttr(index, a); err != nil || !ok {
			return false, err
		}
	}
	for _, g := range groups {
		if ok, err := l.hasAny(index, g); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// hasAny reports whether the entry at index has one of the attributes.
func (l *Log) hasAny(index uint64, attrs []Attr) (bool, error) {
	for _, a := range attrs {
		if ok, err := l.hasAttr(index, a); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (l *Log) hasAttr(index uint64, a Attr) (bool, error) {
	switch _, err := l.Projection(historyKey(a, index)); {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrKeyNotFound):
		return false, nil
	default:
		return false, err
	}
}

// historyPage is how many index keys a stream reads at a time.
const historyPage = 256

// indexStream yields, in order, the indexes under one attribute's index
// keys, or every index below size when it has no attribute.
type indexStream struct {
	l      *Log
	prefix []byte // nil: every index
	desc   bool
	size   uint64 // the published size when the query began
	from   *uint64
	buf    []uint64
	done   bool
}

// peek returns the stream's next index without taking it.
func (s *indexStream) peek(ctx context.Context) (uint64, bool, error) {
	if len(s.buf) == 0 && !s.done {
		if err := s.fill(ctx); err != nil {
			return 0, false, err
		}
	}
	if len(s.buf) == 0 {
		return 0, false, nil
	}
	return s.buf[0], true, nil
}

func (s *indexStream) take() {
	v := s.buf[0]
	s.buf = s.buf[1:]
	s.from = &v
}

// fill reads the next page of indexes after (or, descending, before)
// s.from.
func (s *indexStream) fill(ctx context.Context) error {
	if s.prefix == nil {
		s.fillAll()
		return nil
	}
	err := s.l.view(func(txn *badger.Txn) error {
		p := projKey(s.prefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, Reverse: s.desc})
		defer it.Close()
		seek := p
		switch {
		case s.from != nil:
			seek = binary.BigEndian.AppendUint64(bytes.Clone(p), *s.from)
		case s.desc:
			seek = binary.BigEndian.AppendUint64(bytes.Clone(p), s.size)
		}
		for it.Seek(seek); it.Valid() && len(s.buf) < historyPage; it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := it.Item().Key()
			if len(k) != len(p)+8 {
				continue
			}
			i := binary.BigEndian.Uint64(k[len(p):])
			if s.from != nil && i == *s.from || i >= s.size {
				continue // the cursor itself; entries after the query began
			}
			s.buf = append(s.buf, i)
		}
		return nil
	})
	if len(s.buf) == 0 {
		s.done = true
	}
	return err
}

// fillAll is fill of the stream of every index.
func (s *indexStream) fillAll() {
	var i uint64
	switch {
	case s.from != nil && s.desc:
		if *s.from == 0 {
			s.done = true
			return
		}
		i = *s.from - 1
	case s.from != nil:
		i = *s.from + 1
	case s.desc:
		if s.size == 0 {
			s.done = true
			return
		}
		i = s.size - 1
	}
	for len(s.buf) < historyPage {
		if i >= s.size {
			break
		}
		s.buf = append(s.buf, i)
		if s.desc {
			if i == 0 {
				break
			}
			i--
		} else {
			i++
		}
	}
	if len(s.buf) == 0 {
		s.done = true
	}
}

// merge yields the union of its streams' indexes in order, each once.
type merge struct {
	streams []*indexStream
	desc    bool
}

func newMerge(l *Log, attrs []Attr, desc bool, after *uint64, size uint64) *merge {
	m := &merge{desc: desc}
	if len(attrs) == 0 {
		return &merge{streams: []*indexStream{{l: l, desc: desc, size: size, from: after}}, desc: desc}
	}
	for _, a := range attrs {
		m.streams = append(m.streams, &indexStream{l: l, prefix: historyAttrPrefix(a), desc: desc, size: size, from: after})
	}
	return m
}

// next returns the next index of the union.
func (m *merge) next(ctx context.Context) (uint64, bool, error) {
	var best uint64
	found := false
	for _, s := range m.streams {
		i, ok, err := s.peek(ctx)
		if err != nil {
			return 0, false, err
		}
		if ok && (!found || m.desc && i > best || !m.desc && i < best) {
			best, found = i, true
		}
	}
	if !found {
		return 0, false, nil
	}
	for _, s := range m.streams {
		if i, ok, _ := s.peek(ctx); ok && i == best {
			s.take()
		}
	}
	return best, true, nil
}
