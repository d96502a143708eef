package httpapi_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// histFacts is what the test itself reads from an entry, independently
// of the server's indexes: the objects (zone/key), packages, runs and
// digests its body names.
type histFacts struct {
	rec      *ledger.Record
	keys     []string
	packages []string
	runs     []string
	digests  []string
}

var digestRE = regexp.MustCompile(`"sha256:([0-9a-fA-F]{64})"`)

func factsOf(t *testing.T, data []byte) histFacts {
	t.Helper()
	rec, err := ledger.ParseRecord(data)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Zone, Key string
		PackageID string             `json:"package_id"`
		RunID     string             `json:"run_id"`
		RunID2    string             `json:"runId"`
		SourceKey string             `json:"source_key"`
		Object    *catalog.ObjectRef `json:"object"`
		Golden    *catalog.ObjectRef `json:"golden"`
	}
	if err := json.Unmarshal(rec.Body, &b); err != nil {
		t.Fatal(err)
	}
	f := histFacts{rec: rec}
	if b.Zone != "" && b.Key != "" {
		f.keys = append(f.keys, b.Zone+"/"+b.Key)
	}
	if b.SourceKey != "" {
		f.keys = append(f.keys, "raw/"+b.SourceKey)
	}
	for _, o := range []*catalog.ObjectRef{b.Object, b.Golden} {
		if o != nil {
			f.keys = append(f.keys, o.Zone+"/"+o.Key)
		}
	}
	for _, p := range []string{b.PackageID} {
		if p != "" {
			f.packages = append(f.packages, p)
		}
	}
	for _, r := range []string{b.RunID, b.RunID2} {
		if r != "" {
			f.runs = append(f.runs, r)
		}
	}
	for _, m := range digestRE.FindAllSubmatch(rec.Body, -1) {
		f.digests = append(f.digests, strings.ToLower(string(m[1])))
	}
	return f
}

// matches is the brute-force answer to a history query string for a
// reader of tenant (all tenants when audit).
func (h histFacts) matches(t *testing.T, raw, tenant string, audit bool) bool {
	t.Helper()
	q, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	r := h.rec
	if v, ok := q["tenant"]; ok {
		if r.Tenant != v[0] {
			return false
		}
	} else if !audit && r.Tenant != tenant && r.Tenant != "" {
		return false
	}
	if ts := q["type"]; len(ts) > 0 && !slices.ContainsFunc(ts, func(typ string) bool {
		fam, ok := strings.CutSuffix(typ, ".*")
		return typ == r.Type || ok && strings.HasPrefix(r.Type, fam+".")
	}) {
		return false
	}
	has := func(name string, list []string, norm func(string) string) bool {
		v, ok := q[name]
		return !ok || slices.Contains(list, norm(v[0]))
	}
	same := func(s string) string { return s }
	if !has("package", h.packages, same) || !has("run_id", h.runs, same) ||
		!has("digest", h.digests, func(d string) string { return strings.ToLower(strings.TrimPrefix(d, "sha256:")) }) {
		return false
	}
	if v, ok := q["actor"]; ok && r.Actor != v[0] {
		return false
	}
	if z, ok := q["zone"]; ok {
		prefix := z[0] + "/" + q.Get("key_prefix")
		if !slices.ContainsFunc(h.keys, func(k string) bool { return strings.HasPrefix(k, prefix) }) {
			return false
		}
	}
	for name, keep := range map[string]func(time.Time) bool{
		"since": func(s time.Time) bool { return !r.Time.Before(s) },
		"until": func(u time.Time) bool { return !r.Time.After(u) },
	} {
		if v, ok := q[name]; ok {
			at, err := time.Parse(time.RFC3339Nano, v[0])
			if err != nil {
				t.Fatal(err)
			}
			if !keep(at) {
				return false
			}
		}
	}
	return true
}

// historyFixture is the isolation fixture with more of both tenants'
// objects, reads and packages, and an auditor's token.
type historyFixture struct {
	*isoFixture
	auditor string
	facts   []histFacts
	shared  string // the digest of content both tenants landed
}

