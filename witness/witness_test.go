package witness_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/ledgertest"
	"github.com/assay-ledger/assay/verifier"
	"github.com/assay-ledger/assay/witness"
	"github.com/assay-ledger/assay/witness/witnesstest"
)

// fixture is a ledger and litewitnesses that know it.
type fixture struct {
	t    *testing.T
	dir  string
	key  string // the ledger's note signer key
	vkey string
	log  *ledger.Log
	lws  []*witnesstest.Litewitness
	ws   []witness.Witness
}

func newFixture(t *testing.T, witnesses int) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir()}
	var err error
	if f.key, f.vkey, err = note.GenerateKey(rand.Reader, ledgertest.Origin); err != nil {
		t.Fatal(err)
	}
	f.log, _ = ledgertest.Open(t, f.dir, ledgertest.Options{Key: f.key})
	for i := range witnesses {
		lw := witnesstest.Start(t, fmt.Sprintf("witness.test/w%d", i))
		lw.AddLog(ledgertest.Origin, f.vkey)
		w, err := witness.ParseSpec(lw.URL + "=" + lw.VKey)
		if err != nil {
			t.Fatal(err)
		}
		f.lws, f.ws = append(f.lws, lw), append(f.ws, w)
	}
	return f
}

func (f *fixture) service(quorum int, reg prometheus.Registerer) *witness.Service {
	f.t.Helper()
	s, err := witness.New(witness.Config{Log: f.log, Witnesses: f.ws, Quorum: quorum, Registerer: reg})
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func appendN(t *testing.T, l *ledger.Log, n int) uint64 {
	t.Helper()
	for i := range n {
		body, _ := json.Marshal(map[string]int{"n": i})
		if _, err := l.Append(context.Background(), ledger.Entry{Type: "test.entry", Actor: "tester", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	size, _ := l.Head()
	return size
}

// checkCosigned opens cp with golang.org/x/mod/sumdb/note, the log's key
// and each witness's key as transparency-dev/formats parses it, and
// returns the checkpoint and who cosigned it.
func (f *fixture) checkCosigned(cp []byte) (verifier.Checkpoint, []string) {
	f.t.Helper()
	logV, err := note.NewVerifier(f.vkey)
	if err != nil {
		f.t.Fatal(err)
	}
	vs := []note.Verifier{logV}
	for _, lw := range f.lws {
		v, err := fnote.NewVerifierForCosignatureV1(lw.VKey)
		if err != nil {
			f.t.Fatal(err)
		}
		vs = append(vs, v)
	}
	n, err := note.Open(cp, note.VerifierList(vs...))
	if err != nil {
		f.t.Fatalf("the served checkpoint does not open: %v\n%s", err, cp)
	}
	c, err := verifier.ParseCheckpoint(n.Text)
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, s := range n.Sigs[1:] {
		names = append(names, s.Name)
	}
	return c, names
}

// TestQuorum: two litewitnesses, quorum 2. A checkpoint is served once
// both cosigned it, with both cosignatures, which verify with sumdb/note
// and transparency-dev/formats' verifiers; one cosignature is not enough;
// a witness that is down leaves the served checkpoint at the last quorum,
// and the state survives a restart of the service.
func TestQuorum(t *testing.T) {
	f := newFixture(t, 2)
	reg := prometheus.NewRegistry()
	s := f.service(2, reg)
	ctx := t.Context()
	if s.Checkpoint() != nil {
		t.Fatal("a checkpoint is served before any witness cosigned")
	}
	size := appendN(t, f.log, 5)
	s.Submit(ctx, 0)
	if s.Checkpoint() != nil {
		t.Fatal("served with one cosignature of the two required")
	}
	s.Submit(ctx, 1)
	c, names := f.checkCosigned(s.Checkpoint())
	if c.Size != size || strings.Join(names, ",") != "witness.test/w0,witness.test/w1" {
		t.Fatalf("served size %d cosigned by %v, want %d by both", c.Size, names, size)
	}

	// Both cosign the next size too, each from the size it knows (a
	// consistency proof from 5).
	size = appendN(t, f.log, 7)
	s.Submit(ctx, 0)
	s.Submit(ctx, 1)
	if c, _ := f.checkCosigned(s.Checkpoint()); c.Size != size {
		t.Fatalf("served size %d, want %d", c.Size, size)
	}
	for _, lw := range f.lws {
		if logs := lw.Logs(); !strings.Contains(logs, fmt.Sprintf(`"size":%d`, size)) {
			t.Fatalf("%s knows %s, want size %d", lw.Name, logs, size)
		}
	}

	// Witness 1 goes down: witness 0 cosigns the new size, but the served
	// checkpoint stays at the last quorum and witness 1's error shows.
	served := size
	f.lws[1].Stop()
	size = appendN(t, f.log, 3)
	s.Submit(ctx, 0)
	s.Submit(ctx, 1)
	if c, _ := f.checkCosigned(s.Checkpoint()); c.Size != served {
		t.Fatalf("served size %d with witness 1 down, want the last quorum %d", c.Size, served)
	}
	st := s.Statuses()
	if st[0].CosignedSize != size || st[0].LastError != "" || st[1].CosignedSize != served || st[1].Failures != 1 || !strings.Contains(st[1].LastError, "witness.test/w1") {
		t.Fatalf("statuses %+v", st)
	}
	if got := testutil.ToFloat64(witnessFailures(t, reg, "witness.test/w1", "unreachable")); got != 1 {
		t.Fatalf("unreachable failures of w1: %v", got)
	}

	// A new service over the same log serves the same checkpoint.
	again := f.service(2, nil)
	if string(again.Checkpoint()) != string(s.Checkpoint()) || again.Statuses()[0].CosignedSize != size {
		t.Fatalf("after a restart: %q, statuses %+v", again.Checkpoint(), again.Statuses())
	}
}

func witnessFailures(t *testing.T, reg *prometheus.Registry, name, reason string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "assay_witness_failures_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["witness"] == name && labels["reason"] == reason {
				g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
				g.Set(m.GetCounter().GetValue())
				return g
			}
		}
	}
	t.Fatalf("no assay_witness_failures_total{witness=%q,reason=%q}", name, reason)
	return nil
}

// TestConflictRecovery: a witness that knows a larger size than the
// service's state says (its state was lost) answers 409 with that size;
// the service sends the consistency proof from there and is cosigned.
func TestConflictRecovery(t *testing.T) {
	f := newFixture(t, 1)
	s := f.service(1, nil)
	appendN(t, f.log, 4)
	s.Submit(t.Context(), 0)
	if s.Statuses()[0].CosignedSize != 4 {
		t.Fatalf("statuses %+v", s.Statuses())
	}
	if err := f.log.PutSide([]byte("witness/state/witness.test/w0"), []byte(`{"size":0}`)); err != nil {
		t.Fatal(err)
	}
	s = f.service(1, nil)
	size := appendN(t, f.log, 6)
	s.Submit(t.Context(), 0)
	if st := s.Statuses()[0]; st.CosignedSize != size || st.LastError != "" {
		t.Fatalf("after a 409: %+v, want cosigned at %d", st, size)
	}
}

// TestSplitView: a second ledger with the same key and origin but another
// history is refused by the witness that cosigned the first: the
// refusal is reported as a split view, in the status and the metric, and
// nothing is served.
func TestSplitView(t *testing.T) {
	f := newFixture(t, 1)
	s := f.service(1, nil)
	appendN(t, f.log, 3)
	s.Submit(t.Context(), 0)
	if s.Checkpoint() == nil {
		t.Fatal("the first ledger was not cosigned")
	}
	other, _ := ledgertest.Open(t, t.TempDir(), ledgertest.Options{Key: f.key})
	for i := range 8 {
		body, _ := json.Marshal(map[string]string{"other": fmt.Sprint(i)})
		if _, err := other.Append(context.Background(), ledger.Entry{Type: "test.other", Actor: "eve", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	split, err := witness.New(witness.Config{Log: other, Witnesses: f.ws, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	split.Submit(t.Context(), 0)
	st := split.Statuses()[0]
	if split.Checkpoint() != nil || st.CosignedSize != 0 || !strings.Contains(st.LastError, "split-view") || !strings.Contains(st.LastError, "422") {
		t.Fatalf("the other history: served %q, status %+v", split.Checkpoint(), st)
	}
	if got := testutil.ToFloat64(witnessFailures(t, reg, "witness.test/w0", "split-view")); got != 1 {
		t.Fatalf("split-view failures: %v", got)
	}
	if logs := f.lws[0].Logs(); !strings.Contains(logs, `"size":3`) {
		t.Fatalf("the witness moved off the first ledger: %s", logs)
	}
}

// TestUnknownLogAndBadSpecs: a witness that does not know the log refuses
// with 403, reported as unknown-log; malformed specs and quorums are
// refused before anything runs.
func TestUnknownLogAndBadSpecs(t *testing.T) {
	f := newFixture(t, 0)
	lw := witnesstest.Start(t, "witness.test/stranger")
	w, err := witness.ParseSpec(lw.URL + "/=" + lw.VKey)
	if err != nil {
		t.Fatal(err)
	}
	if w.URL != lw.URL || w.Name() != "witness.test/stranger" {
		t.Fatalf("parsed %+v", w)
	}
	s, err := witness.New(witness.Config{Log: f.log, Witnesses: []witness.Witness{w}})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, f.log, 1)
	s.Submit(t.Context(), 0)
	if st := s.Statuses()[0]; !strings.Contains(st.LastError, "unknown-log") || !strings.Contains(st.LastError, "403") {
		t.Fatalf("status %+v", st)
	}
	for _, spec := range []string{"", "=" + lw.VKey, lw.URL, "ftp://x=" + lw.VKey, lw.URL + "=" + f.vkey, lw.URL + "=name+00000000+AQ"} {
		if _, err := witness.ParseSpec(spec); err == nil {
			t.Errorf("ParseSpec(%q) accepted", spec)
		}
	}
	for _, q := range []int{-1, 2} {
		if _, err := witness.New(witness.Config{Log: f.log, Witnesses: []witness.Witness{w}, Quorum: q}); err == nil {
			t.Errorf("quorum %d of 1 accepted", q)
		}
	}
	if _, err := witness.New(witness.Config{Log: f.log, Witnesses: []witness.Witness{w, w}}); err == nil {
		t.Error("a witness configured twice was accepted")
	}
}
