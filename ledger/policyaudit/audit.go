// Package policyaudit replays a log's entries in order and re-derives, from
// the policy in force (policy.applied) and the state before each entry,
// that every decision the log records followed the rules: retention,
// promotion, quarantine review and job exports. Proofs show that a log was
// not rewritten; this shows that what it recorded was allowed.
//
// It reads entries only (and the bytes of blobs, when a bundle carries
// them), never a server's projections, so an auditor runs it offline with
// nothing but a verified bundle. It keeps the state the rules need: the
// policies, packages, holds, raw objects' producers, promotion checks,
// quarantine items and export statuses.
package policyaudit

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/exports"
	"github.com/assay-ledger/assay/ledger/promotion"
	"github.com/assay-ledger/assay/ledger/retention"
)

// The rules, as reports name them.
const (
	RulePolicyDigest     = "policy.digest"         // a policy.applied's digest is the sha256 of its policy
	RulePolicyIndex      = "policy.index"          // a decision names the policy.applied in force
	RuleRetentionClass   = "retention.class"       // a package's period, mode and expiry are its class's in force
	RuleRetentionExtend  = "retention.extension"   // an extension starts at the expiry in force and never shortens it
	RuleRetentionHold    = "retention.hold"        // no deletion while a hold is active
	RuleRetentionExpiry  = "retention.expiry"      // a deletion before expiry says it is early
	RuleRetentionComply  = "retention.compliance"  // no early deletion in compliance mode
	RuleRetentionBlob    = "retention.blob"        // no collected blob is still referenced
	RuleVerifiedDigest   = "promotion.verified"    // a verified check recomputed the landing digest (and the carried bytes hash to it)
	RuleGoldenVerified   = "promotion.golden"      // every golden object has a verified check of its digest
	RuleTierProof        = "promotion.tier"        // a proof tier's proof verifies with a key the tier trusted then
	RuleMaskRules        = "promotion.mask-rules"  // masked outputs name configured rules
	RuleSeparation       = "quarantine.separation" // no review by the object's producer under separation of duties
	RuleExportForward    = "export.forward"        // export statuses move forward only
	RuleExportSignatures = "export.signatures"     // signatures, by trusted keys, where the tenant requires them
)

// Rules lists every rule the audit checks, in report order.
var Rules = []string{RulePolicyDigest, RulePolicyIndex, RuleRetentionClass, RuleRetentionExtend, RuleRetentionHold, RuleRetentionExpiry,
	RuleRetentionComply, RuleRetentionBlob, RuleVerifiedDigest, RuleGoldenVerified, RuleTierProof, RuleMaskRules, RuleSeparation,
	RuleExportForward, RuleExportSignatures}

// ruleID indexes the per-rule counters (a map increment per check was the
// audit's largest cost).
type ruleID int

const (
	idPolicyDigest ruleID = iota
	idPolicyIndex
	idRetentionClass
	idRetentionExtend
	idRetentionHold
	idRetentionExpiry
	idRetentionComply
	idRetentionBlob
	idVerifiedDigest
	idGoldenVerified
	idTierProof
	idMaskRules
	idSeparation
	idExportForward
	idExportSignatures
	numRules
)

// ruleNames are the rules' names, by ruleID.
var ruleNames = [numRules]string{idPolicyDigest: RulePolicyDigest, idPolicyIndex: RulePolicyIndex, idRetentionClass: RuleRetentionClass, idRetentionExtend: RuleRetentionExtend, idRetentionHold: RuleRetentionHold, idRetentionExpiry: RuleRetentionExpiry, idRetentionComply: RuleRetentionComply, idRetentionBlob: RuleRetentionBlob, idVerifiedDigest: RuleVerifiedDigest, idGoldenVerified: RuleGoldenVerified, idTierProof: RuleTierProof, idMaskRules: RuleMaskRules, idSeparation: RuleSeparation, idExportForward: RuleExportForward, idExportSignatures: RuleExportSignatures}

