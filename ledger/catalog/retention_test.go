package catalog

import (
	"errors"
	"testing"
	"time"
)

func TestRetention(t *testing.T) {
	created := time.Date(2026, 2, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		class string
		want  *time.Time
	}{
		{"transient", new(time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC))},
		{"raw-evidence", new(time.Date(2026, 5, 29, 12, 0, 0, 0, time.UTC))},
		{"summary-evidence", new(time.Date(2027, 2, 28, 12, 0, 0, 0, time.UTC))},
		{"release-evidence", new(time.Date(2033, 2, 28, 12, 0, 0, 0, time.UTC))},
		{"permanent-record", nil},
	}
	cl := DefaultClasses()
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			r, err := cl.Lookup(tt.class)
			if err != nil {
				t.Fatal(err)
			}
			got, err := expiry(created, r.Period)
			if err != nil || (got == nil) != (tt.want == nil) || got != nil && !got.Equal(*tt.want) {
				t.Fatalf("expiry = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := cl.Lookup("forever"); !errors.Is(err, ErrUnknownRetention) {
		t.Fatalf("Lookup(forever) = %v", err)
	}
}

func TestClassesSet(t *testing.T) {
	tests := []struct {
		spec string
		ok   bool
	}{
		{"raw-evidence=30d", true},
		{"audit=10y", true},
		{"transient=none", true},
		{"x", false},
		{"=5d", false},
		{"x=5w", false},
		{"x=0d", false},
		{"x=-1d", false},
		{"x=05d", false},
		{"x=d", false},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			if err := DefaultClasses().Set(tt.spec); (err == nil) != tt.ok {
				t.Fatalf("Set(%q) = %v, want ok=%v", tt.spec, err, tt.ok)
			}
		})
	}
}
