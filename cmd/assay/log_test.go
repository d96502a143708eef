package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/httpapi/client"
	"github.com/assay-ledger/assay/httpapi/wire"
	"github.com/assay-ledger/assay/verifier"
)

func TestLogReadCommands(t *testing.T) {
	ts := newTestServer(t, 6)
	v, _ := note.NewVerifier(ts.vkey)
	out, err := run(t.Context(), ts.logArgs("checkpoint", "--size", "3")...)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(out), note.VerifierList(v))
	if err != nil || !strings.HasPrefix(n.Text, testOrigin+"\n3\n") {
		t.Fatalf("log checkpoint --size 3: %q, %v", out, err)
	}
	out, err = run(t.Context(), ts.logArgs("entry", "2")...)
	var e wire.LogEntry
	if err != nil || json.Unmarshal([]byte(out), &e) != nil {
		t.Fatalf("log entry 2: %q, %v", out, err)
	}
	if want, _ := ts.log.Entry(2); !bytes.Equal(e.Entry, want) || !strings.Contains(out, string(want)) {
		t.Fatalf("log entry 2 printed %s, want the bytes %s", out, want)
	}
	for _, args := range [][]string{
		{"proof", "--index", "2", "--tree-size", "5"},
		{"proof", "--leaf-hash", e.LeafHash.String(), "--tree-size", "5"},
	} {
		out, err = run(t.Context(), ts.logArgs(args...)...)
		var p wire.InclusionProof
		if err != nil || json.Unmarshal([]byte(out), &p) != nil {
			t.Fatalf("%v: %q, %v", args, out, err)
		}
		if err := verifier.VerifyInclusion(2, 5, e.LeafHash, wire.Bytes(p.Hashes), p.RootHash); err != nil || p.TreeSize != 5 {
			t.Fatalf("%v: %+v does not verify: %v", args, p, err)
		}
	}
	out, err = run(t.Context(), ts.logArgs("proof", "--first", "2", "--second", "5")...)
	var c wire.ConsistencyProof
	if err != nil || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("log proof --first 2 --second 5: %q, %v", out, err)
	}
	if err := verifier.VerifyConsistency(2, 5, wire.Bytes(c.Hashes), c.FirstRoot, c.SecondRoot); err != nil {
		t.Fatal(err)
	}
}

func TestLogCommandErrors(t *testing.T) {
	ts := newTestServer(t, 3)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad index", ts.logArgs("entry", "abc"), `index "abc"`},
		{"unknown index", ts.logArgs("entry", "9"), "not found"},
		{"no proof kind", ts.logArgs("proof"), "at least one of the flags"},
		{"both proof kinds", ts.logArgs("proof", "--index", "1", "--first", "1"), "none of the others can be"},
		{"second without first", ts.logArgs("proof", "--index", "1", "--second", "2"), "--second needs --first"},
		{"bad leaf hash", ts.logArgs("proof", "--leaf-hash", "xyz"), "expected 64 hex digits"},
		{"beyond tree", ts.logArgs("proof", "--index", "1", "--tree-size", "9"), "tree_size 9 beyond current size 3"},
		{"no token", []string{"log", "checkpoint", "--server", ts.url, "--token", ""}, "no token"},
		{"wrong token", []string{"log", "checkpoint", "--server", ts.url, "--token", "assay_nope"}, "token not recognized"},
		{"bad server", []string{"log", "checkpoint", "--server", "ftp://x", "--token", "t"}, "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t.Context(), tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one holding %q", err, tc.want)
			}
		})
	}
}

