package promotion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion/mask"
)

// TierMasked: signed, and the object reaches golden masked by the
// configured rules (package mask) as a new blob; the raw object keeps its
// bytes.
const TierMasked = "masked"

// TypeMasked is the outcome of a verified object of tier masked: the
// golden object referencing the masked blob (or, when no rule changed the
// object, its own blob, Unmasked set).
const TypeMasked = "promotion.masked"

// MaxMasked bounds the bytes of an object tier masked masks in memory; a
// larger one fails its check (ReasonMaskTooLarge).
const MaxMasked = 16 << 20

// Reasons an object of tier masked fails before its masked copy exists.
const (
	ReasonMaskTooLarge    = "mask-too-large"    // over MaxMasked bytes
	ReasonMaskInvalidJSON = "mask-invalid-json" // a JSON (or SARIF) object that does not parse
	ReasonMaskNotSettled  = "mask-not-settled"  // the rules kept changing the output (mask.ErrNotSettled)
)

// Masked is the body of promotion.masked. Object is the golden object: at
// the check's destination key, referencing the blob of MaskedDigest. Rules
// are the ids of the rules that changed the object, in rule order, and
// RulesDigest the sha256 of the rules file (whose content policy.applied
// holds). Unmasked says no rule changed it: Object then references the raw
// source's blob and MaskedDigest equals OriginalDigest.
type Masked struct {
	PromotionID    string            `json:"promotion_id"`
	SourceKey      string            `json:"source_key"`
	Object         catalog.ObjectRef `json:"object"`
	DecisionIndex  uint64            `json:"decision_index"`
	OriginalDigest string            `json:"original_digest"`
	MaskedDigest   string            `json:"masked_digest"`
	Rules          []string          `json:"rules"`
	RulesDigest    string            `json:"rules_digest"`
	Unmasked       bool              `json:"unmasked"`
}

// MaskMeta is what a masked golden object's metadata holds under
// "masking", beside its GoldenMeta under "promotion".
type MaskMeta struct {
	OriginalDigest string   `json:"original_digest"`
	MaskedDigest   string   `json:"masked_digest"`
	Rules          []string `json:"rules"`
	RulesDigest    string   `json:"rules_digest"`
	Unmasked       bool     `json:"unmasked"`
}

// proofTier reports whether tier t checks a verification proof.
func proofTier(t string) bool { return t == TierSigned || t == TierMasked }

// isJSON says whether the masker treats o as JSON: a media type naming
// json (application/json, application/sarif+json, ...) or a key ending in
// .json or .sarif.
func isJSON(o *catalog.Object) bool {
	ext := strings.ToLower(path.Ext(o.Key))
	return strings.Contains(strings.ToLower(o.MediaType), "json") || ext == ".json" || ext == ".sarif"
}

// masking is the masked copy of one verified object, stored already.
type masking struct {
	res  mask.Result
	info cas.Info
}

// mask reads o again (its bytes must still hash to computed), masks them
// and stores a masked copy. A reason is returned for an object that cannot
// be masked; the error is for a store that is down.
func (r *promotionRun) mask(ctx context.Context, o *catalog.Object, computed string) (*masking, string, error) {
	if o.Size > MaxMasked {
		return nil, ReasonMaskTooLarge, nil
	}
	raw, again, err := r.s.read(ctx, o, MaxMasked)
	switch {
	case err != nil:
		return nil, "", err
	case raw == nil:
		return nil, ReasonUnreadable, nil
	case again != computed:
		return nil, ReasonDigestMismatch, nil
	}
	res, err := r.s.masking.Mask(raw, isJSON(o))
	switch {
	case errors.Is(err, mask.ErrInvalidJSON):
		return nil, ReasonMaskInvalidJSON, nil
	case errors.Is(err, mask.ErrNotSettled):
		return nil, ReasonMaskNotSettled, nil
	case err != nil:
		return nil, "", err
	}
	if len(res.Fired) == 0 {
		return &masking{res: res}, "", nil
	}
	info, err := r.s.store.Put(ctx, bytes.NewReader(res.Output), cas.Digest{})
	if err != nil {
		return nil, "", fmt.Errorf("store the masked copy of %s: %w", o.Key, err)
	}
	return &masking{res: res, info: info}, "", nil
}

