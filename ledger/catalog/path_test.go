package catalog

import (
	"errors"
	"path"
	"strings"
	"testing"
	"unicode"
)

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		want error
	}{
		{"a", nil},
		{"reports/report.md", nil},
		{"a/b/c.d/e", nil},
		{"..a/b..", nil},
		{"ünïcode/ファイル.txt", nil},
		{"", ErrPathEmpty},
		{"/etc/passwd", ErrPathAbsolute},
		{"C:/x", ErrPathAbsolute},
		{"..", ErrPathDotDot},
		{"a/../b", ErrPathDotDot},
		{"a/..", ErrPathDotDot},
		{`a\b`, ErrPathBackslash},
		{`..\x`, ErrPathBackslash},
		{"a\x00b", ErrPathControl},
		{"a\nb", ErrPathControl},
		{"a\x7f", ErrPathControl},
		{"a\u0085b", ErrPathControl},
		{"a//b", ErrPathUnclean},
		{"./a", ErrPathUnclean},
		{"a/", ErrPathUnclean},
		{"a/./b", ErrPathUnclean},
		{"a\xffb", ErrPathUnclean},
		{strings.Repeat("a", MaxPathLen+1), ErrPathUnclean},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := ValidatePath(tt.path)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("ValidatePath(%q) = %v, want %v", tt.path, err, tt.want)
			}
		})
	}
}

func TestCheckObjectKey(t *testing.T) {
	if err := CheckObjectKey("packages/pkg_x/a"); !errors.Is(err, ErrPathReserved) {
		t.Fatalf("key under packages/ = %v, want ErrPathReserved", err)
	}
	if err := CheckObjectKey("packagesx/a"); err != nil {
		t.Fatalf("packagesx/a = %v", err)
	}
}

// FuzzValidatePath checks that every accepted path is clean, relative and
// free of the characters the design forbids, and that refusals name one of
// the sentinels.
func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/abs", `a\b`, "a\x00", "", "a//b", "C:x", "ü/ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		err := ValidatePath(p)
		if err != nil {
			for _, s := range []error{ErrPathEmpty, ErrPathAbsolute, ErrPathDotDot, ErrPathBackslash, ErrPathControl, ErrPathUnclean} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("ValidatePath(%q) = %v: no sentinel", p, err)
		}
		switch {
		case path.Clean(p) != p, path.IsAbs(p), strings.HasPrefix(p, "../"), p == "..", strings.Contains(p, "/../"),
			strings.ContainsRune(p, '\\'), strings.ContainsFunc(p, unicode.IsControl), len(p) > MaxPathLen:
			t.Fatalf("ValidatePath accepted %q", p)
		}
	})
}
