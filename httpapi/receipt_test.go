package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestReceiptJSON holds receipt.appendJSON to what Server.write's
// encoder writes for the same receipt, for plain strings and for strings
// with every kind of character the encoder escapes.
func TestReceiptJSON(t *testing.T) {
	hash := bytes.Repeat([]byte{0xab}, 32)
	entry := json.RawMessage(`{"v":1,"index":7,"type":"export.ingested","body":"<&>"}`)
	for _, s := range []string{
		"export.ingested", "", "assay.test/log\n42\nq80=\n\n— assay.test/log AbCd\n", "<script>&amp;",
		"quote\" back\\ tab\t cr\r nul\x00 bell\x07 del\x7f", "line\u2028para\u2029", "bad utf8 \xff\xfe", "é中😀",
	} {
		r := wire.ExportReceipt{Type: s, IdempotencyKey: "sha256:" + s, Status: s, Index: 7, LeafHash: hash, Entry: entry,
			TreeSize: 9, Checkpoint: s, InclusionProof: []wire.Hash{hash, hash}}
		if got, want := receipt(r).appendJSON(nil), encoded(t, r); !bytes.Equal(got, want) {
			t.Errorf("string %q:\n got %s\nwant %s", s, got, want)
		}
	}
	empty := wire.ExportReceipt{Entry: entry, InclusionProof: []wire.Hash{}}
	if got, want := receipt(empty).appendJSON(nil), encoded(t, empty); !bytes.Equal(got, want) {
		t.Errorf("empty proof:\n got %s\nwant %s", got, want)
	}
}

// FuzzReceiptJSON holds receipt.appendJSON to Server.write's encoder
// for any strings in the receipt.
func FuzzReceiptJSON(f *testing.F) {
	for _, s := range []string{"export.ingested", "assay.test/log\n42\nq80=\n\n— assay.test/log AbCd\n", "<script>&amp;",
		"quote\" back\\ tab\t nul\x00 del\x7f", "line\u2028para\u2029", "bad utf8 \xff\xfe", "é中😀"} {
		f.Add(s, s)
	}
	hash := bytes.Repeat([]byte{0xab}, 32)
	entry := json.RawMessage(`{"v":1,"index":7,"type":"export.ingested","body":"<&>"}`)
	f.Fuzz(func(t *testing.T, s, checkpoint string) {
		r := wire.ExportReceipt{Type: s, IdempotencyKey: checkpoint, Status: s, Index: 7, LeafHash: hash, Entry: entry,
			TreeSize: 9, Checkpoint: checkpoint, InclusionProof: []wire.Hash{hash}}
		if got, want := receipt(r).appendJSON(nil), encoded(t, r); !bytes.Equal(got, want) {
			t.Fatalf("strings %q, %q:\n got %s\nwant %s", s, checkpoint, got, want)
		}
	})
}

// encoded is v as Server.write's encoder writes it.
func encoded(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
