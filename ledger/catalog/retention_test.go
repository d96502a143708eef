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

func TestClassesCompliance(t *testing.T) {
	cl := DefaultClasses()
	if err := cl.SetCompliance("release-evidence"); err != nil {
		t.Fatal(err)
	}
	if err := cl.Set("release-evidence=10y"); err != nil {
		t.Fatal(err)
	}
	r, err := cl.Lookup("release-evidence")
	if err != nil || r.Mode != ModeCompliance || r.Period != "10y" || r.EffectiveMode() != ModeCompliance {
		t.Fatalf("Lookup(release-evidence) = %+v, %v; want compliance, 10y (Set keeps the flag)", r, err)
	}
	if r, _ := cl.Lookup("transient"); r.Mode != "" || r.EffectiveMode() != ModeGovernance {
		t.Fatalf("Lookup(transient) = %+v; want governance, recorded as no mode", r)
	}
	if err := cl.SetCompliance("forever"); !errors.Is(err, ErrUnknownRetention) {
		t.Fatalf("SetCompliance(forever) = %v, want ErrUnknownRetention", err)
	}
}

func TestClassesPolicy(t *testing.T) {
	cl := DefaultClasses()
	if err := cl.SetCompliance("release-evidence"); err != nil {
		t.Fatal(err)
	}
	p := cl.Policy()
	periods, compliance := p["retention_classes"].(map[string]string), p["retention_compliance"].(map[string]bool)
	if len(periods) != 5 || periods["transient"] != "7d" || periods["permanent-record"] != "none" {
		t.Fatalf("retention_classes = %v", periods)
	}
	if len(compliance) != 5 || !compliance["release-evidence"] || compliance["transient"] {
		t.Fatalf("retention_compliance = %v; want every class, only release-evidence on", compliance)
	}
}

func TestAddPeriod(t *testing.T) {
	from := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	if got, err := AddPeriod(from, "30d"); err != nil || !got.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("AddPeriod(30d) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "none", "0d", "3w", "-1y"} {
		if _, err := AddPeriod(from, bad); err == nil {
			t.Errorf("AddPeriod(%q) accepted", bad)
		}
	}
}
