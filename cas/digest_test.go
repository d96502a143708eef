package cas_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
)

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestParseDigest(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"canonical", "sha256:" + emptySHA256, true},
		{"all zero", "sha256:" + strings.Repeat("0", 64), true},
		{"upper-case hex", "sha256:" + strings.ToUpper(emptySHA256), false},
		{"upper-case prefix", "SHA256:" + emptySHA256, false},
		{"other algorithm", "sha512:" + emptySHA256, false},
		{"no prefix", emptySHA256, false},
		{"short", "sha256:" + emptySHA256[:63], false},
		{"long", "sha256:" + emptySHA256 + "0", false},
		{"non-hex", "sha256:" + strings.Repeat("g", 64), false},
		{"leading space", " sha256:" + emptySHA256[1:], false},
		{"trailing newline", "sha256:" + emptySHA256[:63] + "\n", false},
		{"empty", "", false},
		{"prefix only", "sha256:", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := cas.ParseDigest(tc.in)
			if tc.ok {
				if err != nil || d.String() != tc.in || d.IsZero() {
					t.Fatalf("ParseDigest(%q) = %v, %v; want it back", tc.in, d, err)
				}
				return
			}
			if !errors.Is(err, cas.ErrInvalidDigest) || !d.IsZero() {
				t.Fatalf("ParseDigest(%q) = %v, %v; want ErrInvalidDigest", tc.in, d, err)
			}
		})
	}
}

func TestDigestForms(t *testing.T) {
	d := cas.DigestOf(nil)
	if d.String() != "sha256:"+emptySHA256 || d.Hex() != emptySHA256 {
		t.Fatalf("DigestOf(nil) = %s", d)
	}
	if sum := d.Sum(); cas.FromSHA256(sum) != d {
		t.Fatal("FromSHA256(Sum()) differs")
	}
	var zero cas.Digest
	if !zero.IsZero() || zero.String() != "" || zero.Hex() != "" {
		t.Fatalf("zero digest = %q", zero)
	}
	type doc struct {
		D cas.Digest `json:"d"`
		Z cas.Digest `json:"z"`
	}
	b, err := json.Marshal(doc{D: d})
	if err != nil || string(b) != `{"d":"sha256:`+emptySHA256+`","z":""}` {
		t.Fatalf("json = %s, %v", b, err)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.D != d || !back.Z.IsZero() {
		t.Fatalf("json round trip = %+v, %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"sha256:ABC"}`), &back); !errors.Is(err, cas.ErrInvalidDigest) {
		t.Fatalf("bad json digest = %v, want ErrInvalidDigest", err)
	}
}

func TestInvalidDigestMessageIsBounded(t *testing.T) {
	_, err := cas.ParseDigest(strings.Repeat("x", 10_000))
	if err == nil || len(err.Error()) > 300 {
		t.Fatalf("error of %d bytes for a long input", len(err.Error()))
	}
}
