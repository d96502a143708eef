package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestHistoryCLI lands objects through assay put and reads them back with
// assay history (table, --json, --ndjson, filters, --max over pages) and
// assay timeline artifact.
func TestHistoryCLI(t *testing.T) {
	s := startServe(t, "--dev", "--data", t.TempDir())
	defer s.stop(t)
	cli := cliOf(t, s, s.token)
	dir := t.TempDir()
	for i := range 5 {
		src := filepath.Join(dir, fmt.Sprintf("f%d.txt", i))
		if err := os.WriteFile(src, fmt.Appendf(nil, "content %d", i%2), 0o600); err != nil {
			t.Fatal(err)
		}
		cli("put", src, "--key", fmt.Sprintf("runs/r%d/f.txt", i))
	}
	var all []wire.HistoryEntry
	mustJSON(t, cli("history", "--zone", "raw", "--key-prefix", "runs/", "--json", "--max", "0"), &all)
	if len(all) != 5 || all[0].Type != "object.put" || all[0].Index >= all[4].Index {
		t.Fatalf("history --zone raw: %+v", all)
	}
	var two []wire.HistoryEntry
	mustJSON(t, cli("history", "--type", "object.*", "--desc", "--max", "2", "--json"), &two)
	if len(two) != 2 || two[0].Index != all[4].Index || two[1].Index != all[3].Index {
		t.Fatalf("history --desc --max 2: %+v, want indexes %d, %d", two, all[4].Index, all[3].Index)
	}
	sum := sha256.Sum256([]byte("content 1"))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	sc := bufio.NewScanner(strings.NewReader(cli("timeline", "artifact", digest, "--ndjson")))
	var lines int
	for sc.Scan() {
		var e wire.HistoryEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || !strings.Contains(string(e.Body), digest) {
			t.Fatalf("timeline line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if lines != 2 {
		t.Fatalf("timeline of %s: %d entries, want the 2 puts of that content", digest, lines)
	}
	table := cli("history", "--zone", "raw", "--key-prefix", "runs/r3/")
	if rows := strings.Split(strings.TrimSpace(table), "\n"); len(rows) != 2 || !strings.HasPrefix(rows[0], "INDEX") ||
		!strings.Contains(rows[1], "object.put") || !strings.HasPrefix(rows[1], fmt.Sprint(all[3].Index)) {
		t.Fatalf("table:\n%s", table)
	}
	// assay tail replays after --from and, with --no-follow, stops at the head.
	sc = bufio.NewScanner(strings.NewReader(cli("tail", "--from", fmt.Sprint(all[1].Index), "--no-follow", "--ndjson", "--type", "object.put")))
	var tailed []uint64
	for sc.Scan() {
		var e wire.HistoryEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		tailed = append(tailed, e.Index)
	}
	if fmt.Sprint(tailed) != fmt.Sprint([]uint64{all[2].Index, all[3].Index, all[4].Index}) {
		t.Fatalf("tail --from %d: %v", all[1].Index, tailed)
	}
	if _, err := run(t.Context(), "tail", "--zone", "attic", "--server", s.url, "--token", s.token); err == nil || !strings.Contains(err.Error(), "zone") {
		t.Fatalf("tail with a bad filter: %v", err)
	}
	if _, err := run(t.Context(), "history", "--since", "yesterday", "--server", s.url, "--token", s.token); err == nil || !strings.Contains(err.Error(), "since") {
		t.Fatalf("a malformed --since: %v", err)
	}
}