func TestLogVerify(t *testing.T) {
	ts := newTestServer(t, 9)
	keyFile := filepath.Join(t.TempDir(), "checkpoint.vkey")
	if err := os.WriteFile(keyFile, []byte(ts.vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{ts.vkey, "@" + keyFile} {
		out, err := run(t.Context(), ts.logArgs("verify", "--key", key, "--origin", testOrigin,
			"--index", "0,4", "--index", "8", "--from-size", "3")...)
		if err != nil {
			t.Fatalf("verify: %v\n%s", err, out)
		}
		for _, want := range []string{"checkpoint OK: origin " + testOrigin + ", size 9", "entry 0 OK", "entry 4 OK", "entry 8 OK",
			"consistency OK: tree size 3"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	}
}

func TestLogVerifyDetectsTampering(t *testing.T) {
	ts := newTestServer(t, 9)
	_, otherKey, _ := note.GenerateKey(rand.Reader, testOrigin)
	for _, tc := range []struct {
		name   string
		tamper tamper
		args   []string // overriding flags
		want   string
	}{
		{"entry bytes changed", onPath("/v1/log/entries/4", editEntry(false)), nil, "served leaf hash"},
		{"entry and leaf hash changed", onPath("/v1/log/entries/4", editEntry(true)), nil, "proof does not verify"},
		{"entry of another index", onPath("/v1/log/entries/4", swapEntry(ts, 5)), nil, "asked for entry 4, got entry 5"},
		{"entry bytes of another index", onPath("/v1/log/entries/4", relabelEntry(ts, 5)), nil, "entry bytes at index 4 name index 5"},
		{"inclusion proof bit flipped", onPath("/v1/log/proof/inclusion", flipProof), nil, "proof does not verify"},
		{"inclusion proof for another tree", onPath("/v1/log/proof/inclusion", editJSON(func(p *wire.InclusionProof) { p.TreeSize-- })), nil, "proof is for index 4 in size 8"},
		{"consistency proof bit flipped", onPath("/v1/log/proof/consistency", editJSON(func(p *wire.ConsistencyProof) { p.Hashes[0][31] ^= 1 })), nil, "proof does not verify"},
		{"checkpoint altered", onPath("/v1/log/checkpoint", func(b []byte) []byte { return bytes.Replace(b, []byte("\n9\n"), []byte("\n8\n"), 1) }), nil, "invalid checkpoint"},
		{"old checkpoint replaced", onQuery("size=3", func([]byte) []byte { cp, _ := ts.log.CheckpointAt(4); return cp }), nil, "asked for the checkpoint at size 3, got size 4"},
		{"untrusted key", nil, []string{"--key", otherKey}, "invalid checkpoint"},
		{"other origin", nil, []string{"--origin", "elsewhere.example/log"}, `origin "assay.test/log", want "elsewhere.example/log"`},
		{"from size beyond", nil, []string{"--from-size", "10"}, "size 10 is beyond the latest checkpoint's size 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.setTamper(tc.tamper)
			defer ts.setTamper(nil)
			args := append([]string{"verify", "--key", ts.vkey, "--index", "4", "--from-size", "3"}, tc.args...)
			out, err := run(t.Context(), ts.logArgs(args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one holding %q; output:\n%s", err, tc.want, out)
			}
		})
	}
}

// TestAuditorRejectsEveryBitFlip flips each bit of each hash of an inclusion
// and a consistency proof in transit and expects verification to fail.
func TestAuditorRejectsEveryBitFlip(t *testing.T) {
	ts := newTestServer(t, 11)
	c, err := client.New(ts.url, ts.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &client.Auditor{Client: c, Key: ts.vkey, Origin: testOrigin}
	cp, err := a.Checkpoint(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	old, err := a.CheckpointAt(t.Context(), 6)
	if err != nil {
		t.Fatal(err)
	}
	incl, err := c.InclusionProof(t.Context(), 5, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := c.ConsistencyProof(t.Context(), old.Size, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	for bit := 0; bit < 8*32*len(incl.Hashes); bit++ {
		ts.setTamper(onPath("/v1/log/proof/inclusion", editJSON(func(p *wire.InclusionProof) { flipBit(p.Hashes, bit) })))
		if _, err := a.Entry(t.Context(), cp, 5); !errors.Is(err, verifier.ErrProof) {
			t.Fatalf("inclusion proof with bit %d flipped: %v, want ErrProof", bit, err)
		}
	}
	for bit := 0; bit < 8*32*len(cons.Hashes); bit++ {
		ts.setTamper(onPath("/v1/log/proof/consistency", editJSON(func(p *wire.ConsistencyProof) { flipBit(p.Hashes, bit) })))
		if err := a.Consistency(t.Context(), old, cp); !errors.Is(err, verifier.ErrProof) {
			t.Fatalf("consistency proof with bit %d flipped: %v, want ErrProof", bit, err)
		}
	}
	ts.setTamper(nil)
	if _, err := a.Entry(t.Context(), cp, 5); err != nil {
		t.Fatalf("untampered: %v", err)
	}
}

// onPath applies edit to responses to requests for path only.
func onPath(path string, edit func([]byte) []byte) tamper {
	return func(r *http.Request, body []byte) []byte {
		if r.URL.Path != path {
			return body
		}
		return edit(body)
	}
}

// onQuery applies edit to responses to requests with the raw query q only.
func onQuery(q string, edit func([]byte) []byte) tamper {
	return func(r *http.Request, body []byte) []byte {
		if r.URL.RawQuery != q {
			return body
		}
		return edit(body)
	}
}

// editJSON decodes a response into T, lets fn change it and re-encodes it.
func editJSON[T any](fn func(*T)) func([]byte) []byte {
	return func(b []byte) []byte {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			panic(err)
		}
		fn(&v)
		out, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return out
	}
}

// editEntry changes the entry's bytes and, if rehash, its served leaf hash
// to match them.
func editEntry(rehash bool) func([]byte) []byte {
	return editJSON(func(e *wire.LogEntry) {
		e.Entry = bytes.Replace(e.Entry, []byte(`"n":4`), []byte(`"n":7`), 1)
		if rehash {
			e.LeafHash = verifier.LeafHash(e.Entry)
		}
	})
}

// swapEntry serves entry i in place of the requested one.
func swapEntry(ts *testServer, i uint64) func([]byte) []byte {
	return func([]byte) []byte {
		b, _ := ts.log.Entry(i)
		out, _ := json.Marshal(wire.LogEntry{Index: i, LeafHash: verifier.LeafHash(b), Entry: b})
		return out
	}
}

// relabelEntry serves entry i's bytes under the requested index.
func relabelEntry(ts *testServer, i uint64) func([]byte) []byte {
	return editJSON(func(e *wire.LogEntry) {
		b, _ := ts.log.Entry(i)
		e.Entry, e.LeafHash = b, verifier.LeafHash(b)
	})
}

func flipBit(hs []wire.Hash, bit int) { hs[bit/256][bit%256/8] ^= 1 << (bit % 8) }

func flipProof(b []byte) []byte {
	return editJSON(func(p *wire.InclusionProof) { p.Hashes[0][0] ^= 0x80 })(b)
}
