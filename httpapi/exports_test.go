package httpapi_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/ledger/exports"
)

const problemBase = wire.ProblemBase

func TestExportVectorsOverHTTP(t *testing.T) {
	f := newExportFixture(t)
	for _, v := range loadExportVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sigs := `,"signatures":[{"type":"dsse","keyId":"` + v.KeyID + `","signature":"` + v.Signature + `"}]`
			before := f.size()
			for i := range len(v.JCS) {
				jcs := []byte(v.JCS)
				jcs[i] ^= 0x01
				body := append(append(jcs[:len(jcs)-1:len(jcs)-1], sigs...), jcs[len(jcs)-1])
				if r := f.post(f.writer, "acme", body); r.status < 400 || r.status > 499 {
					t.Fatalf("jcs byte %d changed: status %d, want a 4xx refusal: %s", i, r.status, r.body)
				}
			}
			if f.size() != before {
				t.Fatalf("log grew from %d to %d on refused submissions", before, f.size())
			}
			rc := f.post(f.writer, "acme", v.Submitted).receipt(t)
			if _, err := client.VerifyReceipt(rc, f.vkey, testOrigin); err != nil {
				t.Fatal(err)
			}
			if f.size() != before+1 {
				t.Fatalf("log size %d after one accepted export, want %d", f.size(), before+1)
			}
		})
	}
}

func TestExportBadInput(t *testing.T) {
	f := newExportFixture(t)
	base := newExport("acme", 1, exports.StatusSucceeded)
	otherKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	wrongTenant := base.with("tenantId", "other", "idempotencyKey", exports.IdempotencyKey(base["runId"].(string), base["artifactHash"].(string), "other"))
	huge := base.with("jobType", strings.Repeat("x", exports.MaxBodyBytes)).json(t)
	for _, tc := range []struct {
		name   string
		token  string // f.writer when empty
		tenant string // "acme" when empty; "-" omits the header
		body   []byte
		status int
		typ    string
	}{
		{name: "missing field", body: base.with("runId", nil).json(t), status: 422, typ: "export-missing-field"},
		{name: "bad hash", body: base.with("policyHash", "sha256:xyz").json(t), status: 422, typ: "export-invalid-hash"},
		{name: "bad uuid", body: base.with("runId", "not-a-uuid").json(t), status: 422, typ: "export-invalid-run-id"},
		{name: "local time", body: base.with("startedAt", "2025-12-02T01:00:00+01:00").json(t), status: 422, typ: "export-invalid-timestamp"},
		{name: "completed before started", body: base.with("completedAt", "2025-12-01T00:00:00Z").json(t), status: 422, typ: "export-completed-before-started"},
		{name: "unknown status", body: base.with("status", "done").json(t), status: 422, typ: "export-invalid-status"},
		{name: "unknown environment", body: base.with("environment", "qa").json(t), status: 422, typ: "export-invalid-environment"},
		{name: "external uri", body: base.with("logsPath", "https://example.com/logs").json(t), status: 422, typ: "export-invalid-path"},
		{name: "wrong idempotency key", body: base.with("idempotencyKey", "sha256:"+strings.Repeat("0", 64)).json(t), status: 422, typ: "export-idempotency-key-mismatch"},
		{name: "bad signature", body: base.signed(t, otherKey, "test-key-1"), status: 422, typ: "export-signature-invalid"},
		{name: "unknown key id", body: base.signed(t, f.key, "test-key-2"), status: 422, typ: "export-signature-untrusted-key"},
		{name: "unsigned where required", token: f.strict, tenant: "strict", body: newExport("strict", 1, "running").json(t), status: 422, typ: "export-signature-required"},
		{name: "oversized body", body: huge, status: 413, typ: "export-too-large"},
		{name: "wrong tenant header", tenant: "other", body: base.json(t), status: 403, typ: "export-tenant-mismatch"},
		{name: "missing tenant header", tenant: "-", body: base.json(t), status: 400, typ: "export-tenant-header-missing"},
		{name: "tenantId not the token's", body: wrongTenant.json(t), status: 403, typ: "export-tenant-mismatch"},
		{name: "missing scope", token: f.reader, body: base.json(t), status: 403, typ: "forbidden"},
		{name: "no token", token: "-", body: base.json(t), status: 401, typ: "unauthorized"},
		{name: "malformed json", body: []byte(`{"runId":`), status: 400, typ: "export-malformed-json"},
		{name: "trailing garbage", body: append(base.json(t), "x"...), status: 400, typ: "export-trailing-data"},
		{name: "unknown field", body: base.with("extra", "x").json(t), status: 400, typ: "export-unknown-field"},
		{name: "duplicate key", body: []byte(`{"status":"running","status":"failed"}`), status: 400, typ: "export-duplicate-key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			token, tenant := tc.token, tc.tenant
			if token == "" {
				token = f.writer
			} else if token == "-" {
				token = ""
			}
			if tenant == "" {
				tenant = "acme"
			} else if tenant == "-" {
				tenant = ""
			}
			before := f.size()
			r := f.post(token, tenant, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if p := r.problem(t); p.Type != problemBase+tc.typ {
				t.Fatalf("type %s, want %s (%s)", p.Type, problemBase+tc.typ, p.Detail)
			}
			if f.size() != before {
				t.Fatalf("log size went from %d to %d", before, f.size())
			}
		})
	}
}

