package exports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParse checks, for any input, that Parse neither panics nor returns an
// unclassified error, and that whatever it accepts is valid, has a
// canonical payload, and survives a marshal/parse round trip with the same
// fields and the same canonical payload. The committed seed corpus is in
// testdata/fuzz/FuzzParse; the shared vectors are added as seeds too.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.Submitted))
		f.Add([]byte(v.Payload))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sub, err := Parse(body)
		if err != nil {
			if slug, kind := Classify(err); slug == "" || kind == 0 {
				t.Fatalf("Parse error %v has no problem type", err)
			}
			return
		}
		if err := sub.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid submission: %v", err)
		}
		canonical, err := CanonicalPayload(body)
		if err != nil {
			t.Fatalf("Parse accepted a body without a canonical payload: %v", err)
		}
		again, err := json.Marshal(sub)
		if err != nil {
			t.Fatal(err)
		}
		sub2, err := Parse(again)
		if err != nil {
			t.Fatalf("re-marshalled submission refused: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(sub, sub2) {
			t.Fatalf("round trip changed the submission:\n%+v\n%+v", sub, sub2)
		}
		canonical2, err := CanonicalPayload(again)
		if err != nil || !bytes.Equal(canonical, canonical2) {
			t.Fatalf("round trip changed the canonical payload (%v):\n%s\n%s", err, canonical, canonical2)
		}
	})
}

// FuzzDecode checks that Decode, which derives the canonical payload from
// the canonical form of the whole body, agrees with Parse and
// CanonicalPayload on every input.
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.Submitted))
	}
	f.Add([]byte(`{"signatures":[{"type":"dsse","keyId":"a\",\"signatures\":","signature":"AA=="}],"artifactHash":"x"}`))
	// Shapes the plain path must hand to the general path.
	for _, body := range []string{`{}`, `{"runId":"a","runId":"a"}`, `{"runId":""}`, `{"signatures":[]}`, `{"bogus":"x"}`,
		`{"runId":"a",}`, `{"runId":1}`, `{"signatures":[{"type":"dsse","keyId":"k","signature":"AA==","type":"dsse"}]}`,
		`{"signatures":[{"type":"x509","keyId":"k","signature":"AA=="}]}`, `{"signatures":[{"type":"dsse","keyId":"k"}]}`,
		`{"signatures":[{"type":"dsse","keyId":"k","signature":"AA=="}],"signatures":[{"type":"dsse","keyId":"k","signature":"AA=="}]}`} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sub, canonical, err := Decode(body)
		sub2, err2 := Parse(body)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("Decode: %v; Parse: %v", err, err2)
		}
		if err != nil {
			return
		}
		want, err := CanonicalPayload(body)
		if err != nil || !bytes.Equal(canonical, want) || !reflect.DeepEqual(sub, sub2) {
			t.Fatalf("Decode canonical %s\nCanonicalPayload %s (%v)", canonical, want, err)
		}
	})
}
