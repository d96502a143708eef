package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/local"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/retention"
)

// crashingStore closes the log once it has moved a blob: the
// deletion.completed entry is never appended, as if the server died.
type crashingStore struct {
	*local.Local
	crash func()
}

func (s crashingStore) Trash(ctx context.Context, d cas.Digest) error {
	err := s.Local.Trash(ctx, d)
	s.crash()
	return err
}

// TestDeletionCLIAndResume deletes, restores and sweeps with the CLI
// against `assay serve`, then interrupts a deletion after its bytes moved
// and before its end was logged: the restarted server finishes it with
// exactly one deletion.completed.
func TestDeletionCLIAndResume(t *testing.T) {
	data := t.TempDir()
	s := startServe(t, "--dev", "--data", data, "--retention-sweep-interval", "0")
	token := s.token // printed on the first start only
	cli := cliOf(t, s, token)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("deletable"), 0o600); err != nil {
		t.Fatal(err)
	}
	var p, q catalog.Package
	mustJSON(t, cli("package", "create", "--name", "build", "--retention", "transient"), &p)
	mustJSON(t, cli("package", "create", "--name", "other", "--retention", "transient"), &q)
	var added []catalog.File
	mustJSON(t, cli("package", "upload", p.ID, dir), &added)
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("interrupted"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustJSON(t, cli("package", "upload", q.ID, dir), &[]catalog.File{})

	var del retention.Deletion
	mustJSON(t, cli("retention", "delete", p.ID, "--reason", "early, by the dev token's retention:admin"), &del)
	if del.State != retention.StateDeleted || !del.Early {
		t.Fatalf("delete: %+v", del)
	}
	if _, err := run(t.Context(), "get", added[0].FileID, "--server", s.url, "--token", s.token); err == nil || !strings.Contains(err.Error(), "package deleted") {
		t.Fatalf("get of a deleted file: %v; want package deleted", err)
	}
	mustJSON(t, cli("retention", "restore", p.ID, "--reason", "needed"), &del)
	if del.State != retention.StateRestored || cli("get", added[0].FileID) != "deletable" {
		t.Fatalf("restore: %+v", del)
	}
	var sweep retention.SweepResult
	mustJSON(t, cli("retention", "sweep", "--dry-run"), &sweep)
	if !sweep.DryRun || len(sweep.Eligible) != 0 {
		t.Fatalf("sweep: %+v; nothing has expired", sweep)
	}
	if out := cli("retention", "purge"); !strings.Contains(out, `"purged": []`) {
		t.Fatalf("purge: %s", out)
	}
	s.stop(t)

	// The interruption: the same deletion code as the server's, stopped
	// after the move.
	lg := openAny(t, filepath.Join(data, "ledger"))
	st, err := local.Open(local.Config{Root: filepath.Join(data, "blobs"), KeyFile: filepath.Join(data, "keys", "store.key")})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := retention.NewService(retention.Config{Log: lg, Catalog: catalog.New(lg)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	d, err := retention.NewDeleter(retention.DeleterConfig{Service: rs, Store: crashingStore{Local: st, crash: func() { lg.Close() }}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Delete(ctx, "officer", "dev", q.ID, retention.DeleteRequest{Reason: "r", Admin: true}); err == nil {
		t.Fatal("the interrupted deletion ended")
	}
	lg = openAny(t, filepath.Join(data, "ledger"))
	rs, err = retention.NewService(retention.Config{Log: lg, Catalog: catalog.New(lg)})
	if err != nil {
		t.Fatal(err)
	}
	if dl, err := rs.Deletion("dev", q.ID); err != nil || dl == nil || dl.State != retention.StateStarted {
		t.Fatalf("before the restart: %+v, %v; want a started deletion", dl, err)
	}
	lg.Close()

	s = startServe(t, "--dev", "--data", data, "--retention-sweep-interval", "0")
	defer s.stop(t)
	cli = cliOf(t, s, token)
	var v retention.View
	mustJSON(t, cli("retention", "show", q.ID), &v)
	var types []string
	for _, e := range v.Events {
		types = append(types, e.Type)
	}
	want := []string{catalog.TypePackageCreated, retention.TypeDeletionStarted, retention.TypeDeletionCompleted}
	if v.Deletion == nil || v.Deletion.State != retention.StateDeleted || !slices.Equal(types, want) {
		t.Fatalf("after the restart: %+v, events %v; want %v", v.Deletion, types, want)
	}
}