// conflict decodes a 409 and checks its type and the pointer to the
// existing entry.
func conflict(t *testing.T, r response, typ string, index uint64) {
	t.Helper()
	if r.status != http.StatusConflict {
		t.Fatalf("status %d, want 409: %s", r.status, r.body)
	}
	var p struct {
		Type     string             `json:"type"`
		Existing wire.ExportPointer `json:"existing"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != problemBase+typ || p.Existing.Index != index || !strings.HasSuffix(p.Existing.Href, p.Existing.IdempotencyKey) {
		t.Fatalf("409 %s, want type %s pointing at index %d", r.body, typ, index)
	}
}

func TestExportStatusTransitions(t *testing.T) {
	f := newExportFixture(t)
	sub, err := f.bus.Subscribe(16, nil)
	if err != nil {
		t.Fatal(err)
	}
	pending := newExport("acme", 7, exports.StatusPending)
	first := f.post(f.writer, "acme", pending.json(t)).receipt(t)
	running := pending.with("status", exports.StatusRunning, "startedAt", "2025-12-02T00:00:01Z")
	second := f.post(f.writer, "acme", running.json(t)).receipt(t)
	if first.Type != exports.TypeIngested || second.Type != exports.TypeStatusChanged ||
		!bytes.Contains(second.Entry, []byte(`"previousStatus":"pending","previousIndex":`+strconv.FormatUint(first.Index, 10))) {
		t.Fatalf("types %s, %s; second entry %s", first.Type, second.Type, second.Entry)
	}
	size := f.size()
	conflict(t, f.post(f.writer, "acme", pending.json(t)), "export-duplicate", first.Index)
	conflict(t, f.post(f.writer, "acme", running.json(t)), "export-duplicate", second.Index)
	conflict(t, f.post(f.writer, "acme", pending.with("jobType", "other").json(t)), "export-transition-refused", second.Index)
	conflict(t, f.post(f.writer, "acme", running.with("jobType", "other").json(t)), "export-transition-refused", second.Index)
	if f.size() != size {
		t.Fatalf("refused submissions grew the log from %d to %d", size, f.size())
	}
	done := running.with("status", exports.StatusSucceeded, "completedAt", "2025-12-02T00:05:00Z")
	third := f.post(f.writer, "acme", done.json(t)).receipt(t)
	conflict(t, f.post(f.writer, "acme", running.with("status", exports.StatusCanceled).json(t)), "export-transition-refused", third.Index)
	for i, want := range []uint64{first.Index, second.Index, third.Index} {
		select {
		case e := <-sub.Events():
			if e.Type != exports.EventCreated || e.Index != want || e.Tenant != "acme" {
				t.Fatalf("event %d: %+v, want index %d", i, e, want)
			}
		default:
			t.Fatalf("event %d missing after the 201", i)
		}
	}
	got := f.get(f.writer, wire.ExportsPath+"/"+third.IdempotencyKey)
	var rc wire.ExportReceipt
	if err := json.Unmarshal(got.body, &rc); err != nil || rc.Index != third.Index || rc.Status != exports.StatusSucceeded || rc.Type != exports.TypeStatusChanged {
		t.Fatalf("GET after transitions: %s (%v)", got.body, err)
	}
}

func TestExportConcurrentDuplicates(t *testing.T) {
	f := newExportFixture(t)
	body := newExport("acme", 42, exports.StatusSucceeded).signed(t, f.key, "test-key-1")
	before := f.size()
	const n = 200
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+wire.ExportsPath, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+f.writer)
			req.Header.Set(wire.TenantHeader, "acme")
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[http.StatusCreated] != 1 || count[http.StatusConflict] != n-1 {
		t.Fatalf("statuses %v, want one 201 and %d x 409", count, n-1)
	}
	if f.size() != before+1 {
		t.Fatalf("log size %d, want %d", f.size(), before+1)
	}
}

// TestExportReceiptWithTlog verifies a receipt, and later the GET proof
// against the latest checkpoint, with golang.org/x/mod/sumdb/tlog and a
// checkpoint opened with sumdb/note, independently of the verifier package.
func TestExportReceiptWithTlog(t *testing.T) {
	f := newExportFixture(t)
	rc := f.post(f.writer, "acme", newExport("acme", 1, exports.StatusRunning).json(t)).receipt(t)
	tlogVerify(t, f.vkey, rc)
	for i := 2; i < 12; i++ {
		f.post(f.writer, "acme", newExport("acme", i, exports.StatusRunning).json(t)).receipt(t)
	}
	var later wire.ExportReceipt
	if err := json.Unmarshal(f.get(f.writer, wire.ExportsPath+"/"+rc.IdempotencyKey).body, &later); err != nil {
		t.Fatal(err)
	}
	if later.Index != rc.Index || later.TreeSize != f.size() || !bytes.Equal(later.Entry, rc.Entry) {
		t.Fatalf("GET: index %d size %d, want %d in %d", later.Index, later.TreeSize, rc.Index, f.size())
	}
	tlogVerify(t, f.vkey, later)
	if r := f.get(f.strict, wire.ExportsPath+"/"+rc.IdempotencyKey); r.status != 404 || r.problem(t).Type != problemBase+"export-not-found" {
		t.Fatalf("another tenant's GET: %d %s", r.status, r.body)
	}
}

func tlogVerify(t *testing.T, vkey string, rc wire.ExportReceipt) {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(rc.Checkpoint), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || lines[0] != testOrigin || uint64(size) != rc.TreeSize {
		t.Fatalf("checkpoint %q for receipt of size %d", n.Text, rc.TreeSize)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	proof := make(tlog.RecordProof, len(rc.InclusionProof))
	for i, h := range rc.InclusionProof {
		copy(proof[i][:], h)
	}
	leaf := tlog.RecordHash(rc.Entry)
	if !bytes.Equal(leaf[:], rc.LeafHash) || !bytes.Equal(leaf[:], leafHashOf(rc.Entry)) {
		t.Fatal("leaf hash differs from tlog.RecordHash of the entry")
	}
	if err := tlog.CheckRecord(proof, size, tlog.Hash(root), int64(rc.Index), leaf); err != nil {
		t.Fatalf("tlog.CheckRecord: %v", err)
	}
	proof[0][0] ^= 1
	if tlog.CheckRecord(proof, size, tlog.Hash(root), int64(rc.Index), leaf) == nil && len(proof) > 0 {
		t.Fatal("a flipped proof bit still verifies")
	}
}

func TestExportListing(t *testing.T) {
	f := newExportFixture(t)
	// Runs 3, 1, 2 with two artifacts each, started in reverse order, so
	// that neither submission order nor artifact order is runId, startedAt.
	for _, run := range []int{3, 1, 2} {
		for j, started := range []string{"2025-12-02T00:00:09Z", "2025-12-02T00:00:01.5Z"} {
			e := newExport("acme", run, exports.StatusRunning)
			art := "sha256:" + strings.Repeat(strconv.Itoa(j+1), 64)
			e = e.with("artifactHash", art, "startedAt", started, "idempotencyKey", exports.IdempotencyKey(e["runId"].(string), art, "acme"))
			f.post(f.writer, "acme", e.json(t)).receipt(t)
		}
	}
	f.post(f.strict, "strict", newExport("strict", 1, "running").signed(t, f.key, "x")) // refused: other tenant, untrusted
	all := listAll(t, f, "limit=4")
	var got []string
	for _, e := range all {
		var b struct{ RunID, StartedAt string }
		json.Unmarshal(e.Entry, &b)
		got = append(got, b.RunID[len(b.RunID)-1:]+"@"+b.StartedAt[17:])
	}
	want := "1@01.5Z 1@09Z 2@01.5Z 2@09Z 3@01.5Z 3@09Z"
	if strings.Join(got, " ") != want {
		t.Fatalf("order %v, want %s", got, want)
	}
	art := "sha256:" + strings.Repeat("2", 64)
	if byArt := listAll(t, f, "artifactHash="+art+"&limit=1"); len(byArt) != 3 {
		t.Fatalf("%d exports of artifact %s, want 3", len(byArt), art)
	}
	run := newExport("acme", 2, "")["runId"].(string)
	if both := listAll(t, f, "artifactHash="+art+"&runId="+run); len(both) != 1 {
		t.Fatalf("%d exports of (%s, %s), want 1", len(both), art, run)
	}
	for q, typ := range map[string]string{
		"tenant=strict": "export-tenant-mismatch", "limit=0": "export-invalid-query", "runId=x": "export-invalid-query",
		"cursor=" + base64.RawURLEncoding.EncodeToString([]byte("exports/k/x")): "export-invalid-cursor", "foo=1": "export-invalid-query",
	} {
		r := f.get(f.writer, wire.ExportsPath+"?"+q)
		if r.status < 400 || r.problem(t).Type != problemBase+typ {
			t.Errorf("?%s: %d %s, want %s", q, r.status, r.body, typ)
		}
	}
}

// listAll follows the cursor through every page of a listing.
func listAll(t *testing.T, f *exportFixture, q string) []wire.LogEntry {
	t.Helper()
	var all []wire.LogEntry
	cursor := ""
	for range 100 {
		path := wire.ExportsPath + "?" + q
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var page wire.ExportsPage
		r := f.get(f.writer, path)
		if r.status != 200 || json.Unmarshal(r.body, &page) != nil {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		all = append(all, page.Exports...)
		if cursor = page.NextCursor; cursor == "" {
			return all
		}
	}
	t.Fatal("listing does not end")
	return nil
}

// FuzzExportSubmit posts arbitrary bodies through the real handler: each
// answer is a 201 receipt that verifies or a 4xx problem, and a refusal
// never changes the log.
func FuzzExportSubmit(f *testing.F) {
	for _, v := range loadExportVectors(f) {
		f.Add([]byte(v.Submitted))
		f.Add([]byte(v.JCS))
	}
	f.Add(newExport("acme", 1, "pending").json(f))
	f.Add([]byte(`{"runId":"00000000-0000-4000-8000-000000000001"}`))
	shared := newExportFixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fx := *shared
		fx.t = t
		before := fx.size()
		r := fx.post(fx.writer, "acme", body)
		switch {
		case r.status == http.StatusCreated:
			if _, err := client.VerifyReceipt(r.receipt(t), fx.vkey, testOrigin); err != nil {
				t.Fatal(err)
			}
		case r.status >= 400 && r.status < 500:
			if p := r.problem(t); !strings.HasPrefix(p.Type, problemBase+"export-") {
				t.Fatalf("problem type %s", p.Type)
			}
			if fx.size() != before {
				t.Fatalf("refused body grew the log: %s", r.body)
			}
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
}