// Violation is one decision that broke a rule.
type Violation struct {
	Index    uint64 `json:"index"`
	Type     string `json:"type"`
	Rule     string `json:"rule"`
	Expected string `json:"expected"`
	Recorded string `json:"recorded"`
}

// Report is what an audit found: the entries read, the decisions checked
// per rule, and the violations in log order.
type Report struct {
	From, To   uint64            `json:"-"`
	Entries    uint64            `json:"entries"`
	Checked    map[string]uint64 `json:"checked"`
	Unproven   uint64            `json:"unproven_proofs"` // proof-tier checks whose proof bytes were not carried
	Violations []Violation       `json:"violations"`
}

// Blobs gives the bytes of a blob by its digest ("sha256:<hex>"), when the
// input carries it.
type Blobs func(digest string) ([]byte, bool)

// Auditor replays entries. Feed it every entry of a log from index 0 with
// Add, in order, then read Report.
type Auditor struct {
	blobs  Blobs
	report Report
	// from is the first index whose decisions are reported; entries before
	// it only build state (the online audit of a range).
	from uint64
	next uint64

	policy      *policy
	packages    map[string]*pkgState
	producers   map[string]string // tenant \x00 raw key -> actor of its latest object.put
	references  map[string]int    // digest -> live references (files of live packages, object versions)
	files       map[string][]string
	checks      map[string]string // promotion id \x00 source key -> the digest its verified check computed
	quarantined map[string]string // quarantine id -> tenant \x00 source key
	exports     map[string]string // tenant \x00 idempotency key -> latest status
	checked     [numRules]uint64  // decisions checked per rule
}

// New returns an auditor that reports decisions from index from on (all
// of them when zero); blobs may be nil.
func New(from uint64, blobs Blobs) *Auditor {
	if blobs == nil {
		blobs = func(string) ([]byte, bool) { return nil, false }
	}
	return &Auditor{blobs: blobs, from: from, report: Report{Violations: []Violation{}},
		packages: map[string]*pkgState{}, producers: map[string]string{}, references: map[string]int{}, files: map[string][]string{},
		checks: map[string]string{}, quarantined: map[string]string{}, exports: map[string]string{}}
}

type policy struct {
	index   uint64
	classes map[string]catalog.Class
	sod     bool
	tiers   map[string]tierPolicy
	exports map[string]exports.TenantPolicy
}

type tierPolicy struct {
	keys        map[string]ed25519.PublicKey
	rules       map[string]bool
	rulesDigest string
}

type pkgState struct {
	tenant      string
	mode        string
	expires     *time.Time
	activeHolds map[string]bool // nil until a hold is applied
	deleted     bool
}

// Entry is one entry parsed for the audit: its envelope and its body
// decoded into the type its rules read. Parse makes one without touching
// the auditor's state, so entries may be parsed concurrently and applied
// in order (Parallel).
type Entry struct {
	index uint64
	rec   *ledger.Record
	body  any
	err   error
}

// handler decodes and applies one entry type.
type handler struct {
	body  func() any
	apply func(a *Auditor, rec *ledger.Record, v any) error
}

