package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/httpapi"
	"github.com/assay-ledger/assay/ledger"
)

func TestSearchByDigest(t *testing.T) {
	f := newFixture(t, 5)
	digest := "sha256:" + strings.Repeat("5a", 32)
	var want []uint64
	for i := range 7 {
		body := json.RawMessage(fmt.Sprintf(`{"artifactHash":%q,"n":%d}`, digest, i))
		a, err := f.log.Append(t.Context(), ledger.Entry{Type: "test.entry", Actor: "t", Body: body})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, a.Record.Index)
		f.append(3)
	}
	v, _ := note.NewVerifier(f.vkey)
	var got []uint64
	next := ""
	for page := 0; ; page++ {
		var res httpapi.SearchResult
		f.getJSON("/v1/log/search?limit=3&digest="+digest+next, &res)
		n, err := note.Open([]byte(res.Checkpoint), note.VerifierList(v))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(n.Text, "\n")
		var root tlog.Hash
		b, _ := base64.StdEncoding.DecodeString(lines[2])
		copy(root[:], b)
		for _, hit := range res.Entries {
			proof := make(tlog.RecordProof, len(hit.Proof))
			for i, h := range hit.Proof {
				copy(proof[i][:], h)
			}
			if err := tlog.CheckRecord(proof, int64(res.TreeSize), root, int64(hit.Index), tlog.RecordHash(hit.Entry)); err != nil {
				t.Fatalf("hit %d: %v", hit.Index, err)
			}
			if !strings.Contains(string(hit.Entry), digest) {
				t.Fatalf("hit %d does not name the digest: %s", hit.Index, hit.Entry)
			}
			got = append(got, hit.Index)
		}
		if res.Next == nil {
			break
		}
		next = fmt.Sprintf("&after=%d", *res.Next)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("search found %v, want %v", got, want)
	}
	var none httpapi.SearchResult
	f.getJSON("/v1/log/search?digest=sha256:"+strings.Repeat("00", 32), &none)
	if len(none.Entries) != 0 || none.Next != nil {
		t.Fatalf("unknown digest found %+v", none)
	}
}

func TestSearchBadInput(t *testing.T) {
	f := newFixture(t, 3)
	d := "sha256:" + strings.Repeat("ab", 32)
	for name, tc := range map[string]struct {
		query, token string
		status       int
	}{
		"no digest":       {"", "reader", http.StatusBadRequest},
		"bare hex":        {"digest=" + d[7:], "reader", http.StatusBadRequest},
		"short digest":    {"digest=" + d[:70], "reader", http.StatusBadRequest},
		"not hex":         {"digest=sha256:" + strings.Repeat("zz", 32), "reader", http.StatusBadRequest},
		"two digests":     {"digest=" + d + "&digest=" + d, "reader", http.StatusBadRequest},
		"limit zero":      {"digest=" + d + "&limit=0", "reader", http.StatusBadRequest},
		"limit too large": {"digest=" + d + "&limit=101", "reader", http.StatusBadRequest},
		"after negative":  {"digest=" + d + "&after=-1", "reader", http.StatusBadRequest},
		"bad escape":      {"digest=%zz", "reader", http.StatusBadRequest},
		"no token":        {"digest=" + d, "", http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			tok := map[string]string{"reader": f.reader, "": ""}[tc.token]
			r := f.do(http.MethodGet, "/v1/log/search?"+tc.query, tok, nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			r.problem(t)
		})
	}
	if f.size() != 3 {
		t.Fatalf("log size %d after bad searches", f.size())
	}
}
