package exports

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/events"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/verifier"
)

// rawSigner is a Signer over a bare Ed25519 key.
type rawSigner struct {
	name string
	key  ed25519.PrivateKey
}

func (s rawSigner) Name() string                    { return s.name }
func (s rawSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// openLog opens a real ledger with the export Appliers in a temp dir.
func openLog(t *testing.T) *ledger.Log {
	t.Helper()
	l, _ := ledgertest.Open(t, filepath.Join(t.TempDir(), "ledger"), ledgertest.Options{Origin: "assay.test/exports", Modules: []ledger.Module{Module()}})
	return l
}

func TestSignReproducesVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		signed, err := Sign(v.Payload, rawSigner{"test-key-1", signingKey(t)})
		if err != nil {
			t.Fatal(err)
		}
		sub, canonical, err := Decode(signed)
		if err != nil {
			t.Fatal(err)
		}
		if string(canonical) != v.JCS || sub.Signatures[0].Signature != v.Signature {
			t.Fatalf("%s: signed body %s\ncanonical %s\nwant signature %s", v.Name, signed, canonical, v.Signature)
		}
	}
}

func TestParseVerifierKey(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "producer-1")
	if err != nil {
		t.Fatal(err)
	}
	name, pub, err := ParseVerifierKey(vkey + "\n")
	if err != nil || name != "producer-1" || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("ParseVerifierKey: %q, %d bytes, %v", name, len(pub), err)
	}
	for _, bad := range []string{"", "producer-1", vkey[:len(vkey)-4] + "AAAA", "PRIVATE+KEY+" + vkey} {
		if _, _, err := ParseVerifierKey(bad); err == nil {
			t.Errorf("ParseVerifierKey(%q) accepted", bad)
		}
	}
	tr := NewTrust()
	if err := tr.AddKey("acme", vkey); err != nil {
		t.Fatal(err)
	}
	if err := tr.AddKey("acme", vkey); err == nil {
		t.Fatal("a second key named producer-1 for acme was accepted")
	}
	tr.RequireSignatures("beta")
	p := tr.Policy()
	if len(p.Tenants) != 2 || p.Tenants["acme"].Keys[0] != vkey || !p.Tenants["beta"].RequireSignatures || p.Tenants["beta"].Keys == nil {
		t.Fatalf("policy %+v", p)
	}
}

// TestReplayReproducesProjections appends a history through the Service and
// replays its entries into an empty ledger: the projections must be equal,
// and the replayed entries' signatures must re-verify from the entries alone.
func TestReplayReproducesProjections(t *testing.T) {
	l := openLog(t)
	tr := NewTrust()
	if err := tr.AddKey("acme", testKeyVerifier(t)); err != nil {
		t.Fatal(err)
	}
	bus := events.NewBus(0)
	sub, _ := bus.Subscribe(16, nil)
	st, err := NewService(ServiceConfig{Log: l, Trust: tr, Bus: bus})
	if err != nil {
		t.Fatal(err)
	}
	key := signingKey(t)
	submit := func(body []byte, want error) {
		t.Helper()
		_, err := st.Submit(t.Context(), "producer", "acme", body)
		if !errors.Is(err, want) {
			t.Fatalf("Submit: %v, want %v", err, want)
		}
	}
	pending := validBody(t, map[string]any{"status": StatusPending, "completedAt": nil})
	signed, err := Sign(validBody(t, map[string]any{"status": StatusRunning, "completedAt": nil}), rawSigner{"test-key-1", key})
	if err != nil {
		t.Fatal(err)
	}
	submit(pending, nil)
	submit(signed, nil)
	submit(pending, ErrDuplicate)
	submit(validBody(t, nil), nil)
	submit(validBody(t, map[string]any{"runId": "00000000-0000-4000-8000-000000000009"}), nil)
	submit(validBody(t, map[string]any{"status": StatusFailed}), ErrTransition)
	submit(loadVectors(t)[1].Submitted, nil) // '<', '>', '&', '"' and non-ASCII
	if len(sub.Events()) != 5 {
		t.Fatalf("%d events, want 5", len(sub.Events()))
	}

	replica := openLog(t)
	size, _ := l.Head()
	entries, err := l.Entries(0, size)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		rec, err := ledger.ParseRecord(e)
		if err != nil {
			t.Fatal(err)
		}
		checkTimelineSignatures(t, rec, tr)
		if _, err := replica.Append(t.Context(), ledger.Entry{Type: rec.Type, Actor: rec.Actor, Tenant: rec.Tenant, Body: rec.Body}); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := dumpProjections(t, l), dumpProjections(t, replica); a != b || a == "" {
		t.Fatalf("projections differ after replay:\n%s\n--\n%s", a, b)
	}
}

// checkTimelineSignatures re-derives the canonical payload of an export
// entry and verifies its signatures, as an auditor holding only the log
// and the policy would.
func checkTimelineSignatures(t *testing.T, rec *ledger.Record, tr *Trust) {
	t.Helper()
	var tl Timeline
	if err := json.Unmarshal(rec.Body, &tl); err != nil {
		t.Fatal(err)
	}
	canonical, err := tl.CanonicalPayload()
	if err != nil {
		t.Fatal(err)
	}
	if digest(canonical) != tl.PayloadDigest {
		t.Fatalf("entry %d: payloadDigest does not match the re-derived payload", rec.Index)
	}
	if err := VerifySignatures(&tl.Submission, canonical, tr.Keys(rec.Tenant)); err != nil {
		t.Fatalf("entry %d: %v", rec.Index, err)
	}
	if tl.Signed() {
		env, err := Envelope(canonical, tl.Signatures)
		if err != nil || digest(env) != tl.EnvelopeDigest {
			t.Fatalf("entry %d: envelopeDigest does not match (%v)", rec.Index, err)
		}
	}
}