// handlers are the entry types the rules read; any other type only counts.
var handlers = map[string]handler{
	ledger.PolicyType:               {func() any { return new(policyBody) }, (*Auditor).applyPolicy},
	catalog.TypePackageCreated:      {func() any { return new(catalog.PackageCreated) }, (*Auditor).packageCreated},
	catalog.TypeFileAdded:           {func() any { return new(catalog.FileAdded) }, (*Auditor).fileAdded},
	catalog.TypeObjectPut:           {func() any { return new(catalog.ObjectPut) }, (*Auditor).objectPut},
	retention.TypeExtended:          {func() any { return new(retention.Extended) }, (*Auditor).extended},
	retention.TypeHoldApplied:       {func() any { return new(retention.HoldApplied) }, (*Auditor).hold},
	retention.TypeHoldReleased:      {func() any { return new(retention.HoldApplied) }, (*Auditor).hold},
	retention.TypeDeletionStarted:   {func() any { return new(retention.DeletionStarted) }, (*Auditor).deletionStarted},
	retention.TypeDeletionReversed:  {func() any { return new(reversedBody) }, (*Auditor).deletionReversed},
	retention.TypeDeletionCollected: {func() any { return new(retention.DeletionCollected) }, (*Auditor).collected},
	promotion.TypeRequested:         {func() any { return new(promotion.Requested) }, (*Auditor).requested},
	promotion.TypeVerified:          {func() any { return new(promotion.Check) }, (*Auditor).verified},
	promotion.TypePromoted:          {func() any { return new(promotion.Placed) }, (*Auditor).promoted},
	promotion.TypeMasked:            {func() any { return new(promotion.Masked) }, (*Auditor).masked},
	promotion.TypeQuarantined:       {func() any { return new(promotion.Placed) }, (*Auditor).quarantinedItem},
	promotion.TypeApproved:          {func() any { return new(promotion.Decision) }, (*Auditor).review},
	promotion.TypeRejected:          {func() any { return new(promotion.Decision) }, (*Auditor).review},
	exports.TypeIngested:            {func() any { return new(exportBody) }, (*Auditor).export},
	exports.TypeStatusChanged:       {func() any { return new(exportBody) }, (*Auditor).export},
}

// Parse reads the entry at index for Apply; it touches no auditor state.
func Parse(index uint64, entry []byte) Entry {
	rec, err := ledger.ParseAuthenticatedRecord(entry)
	if err != nil {
		return Entry{index: index, err: fmt.Errorf("entry %d: %w", index, err)}
	}
	e := Entry{index: index, rec: rec}
	if h, ok := handlers[rec.Type]; ok {
		e.body = h.body()
		if err := jsonv2.Unmarshal(rec.Body, e.body); err != nil {
			e.err = fmt.Errorf("entry %d (%s): %w", index, rec.Type, err)
		}
	}
	return e
}

// Expect sizes the auditor's state for a log of n entries, so that its
// maps do not grow by rehashing a million times over. Call it before the
// first entry; it is only a hint.
func (a *Auditor) Expect(n uint64) {
	if a.next != 0 || n == 0 {
		return
	}
	c := int(min(n/4, 1<<24))
	a.packages, a.producers, a.references = make(map[string]*pkgState, c/2), make(map[string]string, c), make(map[string]int, 2*c)
	a.checks, a.exports = make(map[string]string, c), make(map[string]string, c)
}

// Add replays the entry at index; entries must come in order from 0.
func (a *Auditor) Add(index uint64, entry []byte) error {
	return a.Apply(Parse(index, entry))
}

// Apply replays a parsed entry; entries must come in order from 0.
func (a *Auditor) Apply(e Entry) error {
	if e.index != a.next {
		return fmt.Errorf("policyaudit: entry %d where entry %d was expected: an audit replays a log from its first entry, in order", e.index, a.next)
	}
	a.next++
	if e.err != nil {
		return e.err
	}
	rec := e.rec
	if rec.Index != e.index {
		return fmt.Errorf("entry %d says it is %d", e.index, rec.Index)
	}
	if e.index >= a.from {
		a.report.Entries++
	}
	if h, ok := handlers[rec.Type]; ok {
		return h.apply(a, rec, e.body)
	}
	return nil
}

func (a *Auditor) requested(rec *ledger.Record, v any) error {
	a.policyIndex(rec, v.(*promotion.Requested).PolicyIndex)
	return nil
}

func (a *Auditor) quarantinedItem(rec *ledger.Record, v any) error {
	b := v.(*promotion.Placed)
	a.quarantined[b.QuarantineID] = rec.Tenant + "\x00" + b.SourceKey
	return nil
}

// Report returns what the audit found so far.
func (a *Auditor) Report() Report {
	r := a.report
	r.Checked = map[string]uint64{}
	for id, n := range a.checked {
		if n > 0 {
			r.Checked[ruleNames[id]] = n
		}
	}
	r.Violations = slices.Clone(r.Violations)
	r.From, r.To = a.from, a.next
	return r
}