// placeMasked appends promotion.masked for o, checked at decision.
func (r *promotionRun) placeMasked(ctx context.Context, o *catalog.Object, decision uint64, m *masking) error {
	b := Masked{PromotionID: r.id, SourceKey: o.Key, Object: o.ObjectRef, DecisionIndex: decision, OriginalDigest: o.Digest,
		MaskedDigest: o.Digest, Rules: []string{}, RulesDigest: r.s.masking.Digest(), Unmasked: len(m.res.Fired) == 0}
	b.Object.Zone, b.Object.Key = catalog.ZoneGolden, goldenKey(r.src, r.dest, o.Key)
	if !b.Unmasked {
		b.Rules, b.MaskedDigest = m.res.Fired, m.info.Digest.String()
		b.Object.Digest, b.Object.Size, b.Object.BLAKE3 = b.MaskedDigest, m.info.Size, m.info.BLAKE3
	}
	_, err := r.s.append(ctx, TypeMasked, r.actor, r.tenant, b)
	return err
}

func applyMasked(tx *ledger.Tx, rec *ledger.Record) error {
	var b Masked
	if err := decode(rec, &b); err != nil {
		return err
	}
	p, pr, src, err := checked(tx, rec, b.PromotionID, b.SourceKey, b.DecisionIndex, "verified")
	if err != nil {
		return err
	}
	if err := checkMasked(p, pr, src, &b); err != nil {
		return invalid(rec, "%v", err)
	}
	meta, err := json.Marshal(map[string]any{"promotion": GoldenMeta{PromotionID: p.ID, SourceKey: b.SourceKey,
		SourceVersion: src.Version, Digest: pr.ComputedDigest, ProofKey: p.ProofKey, ProofDigest: p.ProofDigest,
		Tier: p.Tier, DecisionIndex: b.DecisionIndex},
		"masking": MaskMeta{OriginalDigest: b.OriginalDigest, MaskedDigest: b.MaskedDigest, Rules: b.Rules,
			RulesDigest: b.RulesDigest, Unmasked: b.Unmasked}})
	if err != nil {
		return err
	}
	if err := catalog.PutGated(tx, rec, b.Object, meta); err != nil {
		return err
	}
	pr.Status, pr.OutcomeIndex = StateMasked, rec.Index
	p.Promoted++
	if !b.Unmasked {
		p.Masked++
	}
	if err := recordStep(tx, rec, b.SourceKey, Step{PromotionID: p.ID, SourceVersion: src.Version, Tier: p.Tier,
		Digest: b.MaskedDigest, Zone: b.Object.Zone, Key: b.Object.Key}); err != nil {
		return err
	}
	if err := tx.SetJSON(progressKey(p.ID, b.SourceKey), pr); err != nil {
		return err
	}
	return tx.SetJSON(requestKey(p.ID), p)
}

// checkMasked says whether b is the outcome a Service appends for the
// check pr of promotion p over the raw object src.
func checkMasked(p *Promotion, pr *Progress, src *catalog.Object, b *Masked) error {
	switch {
	case p.Tier != TierMasked:
		return fmt.Errorf("promotion %s is of tier %s, not masked", p.ID, p.Tier)
	case b.Object.Zone != catalog.ZoneGolden || b.Object.Key != pr.Destination:
		return fmt.Errorf("object %s/%s, want golden/%s", short(b.Object.Zone), short(b.Object.Key), pr.Destination)
	case b.OriginalDigest != src.Digest || src.Digest != pr.ExpectedDigest:
		return fmt.Errorf("original_digest %s is not the checked source's %s", short(b.OriginalDigest), pr.ExpectedDigest)
	case !digestPattern.MatchString(b.RulesDigest):
		return fmt.Errorf("rules_digest %q", short(b.RulesDigest))
	case b.Rules == nil:
		return errors.New("rules must be a list")
	case b.Unmasked && (len(b.Rules) != 0 || b.MaskedDigest != b.OriginalDigest || !sameBlob(b.Object, src.ObjectRef)):
		return errors.New("an unmasked object references its source's blob and names no rule")
	case !b.Unmasked && (len(b.Rules) == 0 || b.MaskedDigest == b.OriginalDigest || b.Object.Digest != b.MaskedDigest ||
		b.Object.MediaType != src.MediaType):
		return errors.New("a masked object references a new blob of masked_digest and names the rules that fired")
	}
	for _, id := range b.Rules {
		if !reasonPattern.MatchString(id) {
			return fmt.Errorf("rule id %q", short(id))
		}
	}
	return nil
}

