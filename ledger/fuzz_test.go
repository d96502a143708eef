package ledger

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzEntryBody checks the body validator against encoding/json: an accepted
// body is an object without reserved keys, and the encoded entry parses back
// to the same fields.
func FuzzEntryBody(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":{"index":1},"b":[{"v":2}]}`, `{"\u0069ndex":1}`,
		`{"a":"x\"y","b":"\\"}`, `{"a":1,"a":2}`, `[1]`, ` {"a" : [ ] } `, `{"a":"<&>"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := prepare(Entry{Type: "fuzz.entry", Actor: "a", Tenant: "t", Body: body})
		var fields map[string]any
		jsonErr := json.Unmarshal(body, &fields)
		if err != nil {
			return
		}
		if len(bytes.TrimSpace(body)) > 0 && (jsonErr != nil || fields == nil) {
			t.Fatalf("accepted %q, which is not a JSON object: %v", body, jsonErr)
		}
		for k := range reserved {
			if _, ok := fields[k]; ok {
				t.Fatalf("accepted reserved key %q in %q", k, body)
			}
		}
		rec, err := ParseRecord(p.encode(7, "2026-01-02T03:04:05Z"))
		if err != nil {
			t.Fatalf("encoded entry of %q does not parse: %v", body, err)
		}
		var back map[string]any
		if err := json.Unmarshal(rec.Body, &back); err != nil {
			t.Fatal(err)
		}
		if len(fields) == 0 && len(back) == 0 {
			return
		}
		if !reflect.DeepEqual(fields, back) {
			t.Fatalf("body %q came back as %s", body, rec.Body)
		}
	})
}

// FuzzParseRecord checks that ParseRecord never panics and that what it
// accepts carries a complete envelope.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"v":1,"index":0,"type":"a.b","time":"2026-01-02T03:04:05.001Z","actor":"x","tenant":"","k":1}`))
	f.Add([]byte(`{"v":2,"index":0,"type":"a.b","time":"2026-01-02T03:04:05Z","actor":"x","tenant":""}`))
	f.Add([]byte(`{"v":1,"index":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, err := ParseRecord(data)
		if err != nil {
			return
		}
		if rec.Time.Location().String() != "UTC" || !json.Valid(rec.Body) {
			t.Fatalf("accepted %q as %+v", data, rec)
		}
	})
}

// FuzzParseCanonical checks the fast parser against the general one: what
// the fast path accepts, the general parser reads the same way.
func FuzzParseCanonical(f *testing.F) {
	f.Add([]byte(`{"v":1,"index":7,"type":"a.b","time":"2026-01-02T03:04:05.001Z","actor":"x\\"y","tenant":"<t>","k":[1,{"v":2}]}`))
	f.Add([]byte(`{"v":1,"index":0,"type":"a.b","time":"2026-01-02T03:04:05Z","actor":"","tenant":""}`))
	f.Add([]byte(`{"v":1,"index":01,"type":"a.b","time":"2026-01-02T03:04:05Z","actor":"","tenant":"","index":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseCanonical(data)
		if !ok {
			return
		}
		slow, err := parseGeneral(data)
		if err != nil {
			t.Fatalf("fast path accepted %q, general parser refuses: %v", data, err)
		}
		var a, b any
		if json.Unmarshal(fast.Body, &a) != nil || json.Unmarshal(slow.Body, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Fatalf("bodies differ for %q: %s vs %s", data, fast.Body, slow.Body)
		}
		if fast.Index != slow.Index || fast.Type != slow.Type || !fast.Time.Equal(slow.Time) || fast.Actor != slow.Actor || fast.Tenant != slow.Tenant {
			t.Fatalf("envelopes differ for %q: %+v vs %+v", data, fast, slow)
		}
	})
}