// check counts a decision under rule, and a violation when ok is false,
// which explain then describes (only then: it formats).
func (a *Auditor) check(rec *ledger.Record, rule ruleID, ok bool, explain func() (expected, recorded string)) {
	if rec.Index < a.from {
		return
	}
	a.checked[rule]++
	if !ok {
		expected, recorded := explain()
		a.report.Violations = append(a.report.Violations, Violation{Index: rec.Index, Type: rec.Type, Rule: ruleNames[rule], Expected: expected, Recorded: recorded})
	}
}

// policyIndex checks that a decision names the policy.applied in force.
func (a *Auditor) policyIndex(rec *ledger.Record, named *uint64) {
	if named == nil {
		return // written before decisions named their policy
	}
	want := "none"
	if a.policy != nil {
		want = strconv.FormatUint(a.policy.index, 10)
	}
	a.check(rec, idPolicyIndex, a.policy != nil && *named == a.policy.index, func() (string, string) {
		return "policy.applied at " + want, "policy_index " + strconv.FormatUint(*named, 10)
	})
}

// policyDoc is the part of a policy.applied the rules read.
type policyDoc struct {
	Catalog struct {
		Classes    map[string]string `json:"retention_classes"`
		Compliance map[string]bool   `json:"retention_compliance"`
	} `json:"catalog"`
	Exports   exports.TrustPolicy `json:"exports"`
	Promotion struct {
		SeparationOfDuties bool `json:"separation_of_duties"`
		Tiers              map[string]struct {
			Keys  map[string]string `json:"keys"`
			Rules []struct {
				ID string `json:"id"`
			} `json:"rules"`
			RulesDigest string `json:"rules_digest"`
		} `json:"tiers"`
	} `json:"promotion"`
}

// policyBody is the body of policy.applied.
type policyBody struct {
	Digest string          `json:"policy_digest"`
	Policy json.RawMessage `json:"policy"`
}

func (a *Auditor) applyPolicy(rec *ledger.Record, v any) error {
	b := v.(*policyBody)
	sum := sha256.Sum256(b.Policy)
	want := "sha256:" + hex.EncodeToString(sum[:])
	a.check(rec, idPolicyDigest, b.Digest == want, func() (string, string) { return want, b.Digest })
	var doc policyDoc
	if err := json.Unmarshal(b.Policy, &doc); err != nil {
		return fmt.Errorf("entry %d (policy.applied): %w", rec.Index, err)
	}
	p := &policy{index: rec.Index, classes: map[string]catalog.Class{}, sod: doc.Promotion.SeparationOfDuties,
		tiers: map[string]tierPolicy{}, exports: doc.Exports.Tenants}
	for name, period := range doc.Catalog.Classes {
		if period == "none" {
			period = ""
		}
		p.classes[name] = catalog.Class{Period: period, Compliance: doc.Catalog.Compliance[name]}
	}
	for name, t := range doc.Promotion.Tiers {
		tp := tierPolicy{keys: map[string]ed25519.PublicKey{}, rules: map[string]bool{}, rulesDigest: t.RulesDigest}
		for id, k := range t.Keys {
			if pub, err := hex.DecodeString(k); err == nil && len(pub) == ed25519.PublicKeySize {
				tp.keys[id] = pub
			}
		}
		for _, r := range t.Rules {
			tp.rules[r.ID] = true
		}
		p.tiers[name] = tp
	}
	a.policy = p
	return nil
}

