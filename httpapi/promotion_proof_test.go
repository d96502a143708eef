package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/assay-ledger/assay/ledger/promotion"
)

// TestPromotionDecisionsProve checks, with sumdb/note and sumdb/tlog only,
// that every entry of a promotion and of its review (requested, each check
// and outcome, completed, the approval) is in the signed tree.
func TestPromotionDecisionsProve(t *testing.T) {
	f := newPromFixture(t)
	ctx := t.Context()
	bad := f.land("p/bad.txt", "bad")
	f.land("p/good.txt", "good")
	raw, _ := os.ReadFile(f.blobFile(bad.Digest))
	raw[len(raw)-1] ^= 1
	if err := os.WriteFile(f.blobFile(bad.Digest), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	v := f.promote("raw/p/", "golden/p/", "basic")
	var qid string
	for _, o := range v.Objects {
		qid += o.QuarantineID
	}
	if _, err := f.revCli.ApproveQuarantine(ctx, qid, "reviewed"); err != nil {
		t.Fatal(err)
	}
	cp, err := f.prodCli.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ver, _ := note.NewVerifier(f.vkey)
	n, err := note.Open(cp, note.VerifierList(ver))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n")
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	rootB, _ := base64.StdEncoding.DecodeString(lines[2])
	var root tlog.Hash
	copy(root[:], rootB)
	seen := map[string]int{}
	for i := v.RequestedIndex; i < uint64(size); i++ {
		e, err := f.prodCli.Entry(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		var env struct{ Type string }
		if err := json.Unmarshal(e.Entry, &env); err != nil {
			t.Fatal(err)
		}
		seen[env.Type]++
		pr, err := f.prodCli.InclusionProof(ctx, i, uint64(size))
		if err != nil {
			t.Fatal(err)
		}
		proof := make(tlog.RecordProof, len(pr.Hashes))
		for j, h := range pr.Hashes {
			copy(proof[j][:], h)
		}
		if err := tlog.CheckRecord(proof, size, root, int64(i), tlog.RecordHash(e.Entry)); err != nil {
			t.Fatalf("entry %d (%s): %v", i, env.Type, err)
		}
	}
	for _, typ := range []string{promotion.TypeRequested, promotion.TypeVerified, promotion.TypeFailed, promotion.TypePromoted,
		promotion.TypeQuarantined, promotion.TypeCompleted, promotion.TypeApproved} {
		if seen[typ] != 1 {
			t.Errorf("%d %s entries proved, want 1 (%v)", seen[typ], typ, seen)
		}
	}
}
