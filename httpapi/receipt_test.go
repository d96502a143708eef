package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/assay-ledger/assay/httpapi/wire"
)

// TestReceiptJSON holds ExportReceipt.appendJSON to what Server.write's
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
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if got := receipt(r).appendJSON(nil); !bytes.Equal(got, want.Bytes()) {
			t.Errorf("string %q:\n got %s\nwant %s", s, got, want.Bytes())
		}
	}
	empty := wire.ExportReceipt{Entry: entry, InclusionProof: []wire.Hash{}}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(empty)
	if got := receipt(empty).appendJSON(nil); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("empty proof:\n got %s\nwant %s", got, want.Bytes())
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
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if got := receipt(r).appendJSON(nil); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("strings %q, %q:\n got %s\nwant %s", s, checkpoint, got, want.Bytes())
		}
	})
}
