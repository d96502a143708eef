package promotion

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// TestAppliersRefuseForgedMasking: promotion.masked, a tier masked
// approval and the permit decisions are accepted as a Service appends them
// and refused when they do not follow from the state (a hostile bundle).
func TestAppliersRefuseForgedMasking(t *testing.T) {
	f := newApplyFixture(t)
	put := func(key, d string) catalog.ObjectRef {
		ref := catalog.ObjectRef{Zone: catalog.ZoneRaw, Key: key, Digest: d, Size: 1, BLAKE3: strings.Repeat("b", 64), MediaType: "text/plain"}
		f.must(catalog.TypeObjectPut, "producer", catalog.ObjectPut{ObjectRef: ref})
		return ref
	}
	a, b, c := put("m/a.txt", digestOf('1')), put("m/b.txt", digestOf('2')), put("m/c.txt", digestOf('3'))
	version := func(key string) uint64 {
		o, _ := catalog.New(f.log).Object("acme", catalog.ZoneRaw, key)
		return o.Version
	}
	proofKey, proofDigest := "m/"+ProofName, digestOf('9')
	pid := catalog.NewID("prm")
	f.must(TypeRequested, "op", Requested{PromotionID: pid, Source: "raw/m/", Destination: "golden/g/", Tier: TierMasked, ProofKey: proofKey, ProofDigest: proofDigest})
	check := func(ref catalog.ObjectRef, reason string) Check {
		computed := ref.Digest
		return Check{PromotionID: pid, SourceKey: ref.Key, SourceVersion: version(ref.Key), ExpectedDigest: ref.Digest, ComputedDigest: computed,
			ProofKey: proofKey, ProofDigest: proofDigest, Tier: TierMasked, Operator: "op", Reason: reason}
	}
	va, vb := f.must(TypeVerified, "op", check(a, "")), f.must(TypeVerified, "op", check(b, ""))
	fc := f.must(TypeFailed, "op", check(c, ReasonProofMissing))
	golden := func(ref catalog.ObjectRef, key, digest string) catalog.ObjectRef {
		ref.Zone, ref.Key, ref.Digest = catalog.ZoneGolden, key, digest
		return ref
	}
	masked := func(ref catalog.ObjectRef, decision uint64, digest string, rules ...string) Masked {
		m := Masked{PromotionID: pid, SourceKey: ref.Key, Object: golden(ref, "g/"+strings.TrimPrefix(ref.Key, "m/"), digest), DecisionIndex: decision,
			OriginalDigest: ref.Digest, MaskedDigest: digest, Rules: rules, RulesDigest: digestOf('e'), Unmasked: len(rules) == 0}
		if m.Rules == nil {
			m.Rules = []string{}
		}
		return m
	}
	wrongMedia := masked(a, va, digestOf('a'), "r1")
	wrongMedia.Object.MediaType = "application/json"
	unmaskedNewBlob := masked(a, va, digestOf('a'))
	unmaskedNewBlob.MaskedDigest = digestOf('a')
	for _, tc := range []struct {
		name string
		typ  string
		body any
	}{
		{"masked without rules", TypeMasked, func() Masked { m := masked(a, va, digestOf('a')); m.Unmasked = false; return m }()},
		{"unmasked with a new blob", TypeMasked, unmaskedNewBlob},
		{"masked copy of the same digest", TypeMasked, masked(a, va, a.Digest, "r1")},
		{"masked of a failed check", TypeMasked, masked(c, fc, digestOf('a'), "r1")},
		{"masked at another decision", TypeMasked, masked(a, vb, digestOf('a'), "r1")},
		{"masked changes the media type", TypeMasked, wrongMedia},
		{"promoted in tier masked", TypePromoted, Placed{PromotionID: pid, SourceKey: a.Key, Object: golden(a, "g/a.txt", a.Digest), DecisionIndex: va}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size, _ := f.log.Head()
			if _, err := f.app(tc.typ, "op", tc.body); !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("%v, want ErrInvalidBody", err)
			}
			if after, _ := f.log.Head(); after != size {
				t.Fatalf("log grew %d -> %d", size, after)
			}
		})
	}
	f.must(TypeMasked, "op", masked(a, va, digestOf('a'), "r1"))
	f.must(TypeMasked, "op", masked(b, vb, b.Digest))
	if o, _ := catalog.New(f.log).Object("acme", catalog.ZoneGolden, "g/a.txt"); o == nil || o.Digest != digestOf('a') {
		t.Fatalf("golden g/a.txt: %+v", o)
	}
	qid := catalog.NewID("qtn")
	f.must(TypeQuarantined, "op", Placed{PromotionID: pid, SourceKey: c.Key, Object: func() catalog.ObjectRef { r := c; r.Zone, r.Key = catalog.ZoneQuarantine, "g/c.txt"; return r }(),
		DecisionIndex: fc, QuarantineID: qid})
	g := golden(c, "g/c.txt", c.Digest)
	if _, err := f.app(TypeApproved, "reviewer", Decision{QuarantineID: qid, Reason: "ok", Golden: &g, SeparationOfDuties: true}); !errors.Is(err, ErrInvalidBody) {
		t.Fatalf("tier masked approval without masking: %v", err)
	}
	mg := golden(c, "g/c.txt", digestOf('b'))
	f.must(TypeApproved, "reviewer", Decision{QuarantineID: qid, Reason: "ok", Golden: &mg, SeparationOfDuties: true,
		Masking: &MaskMeta{OriginalDigest: c.Digest, MaskedDigest: digestOf('b'), Rules: []string{"r1"}, RulesDigest: digestOf('e')}})

	// Permits: a permission needs every key's bytes to match; a denial a reason.
	key := KeyCheck{Key: a.Key, Version: version(a.Key), ExpectedDigest: a.Digest, ComputedDigest: a.Digest}
	proof := json.RawMessage(`{"payloadType":"x"}`)
	ok := Permit{PermissionID: catalog.NewID("pmt"), Tier: TierSigned, Digests: []string{digestOf('d')}, Keys: []KeyCheck{key},
		Proof: proof, ProofDigest: sha256Of(proof), Operator: "op"}
	for _, tc := range []struct {
		name string
		typ  string
		body func(p Permit) Permit
	}{
		{"permitted with a mismatching key", TypePermitted, func(p Permit) Permit {
			p.Keys = []KeyCheck{{Key: a.Key, Version: key.Version, ExpectedDigest: a.Digest, ComputedDigest: digestOf('c')}}
			return p
		}},
		{"permitted with a reason", TypePermitted, func(p Permit) Permit { p.Reason = ReasonNotASubject; return p }},
		{"denied with an id", TypeDenied, func(p Permit) Permit { p.Reason = ReasonNotASubject; return p }},
		{"denied without a reason", TypeDenied, func(p Permit) Permit { p.PermissionID = ""; return p }},
		{"proof digest differs", TypePermitted, func(p Permit) Permit { p.ProofDigest = digestOf('f'); return p }},
		{"signed without a proof", TypePermitted, func(p Permit) Permit { p.Proof, p.ProofDigest = nil, ""; return p }},
		{"stale key version", TypePermitted, func(p Permit) Permit {
			p.Keys = []KeyCheck{{Key: a.Key, Version: 99, ExpectedDigest: a.Digest, ComputedDigest: a.Digest}}
			return p
		}},
		{"operator is not the actor", TypePermitted, func(p Permit) Permit { p.Operator = "someone"; return p }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.app(tc.typ, "op", tc.body(ok)); !errors.Is(err, ErrInvalidBody) {
				t.Fatalf("%v, want ErrInvalidBody", err)
			}
		})
	}
	f.must(TypePermitted, "op", ok)
	if _, err := f.app(TypePermitted, "op", ok); !errors.Is(err, ErrInvalidBody) {
		t.Fatalf("permission id used twice: %v", err)
	}
	denied := ok
	denied.PermissionID, denied.Reason = "", ReasonNotASubject
	f.must(TypeDenied, "op", denied)
	// The history finds the masked placement by its golden key, and the
	// permit decisions (and the placement) by the raw key.
	for _, tc := range []struct {
		key   string
		types []string
	}{
		{"golden/g/a.txt", []string{TypeMasked}},
		{"raw/m/a.txt", []string{TypeMasked, TypePermitted, TypeDenied}},
	} {
		recs, _, err := f.log.History(t.Context(), ledger.HistoryQuery{Types: []string{"promotion.masked", "upload.*"},
			Where: []ledger.Attr{{Name: ledger.AttrKey, Value: tc.key}}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, r.Type)
		}
		if !slices.Equal(got, tc.types) {
			t.Errorf("history of %s: %v, want %v", tc.key, got, tc.types)
		}
	}
	// A promotion may name the permission, not an unknown one.
	f.must(TypeRequested, "op", Requested{PromotionID: catalog.NewID("prm"), Source: "raw/m/", Destination: "golden/h/", Tier: TierBasic, PermissionID: ok.PermissionID})
	if _, err := f.app(TypeRequested, "op", Requested{PromotionID: catalog.NewID("prm"), Source: "raw/m/", Destination: "golden/h/", Tier: TierBasic,
		PermissionID: catalog.NewID("pmt")}); !errors.Is(err, ErrPermissionNotFound) {
		t.Fatalf("unknown permission: %v", err)
	}
}
