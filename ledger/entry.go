package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode"
)

// MaxEntrySize bounds the bytes of one encoded entry. Entries hold digests and
// small JSON; payload bytes belong in the content store. The limit lets every
// entry stand in a tlog-tiles entry bundle, whose lengths are uint16.
const MaxEntrySize = 1<<16 - 1

// TimeFormat is the layout of an entry's "time" field: RFC 3339 in UTC with
// nanoseconds, as produced by the injected clock.
const TimeFormat = time.RFC3339Nano

// ErrInvalidEntry reports an entry that cannot be appended as given: a bad
// type name, actor or tenant, or a body that is not a JSON object.
var ErrInvalidEntry = errors.New("invalid entry")

// reserved are the envelope fields; a body may not set them.
var reserved = []string{"v", "index", "type", "time", "actor", "tenant"}

var typePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// Entry is a request to append: the envelope fields the caller chooses and the
// type-specific fields as one JSON object. The log assigns index and time.
type Entry struct {
	Type   string          // dotted lower-case name, e.g. "package.created"
	Actor  string          // who caused the change (token name, "system", ...)
	Tenant string          // tenant the entry belongs to; empty for global entries
	Body   json.RawMessage // JSON object of type fields; nil for none
}

// Record is an entry as it stands in the log, with its encoded bytes (the
// Merkle leaf) and the parsed envelope.
type Record struct {
	Index  uint64
	Type   string
	Time   time.Time
	Actor  string
	Tenant string
	Body   json.RawMessage // the type fields as a JSON object ("{}" for none)
	Bytes  []byte          // the exact leaf bytes
}

// prepared is an Entry checked and half-encoded on the caller's goroutine so
// that the sequencer only splices in index and time.
type prepared struct {
	typ, actor, tenant string
	head               []byte // `,"type":"…"`
	tail               []byte // `,"actor":…,"tenant":…` + rest of body + `}`
	body               json.RawMessage
	digests            []string // EntryDigests(body), found by the caller, not the sequencer
}

func prepare(e Entry) (*prepared, error) {
	if !typePattern.MatchString(e.Type) || len(e.Type) > 64 {
		return nil, fmt.Errorf("%w: type %q is not a dotted lower-case name", ErrInvalidEntry, e.Type)
	}
	if err := checkName("actor", e.Actor); err != nil {
		return nil, err
	}
	if err := checkName("tenant", e.Tenant); err != nil {
		return nil, err
	}
	body, err := compactObject(e.Body)
	if err != nil {
		return nil, err
	}
	p := &prepared{typ: e.Type, actor: e.Actor, tenant: e.Tenant, body: body, digests: EntryDigests(body)}
	p.head = append([]byte(`,"type":`), quote(e.Type)...)
	p.tail = append([]byte(`,"actor":`), quote(e.Actor)...)
	p.tail = append(p.tail, `,"tenant":`...)
	p.tail = append(p.tail, quote(e.Tenant)...)
	if len(body) > 2 {
		p.tail = append(p.tail, ',')
		p.tail = append(p.tail, body[1:]...)
	} else {
		p.tail = append(p.tail, '}')
	}
	if len(p.head)+len(p.tail)+80 > MaxEntrySize {
		return nil, fmt.Errorf("%w: encoded entry over %d bytes", ErrInvalidEntry, MaxEntrySize)
	}
	return p, nil
}

// encode writes the entry's leaf bytes for the given index and time.
func (p *prepared) encode(index uint64, t string) []byte {
	b := make([]byte, 0, len(p.head)+len(p.tail)+len(t)+40)
	b = append(b, `{"v":1,"index":`...)
	b = strconv.AppendUint(b, index, 10)
	b = append(b, p.head...)
	b = append(b, `,"time":"`...)
	b = append(b, t...)
	b = append(b, '"')
	return append(b, p.tail...)
}

func checkName(field, s string) error {
	if len(s) > 256 {
		return fmt.Errorf("%w: %s is %d bytes, limit 256", ErrInvalidEntry, field, len(s))
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return fmt.Errorf("%w: %s %q has a control or invalid character", ErrInvalidEntry, field, s)
		}
	}
	return nil
}

