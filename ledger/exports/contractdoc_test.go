package exports

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/verifier"
)

// TestContractDocument holds docs/export-contract.md to the code: the
// worked values it quotes for the first test vector (canonical payload,
// its length in the PAE, signature, idempotency key, payloadDigest and
// envelopeDigest) are the ones this package computes, so the document a
// producer implements against cannot drift from what the server checks.
func TestContractDocument(t *testing.T) {
	doc, err := os.ReadFile("../../docs/export-contract.md")
	if err != nil {
		t.Fatal(err)
	}
	v := loadVectors(t)[0]
	canonical, err := CanonicalPayload(v.Submitted)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := Parse(v.Submitted)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := NewTimeline(sub, canonical)
	if err != nil {
		t.Fatal(err)
	}
	pae := verifier.PAE(PayloadType, canonical)
	for _, want := range []string{
		string(canonical),
		fmt.Sprintf("%d bytes", len(canonical)),
		string(pae[:len(fmt.Sprintf("DSSEv1 %d %s %d ", len(PayloadType), PayloadType, len(canonical)))]),
		sub.Signatures[0].Signature,
		IdempotencyKey(sub.RunID, sub.ArtifactHash, sub.TenantID),
		tl.PayloadDigest,
		tl.EnvelopeDigest,
		"`" + PayloadType + "` (" + fmt.Sprint(len(PayloadType)) + " bytes)",
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("docs/export-contract.md does not quote %q", want)
		}
	}
}