func newHistoryFixture(t *testing.T) *historyFixture {
	f := &historyFixture{isoFixture: newIsoFixture(t)}
	f.auditor = newToken(t, f.tokens, "auditor", "ops", httpapi.ScopeLogRead, httpapi.ScopeLogAudit)
	ctx := t.Context()
	sum := sha256.Sum256([]byte("shared content"))
	f.shared = "sha256:" + hex.EncodeToString(sum[:])
	for _, tok := range []string{f.owner, f.other} {
		cli, err := client.New(f.srv.URL, tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 24 {
			key := fmt.Sprintf("d%d/sub%d/f%d.txt", i%3, i%2, i)
			content := fmt.Sprintf("content %d", i%5)
			if i%6 == 0 {
				content = "shared content"
			}
			if _, err := cli.Land(ctx, key, strings.NewReader(content), int64(len(content)), "text/plain", nil, catalog.Landing{}); err != nil {
				t.Fatal(err)
			}
			if i%4 == 0 {
				if r := f.send(isoReq{method: http.MethodGet, path: "/v1/objects/raw/" + key}, tok); r.status != http.StatusOK {
					t.Fatalf("read %s: %d %s", key, r.status, r.body)
				}
			}
		}
		p, err := cli.CreatePackage(ctx, map[string]any{"name": "pkg", "producer": "p", "run_id": "run-h", "retention_class": "transient"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.UploadFiles(ctx, p.ID, []client.UploadFile{{Path: "x/shared.txt", Body: strings.NewReader("shared content")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := cli.ExtendRetention(ctx, p.ID, wire.ExtendRetentionRequest{Duration: "30d", Reason: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	// The system's entries (tenant ""), which every reader sees.
	for i := range 3 {
		body := fmt.Sprintf(`{"note":"system %d","artifactHash":%q}`, i, f.shared)
		if _, err := f.log.Append(ctx, ledger.Entry{Type: "system.note", Actor: "assay", Body: json.RawMessage(body)}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := f.log.Entries(0, f.size())
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range raw {
		f.facts = append(f.facts, factsOf(t, data))
	}
	return f
}

// pages reads every page of path (a query string without cursor) as
// token, and returns the indexes in the order answered.
func (f *historyFixture) pages(t *testing.T, path, token string) []uint64 {
	t.Helper()
	var got []uint64
	cursor := ""
	for range 1000 {
		r := f.send(isoReq{method: http.MethodGet, path: path + cursor}, token)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path+cursor, r.status, r.body)
		}
		var page wire.HistoryPage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Entries {
			got = append(got, e.Index)
		}
		if page.NextCursor == "" {
			return got
		}
		cursor = "&cursor=" + page.NextCursor
	}
	t.Fatalf("GET %s: more than 1000 pages", path)
	return nil
}

// TestHistoryFilters checks every filter, alone and together, in both
// orders and across pages, against a brute-force reading of the log, for
// a tenant (its own and the system's entries) and for an auditor.
func TestHistoryFilters(t *testing.T) {
	f := newHistoryFixture(t)
	mid := f.facts[len(f.facts)/3].rec.Time.Format(time.RFC3339Nano)
	late := f.facts[2*len(f.facts)/3].rec.Time.Format(time.RFC3339Nano)
	queries := []string{
		"", "type=object.put", "type=object.*&type=promotion.*", "type=retention.extended", "actor=owner", "actor=intruder",
		"zone=raw", "zone=golden", "zone=raw&key_prefix=d1/", "zone=raw&key_prefix=d1/sub0/", "zone=raw&key_prefix=d2/sub1/f1",
		"zone=raw&key_prefix=acme-secret-obj/b.txt", "digest=" + f.shared, "digest=" + f.digest[:7] + strings.ToUpper(f.digest[7:]),
		"package=" + f.pkg, "run_id=run-h", "run_id=0b5e4c2a-9d1f-4e7a-8c3b-2f6d1a9e7c40", "since=" + mid, "until=" + mid,
		"since=" + mid + "&until=" + late + "&type=object.*", "type=object.read&zone=raw&key_prefix=d0/", "tenant=acme",
		"digest=" + f.shared + "&type=file.added", "type=nothing.*",
	}
	readers := []struct {
		name, token, tenant string
		audit               bool
	}{{"tenant", f.owner, "acme", false}, {"auditor", f.auditor, "ops", true}}
	for _, rd := range readers {
		qs := queries
		if rd.audit {
			qs = append(qs, "tenant=evil", "tenant=evil&zone=raw&key_prefix=d1/")
		}
		for _, q := range qs {
			var want []uint64
			for _, h := range f.facts {
				if h.matches(t, q, rd.tenant, rd.audit) {
					want = append(want, h.rec.Index)
				}
			}
			if q == "" && len(want) < 40 || q == "digest="+f.shared && len(want) < 6 {
				t.Fatalf("%s %q: only %d entries, the fixture is too small to test much", rd.name, q, len(want))
			}
			if got := f.pages(t, "/v1/history?limit=7&"+q, rd.token); !slices.Equal(got, want) {
				t.Errorf("%s %q ascending: %v, want %v", rd.name, q, got, want)
			}
			slices.Reverse(want)
			if got := f.pages(t, "/v1/history?order=desc&limit=1000&"+q, rd.token); !slices.Equal(got, want) {
				t.Errorf("%s %q descending: %v, want %v", rd.name, q, got, want)
			}
		}
	}
}

// TestHistoryProofs checks that ?proofs=true proves every answered entry
// against the answer's checkpoint with golang.org/x/mod/sumdb/tlog, and
// that the entry bytes are the ones proven.
func TestHistoryProofs(t *testing.T) {
	f := newHistoryFixture(t)
	for _, path := range []string{"/v1/history?proofs=true&zone=raw&key_prefix=d1/", "/v1/artifacts/" + f.shared + "/timeline?proofs=true"} {
		r := f.send(isoReq{method: http.MethodGet, path: path}, f.owner)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		var page wire.HistoryPage
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) < 5 || page.Checkpoint == "" {
			t.Fatalf("GET %s: %d entries, checkpoint %q", path, len(page.Entries), page.Checkpoint)
		}
		lines := strings.Split(page.Checkpoint, "\n")
		rootB, err := base64.StdEncoding.DecodeString(lines[2])
		if err != nil || lines[1] != fmt.Sprint(page.TreeSize) {
			t.Fatalf("checkpoint %q for size %d: %v", page.Checkpoint, page.TreeSize, err)
		}
		var root tlog.Hash
		copy(root[:], rootB)
		for _, e := range page.Entries {
			proof := make(tlog.RecordProof, len(e.Proof))
			for i, h := range e.Proof {
				copy(proof[i][:], h)
			}
			if err := tlog.CheckRecord(proof, int64(page.TreeSize), root, int64(e.Index), tlog.RecordHash(e.Entry)); err != nil {
				t.Fatalf("entry %d: %v", e.Index, err)
			}
			// A body that says something else than the proven bytes fails.
			rec, err := ledger.ParseRecord(e.Entry)
			if err != nil || !bytes.Equal(rec.Body, e.Body) || rec.Type != e.Type || rec.Index != e.Index {
				t.Fatalf("entry %d: decoded fields differ from the proven bytes (%v)", e.Index, err)
			}
		}
	}
}

// TestTimelines checks an artifact's timeline (every entry naming the
// digest, and the retention of the packages holding it) and a package's.
func TestTimelines(t *testing.T) {
	f := newHistoryFixture(t)
	var pkgs []string
	var want, wantPkg []uint64
	for _, h := range f.facts {
		if h.rec.Type == catalog.TypeFileAdded && slices.Contains(h.digests, strings.TrimPrefix(f.shared, "sha256:")) && h.rec.Tenant == "acme" {
			pkgs = append(pkgs, h.packages...)
		}
	}
	if len(pkgs) != 1 {
		t.Fatalf("acme has %d packages with the shared file, want 1", len(pkgs))
	}
	types := map[string]bool{}
	for _, h := range f.facts {
		if h.rec.Tenant != "acme" && h.rec.Tenant != "" {
			continue
		}
		if slices.Contains(h.digests, strings.TrimPrefix(f.shared, "sha256:")) || slices.Contains(h.packages, pkgs[0]) {
			want = append(want, h.rec.Index)
			types[h.rec.Type] = true
		}
		if slices.Contains(h.packages, pkgs[0]) {
			wantPkg = append(wantPkg, h.rec.Index)
		}
	}
	for _, typ := range []string{catalog.TypeObjectPut, catalog.TypeObjectRead, catalog.TypeFileAdded, catalog.TypePackageCreated, "retention.extended"} {
		if !types[typ] {
			t.Fatalf("the timeline should hold a %s entry; has %v", typ, types)
		}
	}
	if got := f.pages(t, "/v1/artifacts/"+f.shared+"/timeline?limit=3", f.owner); !slices.Equal(got, want) {
		t.Fatalf("artifact timeline %v, want %v", got, want)
	}
	if got := f.pages(t, "/v1/packages/"+pkgs[0]+"/timeline?limit=2", f.owner); !slices.Equal(got, wantPkg) {
		t.Fatalf("package timeline %v, want %v", got, wantPkg)
	}
	slices.Reverse(wantPkg)
	if got := f.pages(t, "/v1/packages/"+pkgs[0]+"/timeline?order=desc", f.owner); !slices.Equal(got, wantPkg) {
		t.Fatalf("package timeline descending %v, want %v", got, wantPkg)
	}
}

// TestHistoryExport checks that the three formats carry the rows of the
// same query, that the Parquet file reads back with a Parquet reader, and
// that a flattened row has the object's zone, key, digest and size.
func TestHistoryExport(t *testing.T) {
	f := newHistoryFixture(t)
	q := "zone=raw&key_prefix=d"
	want := f.pages(t, "/v1/history?limit=1000&"+q, f.owner)
	get := func(format string) []byte {
		r := f.send(isoReq{method: http.MethodGet, path: "/v1/history/export?format=" + format + "&" + q}, f.owner)
		if r.status != http.StatusOK {
			t.Fatalf("export %s: %d %s", format, r.status, r.body)
		}
		return r.body
	}
	var nd []wire.HistoryRow
	sc := bufio.NewScanner(bytes.NewReader(get("ndjson")))
	for sc.Scan() {
		var row wire.HistoryRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		nd = append(nd, row)
	}
	var idx []uint64
	for _, row := range nd {
		idx = append(idx, row.LedgerIndex)
		if row.Type == catalog.TypeObjectPut && (row.Zone != "raw" || !strings.HasPrefix(row.Key, "d") || row.Size == 0 || !strings.HasPrefix(row.Digest, "sha256:")) {
			t.Fatalf("object.put row without its object: %+v", row)
		}
	}
	if !slices.Equal(idx, want) || len(want) < 20 {
		t.Fatalf("ndjson rows %v, want the history's %v", idx, want)
	}
	recs, err := csv.NewReader(bytes.NewReader(get("csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], wire.HistoryColumns) || len(recs) != len(nd)+1 {
		t.Fatalf("csv: header %v, %d rows; want %v and %d", recs[0], len(recs)-1, wire.HistoryColumns, len(nd))
	}
	for i, row := range nd {
		c := recs[i+1]
		if c[1] != row.Type || c[5] != row.Key || c[6] != row.Digest || c[8] != fmt.Sprint(row.LedgerIndex) || c[7] != fmt.Sprint(row.Size) {
			t.Fatalf("csv row %d %v, ndjson %+v", i, c, row)
		}
	}
	pq := get("parquet")
	rows, err := parquet.Read[wire.HistoryRow](bytes.NewReader(pq), int64(len(pq)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(nd) {
		t.Fatalf("parquet: %d rows, want %d", len(rows), len(nd))
	}
	for i := range rows {
		a, b := rows[i], nd[i]
		if !a.EventTime.Equal(b.EventTime.Truncate(time.Microsecond)) {
			t.Fatalf("parquet row %d time %v, want %v", i, a.EventTime, b.EventTime)
		}
		a.EventTime, b.EventTime = time.Time{}, time.Time{}
		if a != b {
			t.Fatalf("parquet row %d %+v, want %+v", i, a, b)
		}
	}
}

// TestHistoryBadInput checks that each malformed query is a 4xx problem
// naming what is wrong, and that nothing is written.
func TestHistoryBadInput(t *testing.T) {
	f := newHistoryFixture(t)
	size := f.size()
	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/v1/history?colour=red", 400, "unknown parameter"},
		{"/v1/history?since=yesterday", 400, "since"},
		{"/v1/history?until=2026-13-01T00:00:00Z", 400, "until"},
		{"/v1/history?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", 400, "after until"},
		{"/v1/history?cursor=abc", 400, "cursor"},
		{"/v1/history?cursor=-1", 400, "cursor"},
		{fmt.Sprintf("/v1/history?cursor=%d", size+5), 400, "beyond"},
		{"/v1/history?limit=0", 400, "limit"},
		{"/v1/history?limit=1001", 400, "limit"},
		{"/v1/history?tenant=evil", 403, "log:audit"},
		{"/v1/history?key_prefix=d1/", 400, "zone"},
		{"/v1/history?zone=attic", 400, "zone"},
		{"/v1/history?digest=sha256:abc", 400, "digest"},
		{"/v1/history?type=Not%20A%20Type", 400, "type"},
		{"/v1/history?type=.*", 400, "type"},
		{"/v1/history?order=sideways", 400, "order"},
		{"/v1/history?proofs=maybe", 400, "proofs"},
		{"/v1/history?actor=", 400, "actor"},
		{"/v1/history?actor=a&actor=b", 400, "actor"},
		{"/v1/history?a=%zz", 400, "malformed"},
		{"/v1/history/export", 400, "format"},
		{"/v1/history/export?format=xlsx", 400, "format"},
		{"/v1/history/export?format=csv&cursor=3", 400, "unknown parameter"},
		{"/v1/history/export?format=csv&tenant=evil", 403, "log:audit"},
		{"/v1/artifacts/sha256:zz/timeline", 400, "digest"},
		{"/v1/artifacts/" + f.shared + "/timeline?type=object.put", 400, "unknown parameter"},
		{"/v1/packages/pkg_nope/timeline", 404, "pkg_nope"},
		{"/v1/packages/" + f.pkg + "/timeline?limit=5000", 400, "limit"},
	}
	for _, c := range cases {
		r := f.send(isoReq{method: http.MethodGet, path: c.path}, f.owner)
		if r.status != c.status {
			t.Errorf("GET %s: %d %s, want %d", c.path, r.status, r.body, c.status)
			continue
		}
		if p := r.problem(t); !strings.Contains(p.Detail, c.want) {
			t.Errorf("GET %s: detail %q does not say %q", c.path, p.Detail, c.want)
		}
	}
	if f.size() != size {
		t.Fatalf("bad queries wrote: log %d -> %d", size, f.size())
	}
}
