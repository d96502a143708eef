package ledger

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestEntriesWithDigest(t *testing.T) {
	l, _ := newTestLog(t)
	a := "sha256:" + strings.Repeat("ab", 32)
	b := "sha256:" + strings.Repeat("0c", 32)
	bodies := []string{
		`{"artifactHash":"` + a + `"}`, // 0: a
		`{"n":1}`,                      // 1: none
		`{"files":[{"d":"` + a[:7] + strings.ToUpper(a[7:]) + `"},{"d":"` + b + `"}]}`, // 2: a (upper case hex), b
		`{"x":"` + a + `","y":"` + a + `"}`,                                            // 3: a twice
		`{"short":"sha256:abcd","long":"` + b + `00"}`,                                 // 4: neither
		`{"text":"see ` + b + `"}`,                                                     // 5: not a whole value
	}
	for _, body := range bodies {
		if _, err := l.Append(t.Context(), Entry{Type: "test.entry", Body: []byte(body)}); err != nil {
			t.Fatal(err)
		}
	}
	fill(t, l, 300, 8) // entries with no digest in between
	if _, err := l.Append(t.Context(), Entry{Type: "test.entry", Body: []byte(`{"late":"` + b + `"}`)}); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, tc := range []struct {
		digest string
		after  *uint64
		limit  int
		want   []uint64
	}{
		{a, nil, 10, []uint64{0, 2, 3}},
		{"sha256:" + strings.ToUpper(a[7:]), nil, 10, []uint64{0, 2, 3}},
		{b, nil, 10, []uint64{2, 306}},
		{a, nil, 2, []uint64{0, 2}},
		{a, ptr(2), 10, []uint64{3}},
		{"sha256:" + strings.Repeat("11", 32), nil, 10, nil},
	} {
		got, err := l.EntriesWithDigest(ctx, tc.digest, tc.after, tc.limit)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Fatalf("EntriesWithDigest(%s, %v, %d) = %v, %v; want %v", tc.digest, tc.after, tc.limit, got, err, tc.want)
		}
	}
	for _, bad := range []string{a[7:], "sha256:" + a[8:], "md5:" + a[7:], a + "00", "sha256:" + strings.Repeat("zz", 32)} {
		if _, err := l.EntriesWithDigest(ctx, bad, nil, 10); !errors.Is(err, ErrInvalidRange) {
			t.Fatalf("malformed digest %q: %v", bad, err)
		}
	}
	// An import rebuilds the index.
	dst := openLog(t, t.TempDir(), newKeys(t), nil)
	defer dst.Close()
	size, _ := l.Head()
	if _, err := dst.Import(ctx, 0, entries(t, l, 0, size), root(t, l, 0), root(t, l, size)); err != nil {
		t.Fatal(err)
	}
	if got, _ := dst.EntriesWithDigest(ctx, b, nil, 10); !slices.Equal(got, []uint64{2, 306}) {
		t.Fatalf("imported index for b: %v", got)
	}
}

func ptr(v uint64) *uint64 { return &v }
