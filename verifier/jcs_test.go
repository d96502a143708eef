package verifier

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestCanonicalizeJSONVectors(t *testing.T) {
	for _, v := range loadDSSEVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			got, err := CanonicalizeJSON(v.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != v.JCS {
				t.Fatalf("canonical form of the indented payload\n got %s\nwant %s", got, v.JCS)
			}
			// encoding/json escapes <, > and & and orders keys by bytes;
			// the canonical form must undo both.
			var m map[string]any
			if err := json.Unmarshal(v.Payload, &m); err != nil {
				t.Fatal(err)
			}
			marshalled, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err = CanonicalizeJSON(marshalled)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != v.JCS {
				t.Fatalf("canonical form of encoding/json output\n got %s\nwant %s", got, v.JCS)
			}
		})
	}
}

func TestCanonicalizeJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"rfc 8785 sample",
			`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/","literals":[null,true,false]}`,
			`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		{"rfc 8785 sorting by utf-16 code units",
			`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001F600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"html characters unescaped", `{"a":"\u003c\u003e\u0026"}`, `{"a":"<>&"}`},
		{"whitespace removed, arrays keep order", " { \"b\" : [ 3 , 1 ] ,\n\t\"a\" : { } } ", `{"a":{},"b":[3,1]}`},
		{"es6 numbers", `[0,-0,1.0,1e21,1e-7,0.000001,9007199254740993,-1.5E+2]`, `[0,0,1,1e+21,1e-7,0.000001,9007199254740992,-150]`},
		{"del and c1 controls unescaped", "[\"\x7f\u0080\"]", "[\"\x7f\u0080\"]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalizeJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestCanonicalizeJSONRefuses(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"whitespace only", "  "},
		{"duplicate key", `{"a":1,"a":2}`},
		{"duplicate key after unescaping", `{"a":1,"\u0061":2}`},
		{"lone high surrogate", `["\ud800"]`},
		{"lone low surrogate", `["\udc00"]`},
		{"invalid utf-8", "[\"\xff\"]"},
		{"trailing garbage", `{} x`},
		{"two values", `{}{}`},
		{"number out of range", `[1e400]`},
		{"leading zero", `[01]`},
		{"unterminated", `{"a":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := CanonicalizeJSON([]byte(tt.in)); !errors.Is(err, ErrJCSInvalid) {
				t.Fatalf("CanonicalizeJSON(%q) = %q, %v; want ErrJCSInvalid", tt.in, got, err)
			}
		})
	}
}