// maskedPolicy is tier masked as policy.applied records it: what it
// checks, and the rules file's digest and content, so that every masked
// copy can be derived again from its source.
func maskedPolicy(rules *mask.Rules) map[string]any {
	return map[string]any{"check": "signed, and the object reaches golden masked by the rules (a new blob; the raw object is untouched)",
		"rules_digest": rules.Digest(), "rules_file": string(rules.Source()), "rules": rules.List(), "max_bytes": MaxMasked}
}

// approvalMasking masks the stored bytes of tier masked item it for its
// approval, so that nothing reaches golden through tier masked unmasked:
// golden (the quarantined blob at the golden key) becomes the masked copy
// when a rule fires. Bytes that cannot be masked refuse the approval
// (ErrCannotMask); the reviewer may reject the item instead.
func (s *Service) approvalMasking(ctx context.Context, it *Item, golden *catalog.ObjectRef) (*MaskMeta, error) {
	if s.masking == nil {
		return nil, fmt.Errorf("%w: this server has no masking rules", ErrCannotMask)
	}
	o := &catalog.Object{ObjectRef: it.Object}
	raw, _, err := s.read(ctx, o, MaxMasked)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: %s is unreadable or over %d bytes", ErrCannotMask, it.SourceKey, MaxMasked)
	}
	res, err := s.masking.Mask(raw, isJSON(o))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotMask, err)
	}
	m := &MaskMeta{OriginalDigest: it.Object.Digest, MaskedDigest: it.Object.Digest, Rules: []string{}, RulesDigest: s.masking.Digest(),
		Unmasked: len(res.Fired) == 0}
	if m.Unmasked {
		return m, nil
	}
	info, err := s.store.Put(ctx, bytes.NewReader(res.Output), cas.Digest{})
	if err != nil {
		return nil, fmt.Errorf("store the masked copy of %s: %w", it.SourceKey, err)
	}
	m.Rules, m.MaskedDigest = res.Fired, info.Digest.String()
	golden.Digest, golden.Size, golden.BLAKE3 = m.MaskedDigest, info.Size, info.BLAKE3
	return m, nil
}

// checkApproved says whether an approval's golden object is the one the
// item allows: the quarantined blob at golden/<destination>, or for tier
// masked (which must record its masking) the masked copy of it.
func checkApproved(it *Item, b *Decision, want catalog.ObjectRef) error {
	switch {
	case b.Golden == nil:
		return errors.New("an approval places a golden object")
	case it.Tier != TierMasked && b.Masking != nil:
		return errors.New("only tier masked records masking")
	case it.Tier == TierMasked && b.Masking == nil:
		return errors.New("an approval of tier masked records its masking")
	case b.Masking == nil || b.Masking.Unmasked:
		if *b.Golden != want || b.Masking != nil && (len(b.Masking.Rules) != 0 || b.Masking.MaskedDigest != want.Digest) {
			return fmt.Errorf("golden must be the quarantined blob at golden/%s", it.Destination)
		}
		return nil
	}
	g, m := b.Golden, b.Masking
	if g.Zone != want.Zone || g.Key != want.Key || g.MediaType != want.MediaType || g.Digest != m.MaskedDigest ||
		m.OriginalDigest != want.Digest || m.MaskedDigest == m.OriginalDigest || len(m.Rules) == 0 || !digestPattern.MatchString(m.RulesDigest) {
		return fmt.Errorf("golden must be the masked copy of the quarantined blob at golden/%s, naming the rules that fired", it.Destination)
	}
	return nil
}