func dumpProjections(t *testing.T, l *ledger.Log) string {
	t.Helper()
	var b bytes.Buffer
	err := l.ScanProjections(t.Context(), []byte("exports/"), nil, func(k, v []byte) (bool, error) {
		fmt.Fprintf(&b, "%q=%q\n", k, v)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func testKeyVerifier(t *testing.T) string {
	t.Helper()
	vkey, err := note.NewEd25519VerifierKey("test-key-1", signingKey(t).Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

func TestGetAndListProofs(t *testing.T) {
	l := openLog(t)
	st, err := NewService(ServiceConfig{Log: l})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Submit(t.Context(), "producer", "acme", validBody(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	checkProven(t, p)
	for i := range 5 {
		body := validBody(t, map[string]any{"runId": fmt.Sprintf("00000000-0000-4000-8000-%012d", i)})
		if _, err := st.Submit(t.Context(), "producer", "acme", body); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Get(t.Context(), "acme", p.Key)
	if err != nil || got.Index != p.Index || got.TreeSize != 6 {
		t.Fatalf("Get: %+v, %v", got, err)
	}
	checkProven(t, got)
	if _, err := st.Get(t.Context(), "other", p.Key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get from another tenant: %v", err)
	}
	page, err := st.List(t.Context(), Query{Tenant: "acme", Limit: 6})
	if err != nil || len(page.Items) != 6 || page.Next != "" {
		t.Fatalf("List: %d items, next %q, %v", len(page.Items), page.Next, err)
	}
	if _, err := st.Submit(t.Context(), "producer", "other", validBody(t, nil)); !errors.Is(err, ErrTenantMismatch) {
		t.Fatalf("Submit for another tenant: %v", err)
	}
}

func checkProven(t *testing.T, p *Proven) {
	t.Helper()
	text, _, _ := bytes.Cut(p.Checkpoint, []byte("\n\n"))
	c, err := verifier.ParseCheckpoint(string(text) + "\n")
	if err != nil || c.Size != p.TreeSize {
		t.Fatalf("checkpoint %q for size %d: %v", p.Checkpoint, p.TreeSize, err)
	}
	if err := verifier.VerifyInclusion(p.Index, p.TreeSize, verifier.LeafHash(p.Entry), p.Proof, c.Root); err != nil {
		t.Fatal(err)
	}
}

func TestSubmitRefusesOversizedEntry(t *testing.T) {
	st, err := NewService(ServiceConfig{Log: openLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	body := validBody(t, map[string]any{"jobType": strings.Repeat("j", 100<<10)})
	if _, err := st.Submit(t.Context(), "producer", "acme", body); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Submit of a 100 KiB jobType: %v, want ErrTooLarge", err)
	}
}

// TestSubmitWaitsForACheckingSlot holds the only checking slot: a
// submission then waits, gives up with its context and writes nothing, and
// goes through once the slot is free.
func TestSubmitWaitsForACheckingSlot(t *testing.T) {
	l := openLog(t)
	st, err := NewService(ServiceConfig{Log: l, MaxChecking: 1})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := l.Head()
	st.checking <- struct{}{}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.Submit(ctx, "producer", "acme", validBody(t, nil)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit with every slot taken: %v, want context.Canceled", err)
	}
	if after, _ := l.Head(); after != before {
		t.Fatalf("log grew from %d to %d entries", before, after)
	}
	<-st.checking
	if _, err := st.Submit(t.Context(), "producer", "acme", validBody(t, nil)); err != nil {
		t.Fatal(err)
	}
}

// TestSubmitUppercaseKey submits an export whose idempotencyKey has
// uppercase hex, as the contract's pattern allows: it is accepted, stored
// and answered under the lowercase key, found by either spelling, and its
// entry keeps the submitted bytes (so its payload digest is unchanged).
func TestSubmitUppercaseKey(t *testing.T) {
	st, err := NewService(ServiceConfig{Log: openLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(validBody(t, nil), &m); err != nil {
		t.Fatal(err)
	}
	lower := m["idempotencyKey"].(string)
	upper := "sha256:" + strings.ToUpper(strings.TrimPrefix(lower, "sha256:"))
	body := validBody(t, map[string]any{"idempotencyKey": upper})
	p, err := st.Submit(t.Context(), "producer", "acme", body)
	if err != nil {
		t.Fatal(err)
	}
	if p.Key != lower || !strings.Contains(string(p.Entry), upper) {
		t.Fatalf("receipt key %s (want %s), entry %s (want the submitted key)", p.Key, lower, p.Entry)
	}
	for _, k := range []string{lower, upper} {
		g, err := st.Get(t.Context(), "acme", k)
		if err != nil || g.Index != p.Index || g.Key != lower {
			t.Fatalf("Get(%s) = %+v, %v; want index %d under %s", k, g, err, p.Index, lower)
		}
	}
	if _, err := st.Submit(t.Context(), "producer", "acme", body); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("the same submission again: %v, want ErrDuplicate", err)
	}
	other := upper[:len(upper)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(upper, "0")]
	if _, err := st.Submit(t.Context(), "producer", "acme", validBody(t, map[string]any{"idempotencyKey": other})); !errors.Is(err, ErrIdempotencyKeyMismatch) {
		t.Fatalf("another key in uppercase: %v, want ErrIdempotencyKeyMismatch", err)
	}
}