func (a *Auditor) packageCreated(rec *ledger.Record, v any) error {
	b := v.(*catalog.PackageCreated)
	r := b.Retention
	if r.ExpiresAt == nil {
		// The entry records the period; the expiry is its time plus it.
		r.ExpiresAt = addPeriod(rec.Time, r.Period)
	}
	a.packages[rec.Tenant+"\x00"+b.PackageID] = &pkgState{tenant: rec.Tenant, mode: r.EffectiveMode(), expires: r.ExpiresAt}
	if a.policy == nil {
		return nil
	}
	class, ok := a.policy.classes[r.Class]
	mode := catalog.ModeGovernance
	if class.Compliance {
		mode = catalog.ModeCompliance
	}
	derived := addPeriod(rec.Time, class.Period)
	same := r.Period == class.Period && r.EffectiveMode() == mode && (derived == nil) == (r.ExpiresAt == nil) && (derived == nil || derived.Equal(*r.ExpiresAt))
	a.check(rec, idRetentionClass, ok && same, func() (string, string) {
		return fmt.Sprintf("class %s: period %q, mode %s, expiry %s", r.Class, class.Period, mode, fmtTime(derived)),
			fmt.Sprintf("class %s: period %q, mode %s, expiry %s", r.Class, r.Period, r.EffectiveMode(), fmtTime(r.ExpiresAt))
	})
	return nil
}