// compactObject checks that body is one JSON object with unique keys, none of
// them an envelope field, and returns it compacted ("{}" for an empty body).
// A valid body without whitespace between its tokens is already compact and
// is returned as it is; producers' bodies usually are.
func compactObject(body json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return json.RawMessage("{}"), nil
	}
	c := body
	compact, err := false, error(nil)
	if json.Valid(body) {
		compact, err = checkKeys(body)
	}
	if !compact {
		var out bytes.Buffer
		out.Grow(len(body))
		if err := json.Compact(&out, body); err != nil {
			return nil, fmt.Errorf("%w: body: %w", ErrInvalidEntry, err)
		}
		c = out.Bytes()
		if _, err = checkKeys(c); err != nil {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// maxPairwiseKeys is the member count up to which checkKeys compares names
// pair by pair, which is cheaper than a map for the bodies entries carry.
const maxPairwiseKeys = 32

// checkKeys refuses a valid JSON value that is not an object, or whose
// member names repeat or name an envelope field. It reports whether obj is
// compact (no whitespace between tokens); the names of an object that is
// not are not checked. One pass skips every value, jumping over strings,
// and decodes a name only when it has escapes.
func checkKeys(obj []byte) (compact bool, err error) {
	if obj[0] != '{' {
		if len(bytes.TrimLeft(obj, " \t\r\n")) != len(obj) {
			return false, nil
		}
		return true, fmt.Errorf("%w: body is not a JSON object", ErrInvalidEntry)
	}
	var small [maxPairwiseKeys][]byte
	keys := small[:0]
	var seen map[string]bool // once there are more keys than small holds
	depth := 0
	for i := 0; i < len(obj); i++ {
		switch obj[i] {
		case ' ', '\t', '\r', '\n':
			return false, nil
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			end := stringEnd(obj, i)
			if depth == 1 && (obj[i-1] == '{' || obj[i-1] == ',') {
				k, err := jsonName(obj[i : end+1])
				if err != nil {
					return true, err
				}
				dup := isReserved(k)
				switch {
				case seen != nil:
				case len(keys) < maxPairwiseKeys:
					for _, prev := range keys {
						dup = dup || bytes.Equal(prev, k)
					}
					keys = append(keys, k)
				default:
					seen = make(map[string]bool, 2*maxPairwiseKeys)
					for _, prev := range keys {
						seen[string(prev)] = true
					}
				}
				if seen != nil {
					dup = dup || seen[string(k)]
					seen[string(k)] = true
				}
				if dup {
					return true, fmt.Errorf("%w: body key %q is reserved or repeated", ErrInvalidEntry, k)
				}
			}
			i = end
		}
	}
	return true, nil
}

// stringEnd returns the index of the quote that closes the string of the
// valid JSON text obj opening at start.
func stringEnd(obj []byte, start int) int {
	for i := start + 1; ; i++ {
		i += bytes.IndexByte(obj[i:], '"')
		escapes := 0
		for obj[i-1-escapes] == '\\' {
			escapes++
		}
		if escapes%2 == 0 {
			return i
		}
	}
}

// isReserved reports whether a body member name is an envelope field.
func isReserved(name []byte) bool {
	for _, r := range reserved {
		if string(name) == r {
			return true
		}
	}
	return false
}

// jsonName returns the name a quoted JSON string spells: the bytes between
// the quotes when it has no escapes, else its decoding.
func jsonName(quoted []byte) ([]byte, error) {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return quoted[1 : len(quoted)-1], nil
	}
	var k string
	if err := json.Unmarshal(quoted, &k); err != nil {
		return nil, fmt.Errorf("%w: body key %s: %w", ErrInvalidEntry, quoted, err)
	}
	return []byte(k), nil
}

// quote encodes s as a JSON string without HTML escaping, so that "<", ">"
// and "&" stand in entries as themselves.
func quote(s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\'
	}
	if plain {
		return append(append(append(make([]byte, 0, len(s)+2), '"'), s...), '"')
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a Go string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// ParseRecord parses leaf bytes into a Record. It is what replay and audits
// use to read an entry back; it checks the envelope but not the type fields.
func ParseRecord(data []byte) (*Record, error) {
	if rec, ok := parseCanonical(data); ok {
		return rec, nil
	}
	return parseGeneral(data)
}

// parseGeneral parses any entry envelope with encoding/json.
func parseGeneral(data []byte) (*Record, error) {
	var env struct {
		V      *int    `json:"v"`
		Index  *uint64 `json:"index"`
		Type   string  `json:"type"`
		Time   string  `json:"time"`
		Actor  *string `json:"actor"`
		Tenant *string `json:"tenant"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
	}
	if env.V == nil || *env.V != 1 || env.Index == nil || env.Actor == nil || env.Tenant == nil {
		return nil, fmt.Errorf("%w: envelope needs v=1, index, type, time, actor and tenant", ErrInvalidEntry)
	}
	t, err := time.Parse(TimeFormat, env.Time)
	if err != nil || t.Location() != time.UTC {
		return nil, fmt.Errorf("%w: time %q is not RFC 3339 UTC", ErrInvalidEntry, env.Time)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
	}
	for _, k := range reserved {
		delete(fields, k)
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false) // keep field values byte-identical to the leaf
	if err := enc.Encode(fields); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEntry, err)
	}
	b := bytes.TrimSuffix(body.Bytes(), []byte("\n"))
	return &Record{Index: *env.Index, Type: env.Type, Time: t, Actor: *env.Actor, Tenant: *env.Tenant, Body: b, Bytes: data}, nil
}

// AppendJSON appends an entry of type typ whose body is v encoded as JSON,
// the way every domain service logs its decisions.
func (l *Log) AppendJSON(ctx context.Context, typ, actor, tenant string, v any) (Appended, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Appended{}, fmt.Errorf("encode %s entry: %w", typ, err)
	}
	return l.Append(ctx, Entry{Type: typ, Actor: actor, Tenant: tenant, Body: b})
}
