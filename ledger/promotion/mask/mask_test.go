package mask

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const sarifRules = `rules:
  - id: aws-keys
    pattern: 'AKIA[0-9A-Z]{16}'
  - id: sarif-messages
    pointer: /runs/*/results/*/message/text
    pattern: 'secret=[a-z]+'
    replacement: "secret=***"
  - id: tool-version
    pointer: /runs/0/tool/driver/version
`

func mustParse(t *testing.T, s string) *Rules {
	t.Helper()
	r, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMask(t *testing.T) {
	rs := mustParse(t, sarifRules)
	tests := []struct {
		name, in, want string
		json           bool
		fired          []string
		err            error
	}{
		{name: "text", in: "key AKIAABCDEFGHIJKLMNOP here\n", want: "key [MASKED] here\n", fired: []string{"aws-keys"}},
		{name: "text pointer rules skip", in: "secret=abc", want: "secret=abc"},
		{name: "text untouched", in: "nothing", want: "nothing"},
		{name: "sarif", json: true,
			in:    `{"runs": [{"tool": {"driver": {"version": 1.10}}, "results": [{"message": {"text": "found secret=abc in AKIAABCDEFGHIJKLMNOP"}}, {"message": {"text": "ok"}}]}], "version": "2.1.0"}`,
			want:  `{"runs":[{"results":[{"message":{"text":"found secret=*** in [MASKED]"}},{"message":{"text":"ok"}}],"tool":{"driver":{"version":"[MASKED]"}}}],"version":"2.1.0"}`,
			fired: []string{"aws-keys", "sarif-messages", "tool-version"}},
		{name: "json untouched keeps bytes", json: true, in: "{\"b\": 1,\n \"a\": 2.50}", want: "{\"b\": 1,\n \"a\": 2.50}"},
		{name: "json numbers as written", json: true, in: `{"n": 12345678901234567890, "s": "AKIAABCDEFGHIJKLMNOP <&>"}`,
			want: `{"n":12345678901234567890,"s":"[MASKED] <&>"}`, fired: []string{"aws-keys"}},
		{name: "json member names untouched", json: true, in: `{"AKIAABCDEFGHIJKLMNOP": 1}`, want: `{"AKIAABCDEFGHIJKLMNOP": 1}`},
		{name: "invalid json", json: true, in: `{"a": `, err: ErrInvalidJSON},
		{name: "trailing data", json: true, in: `{} {}`, err: ErrInvalidJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := rs.Mask([]byte(tt.in), tt.json)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if string(res.Output) != tt.want || !slices.Equal(res.Fired, tt.fired) {
				t.Fatalf("got %s %v\nwant %s %v", res.Output, res.Fired, tt.want, tt.fired)
			}
			again, err := rs.Mask(res.Output, tt.json)
			if err != nil || string(again.Output) != string(res.Output) || len(again.Fired) != 0 {
				t.Fatalf("not idempotent: %s %v %v", again.Output, again.Fired, err)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := map[string]string{
		"empty":               ``,
		"no rules":            `rules: []`,
		"unknown member":      `{"rules": [{"id": "a", "pattern": "x", "colour": "red"}]}`,
		"bad id":              `{"rules": [{"id": "A B", "pattern": "x"}]}`,
		"duplicate id":        `{"rules": [{"id": "a", "pattern": "x"}, {"id": "a", "pattern": "y"}]}`,
		"nothing to match":    `{"rules": [{"id": "a"}]}`,
		"relative pointer":    `{"rules": [{"id": "a", "pointer": "runs/0"}]}`,
		"bad escape":          `{"rules": [{"id": "a", "pointer": "/a~2"}]}`,
		"bad regexp":          `{"rules": [{"id": "a", "pattern": "("}]}`,
		"empty match":         `{"rules": [{"id": "a", "pattern": "x*"}]}`,
		"replacement matches": `{"rules": [{"id": "a", "pattern": "MASK"}]}`,
		"long replacement":    `{"rules": [{"id": "a", "pattern": "x", "replacement": "` + strings.Repeat("y", MaxReplacement+1) + `"}]}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in)); !errors.Is(err, ErrInvalidRules) {
				t.Fatalf("Parse(%q) = %v, want ErrInvalidRules", in, err)
			}
		})
	}
}

// TestMaskGrowthBounded: replacements longer than their matches may add
// at most twice the input plus growthAllowance bytes, in text and JSON.
func TestMaskGrowthBounded(t *testing.T) {
	rs := mustParse(t, `{"rules": [{"id": "x", "pattern": "x", "replacement": "`+strings.Repeat("y", MaxReplacement)+`"}]}`)
	small := strings.Repeat("x", 4)
	if res, err := rs.Mask([]byte(small), false); err != nil || len(res.Output) != 4*MaxReplacement {
		t.Fatalf("small input: %d bytes, %v", len(res.Output), err)
	}
	big := strings.Repeat("x", 10000)
	if _, err := rs.Mask([]byte(big), false); !errors.Is(err, ErrNotSettled) {
		t.Fatalf("text: %v, want ErrNotSettled", err)
	}
	if _, err := rs.Mask([]byte(`{"a": "`+big+`"}`), true); !errors.Is(err, ErrNotSettled) {
		t.Fatalf("json: %v, want ErrNotSettled", err)
	}
}

func TestParseDigestAndEscapes(t *testing.T) {
	rs := mustParse(t, `{"rules": [{"id": "x", "pointer": "/a~1b/~0c"}]}`)
	if len(rs.Digest()) != len("sha256:")+64 || rs.List()[0].Pointer != "/a~1b/~0c" {
		t.Fatalf("digest %s, list %+v", rs.Digest(), rs.List())
	}
	res, err := rs.Mask([]byte(`{"a/b": {"~c": 5, "d": 6}}`), true)
	if err != nil || string(res.Output) != `{"a/b":{"d":6,"~c":"[MASKED]"}}` {
		t.Fatalf("%s %v", res.Output, err)
	}
}

// FuzzParse: the rules parser never panics, and rules it accepts mask
// their own replacements to nothing new.
func FuzzParse(f *testing.F) {
	f.Add([]byte(sarifRules))
	f.Add([]byte(`{"rules": [{"id": "a", "pointer": "/x/*", "pattern": "b+"}]}`))
	f.Add([]byte("rules:\n - id: z\n   pattern: '\\d{3}'\n   replacement: N\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidRules) {
				t.Fatalf("error %v is not ErrInvalidRules", err)
			}
			return
		}
		for _, r := range rs.List() {
			res, err := rs.Mask([]byte(r.Replacement), false)
			if err != nil || len(res.Fired) != 0 && r.Replacement != "" {
				t.Fatalf("rule %s's replacement is masked: %v %v", r.ID, res.Fired, err)
			}
		}
	})
}

// FuzzMask checks the masker's properties over fuzzed input and a fuzzed
// pattern: text output holds no match of any text rule, masking is
// idempotent, and JSON stays valid JSON.
func FuzzMask(f *testing.F) {
	f.Add([]byte("token AKIAABCDEFGHIJKLMNOP"), "AKIA[0-9A-Z]{16}", "x", false)
	f.Add([]byte(`{"runs":[{"results":[{"message":{"text":"aaa"}}]}]}`), "a+", "b", true)
	f.Add([]byte(`["ab", {"k": "abab"}, 1e400]`), "ab", "", true)
	f.Add([]byte("xxxxx"), "xx", "x", false)
	f.Fuzz(func(t *testing.T, in []byte, pattern, repl string, isJSON bool) {
		file, _ := json.Marshal(map[string]any{"rules": []map[string]string{
			{"id": "fuzz", "pattern": pattern, "replacement": repl},
			{"id": "ptr", "pointer": "/*/0"},
		}})
		rs, err := Parse(file)
		if err != nil {
			return
		}
		res, err := rs.Mask(in, isJSON)
		if errors.Is(err, ErrNotSettled) || errors.Is(err, ErrInvalidJSON) && isJSON {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		re := regexp.MustCompile(rs.List()[0].Pattern) // as the file holds it (JSON made it valid UTF-8)
		if !isJSON && re.Match(res.Output) {
			t.Fatalf("output %q still matches %q", res.Output, re)
		}
		if isJSON && !json.Valid(res.Output) {
			t.Fatalf("output %q is not JSON", res.Output)
		}
		again, err := rs.Mask(res.Output, isJSON)
		if err != nil || string(again.Output) != string(res.Output) || len(again.Fired) != 0 {
			t.Fatalf("not idempotent: %q -> %q (%v, %v)", res.Output, again.Output, again.Fired, err)
		}
	})
}
