package promotion

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/ledgertest"
)

// applyFixture is a ledger with the catalog and promotion modules and no
// store: the Appliers judge entries alone, as on a bundle import.
type applyFixture struct {
	t   *testing.T
	log *ledger.Log
}

func newApplyFixture(t *testing.T) *applyFixture {
	lg, _ := ledgertest.Open(t, filepath.Join(t.TempDir(), "ledger"), ledgertest.Options{Modules: []ledger.Module{catalog.Module(), Module()}})
	return &applyFixture{t: t, log: lg}
}

// app appends an entry of tenant acme and returns its index or the error.
func (f *applyFixture) app(typ, actor string, body any) (uint64, error) {
	b, err := json.Marshal(body)
	if err != nil {
		f.t.Fatal(err)
	}
	a, err := f.log.Append(f.t.Context(), ledger.Entry{Type: typ, Actor: actor, Tenant: "acme", Body: b})
	if err != nil {
		return 0, err
	}
	return a.Record.Index, nil
}

func (f *applyFixture) must(typ, actor string, body any) uint64 {
	f.t.Helper()
	i, err := f.app(typ, actor, body)
	if err != nil {
		f.t.Fatalf("%s: %v", typ, err)
	}
	return i
}

func digestOf(c byte) string { return "sha256:" + strings.Repeat(string([]byte{c}), 64) }

// TestAppliersRefuseForgedDecisions: the state machine accepts the gate's
// sequence of decisions and refuses each decision that does not follow
// from the state, so a forged entry (a hostile bundle) cannot reach golden.
func TestAppliersRefuseForgedDecisions(t *testing.T) {
	f := newApplyFixture(t)
	put := func(key string, d string) catalog.ObjectRef {
		ref := catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: key, Digest: d, Size: 1, BLAKE3: strings.Repeat("b", 64)}
		f.must(catalog.TypeObjectPut, "producer", catalog.ObjectPut{ObjectRef: ref})
		return ref
	}
	good, bad := put("in/good.txt", digestOf('1')), put("in/bad.txt", digestOf('2'))
	obj := func(key string) *catalog.Object {
		o, _ := catalog.New(f.log).Object("acme", catalog.ZoneRaw, key)
		return o
	}
	pid := catalog.NewID("prm")
	f.must(TypeRequested, "op", Requested{PromotionID: pid, Source: "raw/in/", Destination: "golden/out/", Tier: TierBasic})
	check := func(ref catalog.ObjectRef, computed, reason string) Check {
		return Check{PromotionID: pid, SourceKey: ref.Key, SourceVersion: obj(ref.Key).Version, ExpectedDigest: ref.Digest,
			ComputedDigest: computed, Tier: TierBasic, Operator: "op", Reason: reason}
	}
	at := func(ref catalog.ObjectRef, zone, key string) catalog.ObjectRef {
		ref.Zone, ref.Key = zone, key
		return ref
	}

	// Allowed: the gate's own sequence.
	fi := f.must(TypeFailed, "op", check(bad, digestOf('3'), ReasonDigestMismatch))
	vi := f.must(TypeVerified, "op", check(good, good.Digest, ""))
	f.must(TypePromoted, "op", Placed{PromotionID: pid, SourceKey: good.Key, Object: at(good, catalog.ZoneGolden, "out/good.txt"), DecisionIndex: vi})
	qid := catalog.NewID("qtn")
	f.must(TypeQuarantined, "op", Placed{PromotionID: pid, SourceKey: bad.Key, Object: at(bad, catalog.ZoneQuarantine, "out/bad.txt"), DecisionIndex: fi, QuarantineID: qid})

	// Refused: each forged decision.
	golden := at(bad, catalog.ZoneGolden, "out/bad.txt")
	for _, tc := range []struct {
		name, typ, actor string
		body             any
		want             error
	}{
		{"promote a quarantined object", TypePromoted, "op", Placed{PromotionID: pid, SourceKey: bad.Key, Object: golden, DecisionIndex: fi}, ErrDecidedTwice},
		{"promote twice", TypePromoted, "op", Placed{PromotionID: pid, SourceKey: good.Key, Object: at(good, catalog.ZoneGolden, "out/good.txt"), DecisionIndex: vi}, ErrDecidedTwice},
		{"quarantine a promoted object", TypeQuarantined, "op", Placed{PromotionID: pid, SourceKey: good.Key, Object: at(good, catalog.ZoneQuarantine, "out/good.txt"), DecisionIndex: vi, QuarantineID: catalog.NewID("qtn")}, ErrDecidedTwice},
		{"check twice", TypeVerified, "op", check(good, good.Digest, ""), ErrDecidedTwice},
		{"fail a verified object", TypeFailed, "op", check(good, digestOf('4'), ReasonDigestMismatch), ErrDecidedTwice},
		{"check an earlier key again", TypeFailed, "op", check(bad, digestOf('4'), ReasonDigestMismatch), ErrDecidedTwice},
		{"verified with another digest", TypeVerified, "op", check(good, digestOf('3'), ""), ErrInvalidBody},
		{"operator is not the actor", TypeFailed, "someone", check(bad, digestOf('3'), "x"), ErrInvalidBody},
		{"unknown promotion", TypePromoted, "op", Placed{PromotionID: catalog.NewID("prm"), SourceKey: good.Key, Object: golden}, ErrPromotionNotFound},
		{"approve as the producer", TypeApproved, "producer", Decision{QuarantineID: qid, Reason: "ok", Golden: &golden, SeparationOfDuties: true}, ErrReviewerIsProducer},
		{"approve to another key", TypeApproved, "reviewer", Decision{QuarantineID: qid, Reason: "ok", Golden: &catalog.ObjectRef{Zone: catalog.ZoneGolden, Key: "elsewhere.txt", Digest: bad.Digest, Size: 1, BLAKE3: bad.BLAKE3}, SeparationOfDuties: true}, ErrInvalidBody},
		{"approve without a reason", TypeApproved, "reviewer", Decision{QuarantineID: qid, Golden: &golden, SeparationOfDuties: true}, ErrInvalidReason},
		{"object.put into golden", catalog.TypeObjectPut, "producer", catalog.ObjectPut{ObjectRef: golden}, catalog.ErrGoldenGate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, _ := f.log.Head()
			if _, err := f.app(tc.typ, tc.actor, tc.body); !errors.Is(err, tc.want) {
				t.Fatalf("%v, want %v", err, tc.want)
			}
			if after, _ := f.log.Head(); after != size {
				t.Fatalf("log grew %d -> %d", size, after)
			}
		})
	}
	// A reviewer's approval places it; a second decision is a conflict.
	f.must(TypeApproved, "reviewer", Decision{QuarantineID: qid, Reason: "ok", Golden: &golden, SeparationOfDuties: true})
	if _, err := f.app(TypeRejected, "reviewer", Decision{QuarantineID: qid, Reason: "ok", SeparationOfDuties: true}); !errors.Is(err, ErrDecided) {
		t.Fatalf("reject after approve: %v, want %v", err, ErrDecided)
	}
	if o, err := catalog.New(f.log).Object("acme", catalog.ZoneGolden, "out/bad.txt"); err != nil || o.Digest != bad.Digest {
		t.Fatalf("approved object: %+v, %v", o, err)
	}
}
