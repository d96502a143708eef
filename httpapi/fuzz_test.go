package httpapi

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/.

// checkBadRequest fails unless err is nil or a 400 invalid-parameter problem.
func checkBadRequest(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	p, ok := errors.AsType[*wire.Problem](err)
	if !ok || p.Status != http.StatusBadRequest || p.Type != wire.TypeInvalidParameter || p.Detail == "" {
		t.Fatalf("error %v is not a 400 invalid-parameter problem", err)
	}
}

func FuzzParseUint(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseUint("n", s)
		checkBadRequest(t, err)
		if err == nil && strconv.FormatUint(v, 10) != s {
			t.Fatalf("accepted %q as %d, which is not its canonical form", s, v)
		}
	})
}

func FuzzParseHash(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseHash("leaf_hash", s)
		checkBadRequest(t, err)
		if err == nil && (len(h) != 32 || hex.EncodeToString(h) != strings.ToLower(s)) {
			t.Fatalf("accepted %q as %x", s, h)
		}
	})
}

func FuzzParseBearer(f *testing.F) {
	f.Fuzz(func(t *testing.T, header string) {
		tok, err := ParseBearer(header)
		if err != nil {
			if !errors.Is(err, ErrBearer) {
				t.Fatalf("error %v does not wrap ErrBearer", err)
			}
			return
		}
		if tok == "" || len(tok) > maxTokenLen || strings.ContainsAny(tok, " \t\r\n") {
			t.Fatalf("accepted token %q from %q", tok, header)
		}
		if !strings.EqualFold(header[:7], "Bearer ") || !strings.HasSuffix(header, tok) ||
			strings.TrimLeft(header[7:], " ") != tok {
			t.Fatalf("token %q is not the credential of %q", tok, header)
		}
	})
}

func FuzzCheckpointQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		_, err := parseCheckpointQuery(raw)
		checkBadRequest(t, err)
	})
}

func FuzzEntriesQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseEntriesQuery(raw)
		checkBadRequest(t, err)
		if err == nil && !p.start.set && p.start.v != 0 {
			t.Fatalf("absent start has value %d", p.start.v)
		}
	})
}

func FuzzInclusionQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseInclusionQuery(raw)
		checkBadRequest(t, err)
		if err == nil && p.index.set == (p.leafHash != nil) {
			t.Fatalf("%q: want exactly one of index and leaf_hash, got %+v", raw, p)
		}
	})
}

func FuzzConsistencyQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseConsistencyQuery(raw)
		checkBadRequest(t, err)
		if err == nil && !p.first.set {
			t.Fatalf("%q: accepted without first", raw)
		}
	})
}

func TestParseUint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"7", 7, true}, {"18446744073709551615", 1<<64 - 1, true},
		{"", 0, false}, {"-1", 0, false}, {"+1", 0, false}, {"01", 0, false}, {"00", 0, false},
		{"1_000", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1e3", 0, false}, {"٣", 0, false},
		{"18446744073709551616", 0, false}, {"99999999999999999999999", 0, false},
	} {
		got, err := parseUint("n", tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseUint(%q) = %d, %v; want %d, ok %t", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// FuzzParseTilePath checks that accepted tile paths are canonical: the path
// rebuilt from the parsed values is the input.
func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"0/000", "1/x001/x234/067", "entries/001.p/44", "0/x000/001", "63/999.p/255", "entries"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := parseTilePath(s)
		checkBadRequest(t, err)
		if err != nil {
			return
		}
		want := strconv.FormatUint(uint64(tp.level), 10)
		if tp.entries {
			want = "entries"
		}
		n := fmt.Sprintf("%03d", tp.index%1000)
		for i := tp.index / 1000; i > 0; i /= 1000 {
			n = fmt.Sprintf("x%03d/%s", i%1000, n)
		}
		want += "/" + n
		if tp.width != 256 {
			want += fmt.Sprintf(".p/%d", tp.width)
		}
		if want != s {
			t.Fatalf("accepted %q, canonical form is %q", s, want)
		}
	})
}

// FuzzParseSearchQuery checks the search query parser answers every input
// with parameters or a 400 problem, and accepts only well-formed digests.
func FuzzParseSearchQuery(f *testing.F) {
	f.Add("digest=sha256:" + strings.Repeat("ab", 32) + "&after=3&limit=10")
	f.Add("digest=sha256:00&limit=101")
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseSearchQuery(raw)
		checkBadRequest(t, err)
		if err == nil && (len(p.digest) != 71 || p.limit < 1 || p.limit > MaxSearch) {
			t.Fatalf("accepted %q as %+v", raw, p)
		}
	})
}
