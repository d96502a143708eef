package local

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/assay-ledger/assay/cas"
)

func TestSweepTemp(t *testing.T) {
	l := open(t, false, false)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ages := map[string]time.Duration{"put-old": 2 * time.Hour, "put-older": 48 * time.Hour, "put-new": time.Minute}
	for name, age := range ages {
		p := filepath.Join(l.tmpDir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := l.SweepTemp(t.Context(), now.Add(-time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("SweepTemp = %d, %v; want 2 removed", n, err)
	}
	if left := files(t, l.tmpDir); !slices.Equal(left, []string{"put-new"}) {
		t.Fatalf("left %q, want only put-new", left)
	}
}

func TestHealthUnavailable(t *testing.T) {
	l := open(t, false, false)
	if err := os.RemoveAll(l.root); err != nil {
		t.Fatal(err)
	}
	if err := l.Health(t.Context()); !errors.Is(err, cas.ErrUnavailable) {
		t.Fatalf("Health with the root gone = %v, want ErrUnavailable", err)
	}
}