// addPeriod is created plus a period of days ("90d") or years ("7y"), or
// nil for none (kept forever) or a period it cannot read.
func addPeriod(created time.Time, period string) *time.Time {
	t, err := catalog.Expiry(created, period)
	if err != nil {
		return nil
	}
	return t
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func (a *Auditor) fileAdded(rec *ledger.Record, v any) error {
	b := v.(*catalog.FileAdded)
	k := rec.Tenant + "\x00" + b.PackageID
	a.files[k] = append(a.files[k], b.Digest)
	a.references[b.Digest]++
	return nil
}

func (a *Auditor) objectPut(rec *ledger.Record, v any) error {
	b := v.(*catalog.ObjectPut)
	if b.Zone == catalog.ZoneRaw {
		a.producers[rec.Tenant+"\x00"+b.Key] = rec.Actor
	}
	a.references[b.Digest]++
	return nil
}

func (a *Auditor) pkg(rec *ledger.Record, id string) *pkgState {
	return a.packages[rec.Tenant+"\x00"+id]
}

func (a *Auditor) extended(rec *ledger.Record, v any) error {
	b := v.(*retention.Extended)
	a.policyIndex(rec, b.PolicyIndex)
	p := a.pkg(rec, b.PackageID)
	if p == nil {
		return nil
	}
	a.check(rec, idRetentionExtend, p.expires != nil && p.expires.Equal(b.PreviousExpiresAt) && b.ExpiresAt.After(b.PreviousExpiresAt), func() (string, string) {
		return "from " + fmtTime(p.expires) + " to a later time", "from " + fmtTime(&b.PreviousExpiresAt) + " to " + fmtTime(&b.ExpiresAt)
	})
	e := b.ExpiresAt
	p.expires = &e
	return nil
}

func (a *Auditor) hold(rec *ledger.Record, v any) error {
	b := v.(*retention.HoldApplied)
	a.policyIndex(rec, b.PolicyIndex)
	if p := a.pkg(rec, b.PackageID); p != nil {
		if rec.Type == retention.TypeHoldApplied {
			if p.activeHolds == nil {
				p.activeHolds = map[string]bool{} // most packages never get a hold
			}
			p.activeHolds[b.HoldID] = true
		} else {
			delete(p.activeHolds, b.HoldID)
		}
	}
	return nil
}

func (a *Auditor) deletionStarted(rec *ledger.Record, v any) error {
	b := v.(*retention.DeletionStarted)
	a.policyIndex(rec, b.PolicyIndex)
	p := a.pkg(rec, b.PackageID)
	if p == nil {
		return nil
	}
	a.check(rec, idRetentionHold, len(p.activeHolds) == 0, func() (string, string) {
		return "no active hold", fmt.Sprintf("active holds %v", slices.Sorted(maps.Keys(p.activeHolds)))
	})
	early := p.expires == nil || p.expires.After(rec.Time)
	a.check(rec, idRetentionExpiry, b.Early == early, func() (string, string) {
		return fmt.Sprintf("early=%t: expiry %s, deleted at %s", early, fmtTime(p.expires), fmtTime(&rec.Time)), fmt.Sprintf("early=%t", b.Early)
	})
	a.check(rec, idRetentionComply, !early || p.mode != catalog.ModeCompliance, func() (string, string) {
		return "no deletion before the expiry " + fmtTime(p.expires) + " of a compliance-mode package", "deleted at " + fmtTime(&rec.Time)
	})
	p.deleted = true
	for _, d := range a.files[rec.Tenant+"\x00"+b.PackageID] {
		a.references[d]--
	}
	return nil
}

// reversedBody is the part of deletion.reversed the rules read.
type reversedBody struct {
	PackageID string `json:"package_id"`
}

func (a *Auditor) deletionReversed(rec *ledger.Record, v any) error {
	b := v.(*reversedBody)
	if p := a.pkg(rec, b.PackageID); p != nil && p.deleted {
		p.deleted = false
		for _, d := range a.files[rec.Tenant+"\x00"+b.PackageID] {
			a.references[d]++
		}
	}
	return nil
}

func (a *Auditor) collected(rec *ledger.Record, v any) error {
	b := v.(*retention.DeletionCollected)
	for _, blob := range b.Blobs {
		n := a.references[blob.Digest]
		a.check(rec, idRetentionBlob, n <= 0, func() (string, string) {
			return "no live package file or object naming " + blob.Digest, fmt.Sprintf("%d live references", n)
		})
	}
	return nil
}

func (a *Auditor) verified(rec *ledger.Record, v any) error {
	b := v.(*promotion.Check)
	ok := b.ComputedDigest == b.ExpectedDigest
	rehashed := ""
	if raw, carried := a.blobs(b.ComputedDigest); carried && raw != nil {
		sum := sha256.Sum256(raw)
		rehashed = "sha256:" + hex.EncodeToString(sum[:])
		ok = ok && rehashed == b.ExpectedDigest
	}
	a.check(rec, idVerifiedDigest, ok, func() (string, string) {
		recorded := "computed " + b.ComputedDigest
		if rehashed != "" {
			recorded += ", carried bytes hash to " + rehashed
		}
		return "the landing digest " + b.ExpectedDigest, recorded
	})
	a.checks[b.PromotionID+"\x00"+b.SourceKey] = b.ComputedDigest
	if b.Tier != promotion.TierSigned && b.Tier != promotion.TierMasked {
		return nil
	}
	var t tierPolicy
	if a.policy != nil {
		t = a.policy.tiers[b.Tier]
		if b.Tier == promotion.TierMasked {
			t.keys = a.policy.tiers[promotion.TierSigned].keys // masked checks the signed tier's proof
		}
	}
	raw, carried := a.blobs(b.ProofDigest)
	if !carried {
		if rec.Index >= a.from {
			a.report.Unproven++
		}
		a.check(rec, idTierProof, len(t.keys) > 0, func() (string, string) {
			return "tier " + b.Tier + " configured with trusted keys", fmt.Sprintf("%d keys", len(t.keys))
		})
		return nil
	}
	subjects, err := promotion.ProofSubjects(raw, t.keys)
	a.check(rec, idTierProof, err == nil && subjects[b.ExpectedDigest], func() (string, string) {
		recorded := "the proof " + b.ProofDigest + " does not list it"
		if err != nil {
			recorded = "the proof " + b.ProofDigest + ": " + err.Error()
		}
		return fmt.Sprintf("a proof signed by a key tier %s trusted (%v) listing %s", b.Tier, slices.Sorted(maps.Keys(t.keys)), b.ExpectedDigest), recorded
	})
	return nil
}

// golden checks an object placed in golden by promotion id's check of key:
// a verified check whose digest is digest.
func (a *Auditor) golden(rec *ledger.Record, id, key, digest string) {
	computed, ok := a.checks[id+"\x00"+key]
	a.check(rec, idGoldenVerified, ok && computed == digest, func() (string, string) {
		return "a promotion.verified of " + key + " in " + id + " with digest " + digest, "verified: " + strconv.FormatBool(ok) + " " + computed
	})
}

func (a *Auditor) promoted(rec *ledger.Record, v any) error {
	b := v.(*promotion.Placed)
	if b.Object.Zone == catalog.ZoneGolden {
		a.golden(rec, b.PromotionID, b.SourceKey, b.Object.Digest)
	}
	return nil
}

func (a *Auditor) masked(rec *ledger.Record, v any) error {
	b := v.(*promotion.Masked)
	a.golden(rec, b.PromotionID, b.SourceKey, b.OriginalDigest)
	a.maskRules(rec, b.Rules, b.RulesDigest)
	return nil
}

func (a *Auditor) maskRules(rec *ledger.Record, rules []string, digest string) {
	var t tierPolicy
	if a.policy != nil {
		t = a.policy.tiers[promotion.TierMasked]
	}
	ok := digest == t.rulesDigest && t.rulesDigest != ""
	for _, r := range rules {
		ok = ok && t.rules[r]
	}
	a.check(rec, idMaskRules, ok, func() (string, string) {
		return fmt.Sprintf("rules of %v, digest %s", slices.Sorted(maps.Keys(t.rules)), t.rulesDigest), fmt.Sprintf("rules %v, digest %s", rules, digest)
	})
}

func (a *Auditor) review(rec *ledger.Record, v any) error {
	b := v.(*promotion.Decision)
	a.policyIndex(rec, b.PolicyIndex)
	if b.Masking != nil && !b.Masking.Unmasked {
		a.maskRules(rec, b.Masking.Rules, b.Masking.RulesDigest)
	}
	source, ok := a.quarantined[b.QuarantineID]
	if !ok || a.policy == nil || !a.policy.sod {
		return nil
	}
	producer := a.producers[source]
	a.check(rec, idSeparation, rec.Actor != producer, func() (string, string) {
		return "a reviewer other than the producer " + producer, "reviewed by " + rec.Actor
	})
	return nil
}

// exportBody is the part of an export entry the rules read.
type exportBody struct {
	Key            string `json:"idempotencyKey"`
	Status         string `json:"status"`
	PreviousStatus string `json:"previousStatus"`
	Signatures     []struct {
		KeyID string `json:"keyId"`
	} `json:"signatures"`
}

func (a *Auditor) export(rec *ledger.Record, v any) error {
	b := v.(*exportBody)
	k := rec.Tenant + "\x00" + b.Key
	prev := a.exports[k]
	a.check(rec, idExportForward, b.PreviousStatus == prev && exports.CanTransition(prev, b.Status), func() (string, string) {
		return fmt.Sprintf("a status after %q, the last recorded", prev), fmt.Sprintf("%q -> %q", b.PreviousStatus, b.Status)
	})
	a.exports[k] = b.Status
	if a.policy == nil {
		return nil
	}
	tp, ok := a.policy.exports[rec.Tenant]
	if !ok || !tp.RequireSignatures {
		return nil
	}
	trusted := map[string]bool{}
	for _, vk := range tp.Keys {
		if name, _, err := exports.ParseVerifierKey(vk); err == nil {
			trusted[name] = true
		}
	}
	signed := len(b.Signatures) > 0
	var ids []string
	for _, s := range b.Signatures {
		ids = append(ids, s.KeyID)
		signed = signed && trusted[s.KeyID]
	}
	a.check(rec, idExportSignatures, signed, func() (string, string) {
		return fmt.Sprintf("signatures by keys of %v", slices.Sorted(maps.Keys(trusted))), fmt.Sprintf("signatures by %v", ids)
	})
	return nil
}

// Log replays the entries [0, to) of l and reports the decisions of
// [from, to); blobs may be nil.
func Log(ctx context.Context, l *ledger.Log, from, to uint64, blobs Blobs) (Report, error) {
	a := New(from, blobs)
	a.Expect(to)
	for start := uint64(0); start < to; start += pageSize {
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		entries, err := l.Entries(start, min(start+pageSize, to))
		if err != nil {
			return Report{}, err
		}
		for i, e := range entries {
			if err := a.Add(start+uint64(i), e); err != nil {
				return Report{}, err
			}
		}
	}
	return a.Report(), nil
}

// pageSize is how many entries Log reads at a time.
const pageSize = 1000
