package ledger

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
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
		for _, k := range reserved {
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

// FuzzCompactObject holds compactObject to a reference built on
// encoding/json alone: json.Compact, then the member names read with a
// json.Decoder and checked for repeats and envelope fields. Both must
// refuse the same bodies and return the same bytes for the rest.
func FuzzCompactObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` {"a" : [ ] } `, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"index":1}`,
		`{"a":"x\\","b":"\\\""}`, `{"a":{"type":1},"b":[{"v":2}]}`, `[1]`, `"s"`, ` 1`, `{"a":"b c"}`, `{"a" :1}`,
		`{"k0":0,"k1":0,"k2":0,"k3":0,"k4":0,"k5":0,"k6":0,"k7":0,"k8":0,"k9":0,"k10":0,"k11":0,"k12":0,"k13":0,"k14":0,"k15":0,` +
			`"k16":0,"k17":0,"k18":0,"k19":0,"k20":0,"k21":0,"k22":0,"k23":0,"k24":0,"k25":0,"k26":0,"k27":0,"k28":0,"k29":0,"k30":0,` +
			`"k31":0,"k32":0,"k33":0,"k3":0}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) {
			return // the decoder would replace invalid bytes in names; compactObject compares them raw
		}
		got, err := compactObject(body)
		want, wantErr := compactObjectReference(body)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("body %q: compactObject %q, %v; reference %q, %v", body, got, err, want, wantErr)
		}
	})
}

func compactObjectReference(body []byte) ([]byte, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return []byte("{}"), nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, body); err != nil {
		return nil, err
	}
	c := out.Bytes()
	dec := json.NewDecoder(bytes.NewReader(c))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return nil, errors.New("not an object")
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := tok.(string)
		if seen[k] || slices.Contains(reserved, k) {
			return nil, errors.New("reserved or repeated key")
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// FuzzEntryDigests holds EntryDigests to a reference that lower-cases
// each candidate with bytes.ToLower and checks it with hex.DecodeString.
func FuzzEntryDigests(f *testing.F) {
	d := strings.Repeat("ab", 32)
	for _, s := range []string{`{}`, `{"a":"sha256:` + d + `"}`, `{"a":"sha256:` + strings.ToUpper(d) + `","b":"sha256:` + d + `"}`,
		`{"a":"sha256:` + d[:63] + `g"}`, `"sha256:"sha256:` + d + `"`, `{"a":"sha256:` + d + `x"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if got, want := EntryDigests(body), entryDigestsReference(body); !slices.Equal(got, want) {
			t.Fatalf("body %q: EntryDigests %q, reference %q", body, got, want)
		}
	})
}

func entryDigestsReference(body []byte) []string {
	var out []string
	for rest := body; len(out) < maxDigestsPerEntry; {
		i := bytes.Index(rest, sha256Marker)
		if i < 0 {
			break
		}
		rest = rest[i+len(sha256Marker):]
		if len(rest) < 65 || rest[64] != '"' {
			continue
		}
		h := bytes.ToLower(rest[:64])
		if _, err := hex.DecodeString(string(h)); err != nil {
			continue
		}
		if d := string(h); !slices.Contains(out, d) {
			out = append(out, d)
		}
		rest = rest[65:]
	}
	return out
}
