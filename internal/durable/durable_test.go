package durable

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteFileReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "state.json")
	for _, data := range []string{"one", "two, longer"} {
		if err := WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != data {
			t.Fatalf("read %q, %v; want %q", got, err, data)
		}
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	assertOnly(t, filepath.Dir(p), "state.json")
}

func TestCreateFileNeverReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "key")
	if err := CreateFile(p, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := CreateFile(p, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second create: %v, want ErrExist", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "first" {
		t.Fatalf("existing file changed to %q", got)
	}
	assertOnly(t, filepath.Dir(p), "key")
}

func TestMkdirAllAndErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "c")
	if err := MkdirAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	if err := SyncDir(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("SyncDir of a missing directory succeeded")
	}
}

// assertOnly fails unless dir holds exactly the named file: no temporary
// file is left behind.
func assertOnly(t *testing.T, dir, name string) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Name() != name {
		t.Fatalf("directory holds %v, want only %s", es, name)
	}
}

func TestLinkTemp(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "blobs", "ab", "abcd")
	write := func(data string) *os.File {
		t.Helper()
		f, err := os.CreateTemp(root, "put-*")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteString(data); err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name        string
		data        string
		wantExisted bool
	}{
		{"creates the directories and the file", "content", false},
		{"leaves an existing file alone", "other", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			existed, err := LinkTemp(write(tc.data), path)
			if err != nil || existed != tc.wantExisted {
				t.Fatalf("LinkTemp = %v, %v; want existed %v", existed, err, tc.wantExisted)
			}
			if got, _ := os.ReadFile(path); string(got) != "content" {
				t.Fatalf("file holds %q, want the first content", got)
			}
			assertOnly(t, root, "blobs")
		})
	}
}
