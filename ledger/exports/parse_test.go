package exports

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sub, err := Parse(v.Submitted)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			// The parsed fields, marshalled back, are the signed payload.
			var want, got map[string]any
			if err := json.Unmarshal(v.Payload, &want); err != nil {
				t.Fatal(err)
			}
			unsigned := *sub
			unsigned.Signatures = nil
			if err := json.Unmarshal(marshal(t, unsigned), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parsed payload = %v, want %v", got, want)
			}
			wantSigs := []Signature{{Type: "dsse", KeyID: v.KeyID, Signature: v.Signature}}
			if !reflect.DeepEqual(sub.Signatures, wantSigs) {
				t.Errorf("signatures = %v, want %v", sub.Signatures, wantSigs)
			}
			if sub.IdempotencyKey != v.IdempotencyKey || IdempotencyKey(sub.RunID, sub.ArtifactHash, sub.TenantID) != v.IdempotencyKey {
				t.Errorf("idempotency key %s, want %s", sub.IdempotencyKey, v.IdempotencyKey)
			}
		})
	}
}

// TestParseSyntax covers the strict-JSON rules, each with its sentinel.
func TestParseSyntax(t *testing.T) {
	v := loadVectors(t)[0]
	body := string(v.Submitted)
	// inner is the unsigned payload without its closing brace, ready for
	// one more member; it has no scanId, policyHash or signatures.
	inner := strings.TrimSuffix(strings.TrimSpace(string(v.Payload)), "}")
	var manyMembers string
	for i := range 60 {
		manyMembers += fmt.Sprintf(`,"x%d":""`, i)
	}
	sigs := `"signatures":[{"type":"dsse","keyId":"test-key-1","signature":"` + v.Signature + `"}]`

	tests := []struct {
		name string
		body string
		want error
	}{
		{"too large", body + strings.Repeat(" ", MaxBodyBytes), ErrTooLarge},
		{"empty body", "", ErrMalformedJSON},
		{"whitespace only", " \n", ErrMalformedJSON},
		{"array", "[" + body + "]", ErrMalformedJSON},
		{"string", `"x"`, ErrMalformedJSON},
		{"null", `null`, ErrMalformedJSON},
		{"truncated", body[:len(body)/2], ErrMalformedJSON},
		{"trailing comma", inner + ",}", ErrMalformedJSON},
		{"invalid utf-8", inner + ",\"scanId\":\"\xff\"}", ErrMalformedJSON},
		{"lone surrogate escape", inner + `,"scanId":"\ud800"}`, ErrMalformedJSON},
		{"too deep", inner + `,"scanId":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + "}", ErrMalformedJSON},
		{"too many members", inner + manyMembers + "}", ErrMalformedJSON},
		{"too many elements", inner + `,"signatures":[` + strings.Repeat(`{},`, 64) + "{}]}", ErrMalformedJSON},
		{"trailing garbage", body + "x", ErrTrailingData},
		{"trailing object", body + "{}", ErrTrailingData},
		{"trailing null", body + " null", ErrTrailingData},
		{"duplicate key", inner + `,"status":"failed"}`, ErrDuplicateKey},
		{"duplicate key spelled with escapes", inner + `,"\u0073tatus":"succeeded"}`, ErrDuplicateKey},
		{"duplicate key in signature", `{` + strings.Replace(sigs, `"type":"dsse"`, `"type":"dsse","type":"dsse"`, 1) + `}`, ErrDuplicateKey},
		{"unknown field", inner + `,"runID":"x"}`, ErrUnknownField},
		{"unknown field in signature", `{` + strings.Replace(sigs, `"type":"dsse"`, `"type":"dsse","sig":"x"`, 1) + `}`, ErrUnknownField},
		{"null field", inner + `,"policyHash":null}`, ErrFieldType},
		{"number field", inner + `,"scanId":1}`, ErrFieldType},
		{"boolean field", inner + `,"scanId":true}`, ErrFieldType},
		{"object field", inner + `,"scanId":{}}`, ErrFieldType},
		{"signatures object", inner + `,"signatures":{}}`, ErrFieldType},
		{"signatures null", inner + `,"signatures":null}`, ErrFieldType},
		{"signature not an object", inner + `,"signatures":["x"]}`, ErrFieldType},
		{"signature keyId number", inner + `,"signatures":[{"type":"dsse","keyId":1,"signature":"x"}]}`, ErrFieldType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := Parse([]byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse err = %v, want %v", err, tt.want)
			}
			if sub != nil {
				t.Fatalf("Parse returned a submission with an error")
			}
		})
	}
}

func TestParseAcceptsFormatting(t *testing.T) {
	v := loadVectors(t)[1]
	compact := marshal(t, submittedMap(t, v)) // reordered, <>& escaped
	escaped := strings.Replace(string(v.Submitted), "bundle-éè-2", `bundle-\u00e9\u00E8-2`, 1)
	for name, body := range map[string][]byte{
		"compact":        compact,
		"escaped":        []byte(escaped),
		"surrounding ws": []byte("\n\t " + string(v.Submitted) + "\r\n "),
	} {
		t.Run(name, func(t *testing.T) {
			sub, err := Parse(body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if sub.BundleID != "bundle-éè-2" || sub.JobType != `mirror-build <nightly> & "full"` {
				t.Fatalf("decoded %q, %q", sub.BundleID, sub.JobType)
			}
		})
	}
}
