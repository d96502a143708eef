package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMemoryBudgetFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  string
	}{
		{"1GiB", 1 << 30, ""},
		{"512MiB", 512 << 20, ""},
		{"2 GB", 2_000_000_000, ""},
		{"0", 0, ""},
		{"268435456", 256 << 20, ""},
		{"100MiB", 0, "at least 256 MiB"},
		{"lots", 0, "want a size"},
		{"-1GiB", 0, "want a size"},
		{"", 0, "want a size"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := memoryBudget(tc.in)
			if tc.err == "" && (err != nil || got != tc.want) {
				t.Fatalf("%q: %d, %v; want %d", tc.in, got, err, tc.want)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("%q: %d, %v; want an error saying %q", tc.in, got, err, tc.err)
			}
		})
	}
}

// TestServeRefusesSmallBudget: a budget below the minimum stops serve
// before it writes anything.
func TestServeRefusesSmallBudget(t *testing.T) {
	data := filepath.Join(t.TempDir(), "var")
	_, err := run(t.Context(), "serve", "--dev", "--data", data, "--addr", "127.0.0.1:0", "--memory-budget", "64MiB")
	if err == nil || !strings.Contains(err.Error(), "--memory-budget") {
		t.Fatalf("serve with a 64MiB budget: %v", err)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("the data directory exists after a refused start: %v", err)
	}
}
