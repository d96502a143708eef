package promotion

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

var (
	promotionIDPattern  = regexp.MustCompile(`^prm_[0-9a-f]{32}$`)
	quarantineIDPattern = regexp.MustCompile(`^qtn_[0-9a-f]{32}$`)
	digestPattern       = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	// reasonPattern is the form of a reviewer's reason code, such as
	// "false-positive" or "confirmed-tampering".
	reasonPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
)

// decode parses an entry body strictly into v.
func decode(rec *ledger.Record, v any) error {
	if err := ledger.DecodeStrict(rec.Body, v); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalidBody, rec.Type, err)
	}
	return nil
}

func invalid(rec *ledger.Record, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidBody, rec.Type, fmt.Sprintf(format, args...))
}

// running loads the record's tenant's promotion id, which must still run.
func running(tx *ledger.Tx, rec *ledger.Record, id string) (*Promotion, error) {
	var p Promotion
	err := tx.GetJSON(requestKey(id), &p)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && p.Tenant != rec.Tenant {
		return nil, fmt.Errorf("%w: %q", ErrPromotionNotFound, short(id))
	}
	if err != nil {
		return nil, err
	}
	if p.Status != StatusRequested && p.Status != StatusRunning {
		return nil, invalid(rec, "promotion %s is %s", id, p.Status)
	}
	return &p, nil
}

// finished reports whether a promotion has its promotion.completed.
func finished(p *Promotion) bool { return p.Status == StatusCompleted || p.Status == StatusFailed }

func applyRequested(tx *ledger.Tx, rec *ledger.Record) error {
	var b Requested
	if err := decode(rec, &b); err != nil {
		return err
	}
	if !promotionIDPattern.MatchString(b.PromotionID) {
		return invalid(rec, "promotion_id %q", short(b.PromotionID))
	}
	src, err := parseSource(b.Source)
	if err != nil {
		return err
	}
	if _, err := parseDestination(b.Destination); err != nil {
		return err
	}
	switch {
	case b.Tier != TierBasic && !proofTier(b.Tier):
		return fmt.Errorf("%w: %q", ErrUnknownTier, short(b.Tier))
	case proofTier(b.Tier) && b.ProofKey != src.proofKey():
		return invalid(rec, "proof_key %q, want %q", short(b.ProofKey), src.proofKey())
	case b.Tier == TierBasic && (b.ProofKey != "" || b.ProofDigest != ""):
		return invalid(rec, "tier basic has no proof")
	case b.ProofDigest != "" && !digestPattern.MatchString(b.ProofDigest):
		return invalid(rec, "proof_digest %q", short(b.ProofDigest))
	}
	if _, err := tx.Get(requestKey(b.PromotionID)); err == nil {
		return invalid(rec, "promotion id %s already used", b.PromotionID)
	}
	if err := linkPermission(tx, rec.Tenant, b.PermissionID); err != nil {
		return err
	}
	if b.RetryOf != "" {
		if err := retryable(tx, rec, &b); err != nil {
			return err
		}
	}
	p := Promotion{ID: b.PromotionID, Tenant: rec.Tenant, Source: b.Source, Destination: b.Destination, Tier: b.Tier,
		ProofKey: b.ProofKey, ProofDigest: b.ProofDigest, PermissionID: b.PermissionID, RetryOf: b.RetryOf, Status: StatusRequested,
		RequestedAt: rec.Time.UTC(), RequestedBy: rec.Actor, RequestedIndex: rec.Index}
	tx.Set(requestListKey(rec.Tenant, rec.Index), []byte(b.PromotionID))
	tx.Set(openKey(rec.Index), []byte(b.PromotionID))
	return tx.SetJSON(requestKey(b.PromotionID), p)
}

// retryable checks a retry's request against the promotion it retries:
// the tenant's, finished, with the same source, destination and tier.
func retryable(tx *ledger.Tx, rec *ledger.Record, b *Requested) error {
	var o Promotion
	err := tx.GetJSON(requestKey(b.RetryOf), &o)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && o.Tenant != rec.Tenant {
		return fmt.Errorf("%w: %q", ErrPromotionNotFound, short(b.RetryOf))
	}
	if err != nil {
		return err
	}
	if !finished(&o) {
		return fmt.Errorf("%w: %s is %s", ErrNotFinished, o.ID, o.Status)
	}
	if o.Source != b.Source || o.Destination != b.Destination || o.Tier != b.Tier {
		return invalid(rec, "a retry of %s keeps its source, destination and tier", o.ID)
	}
	return nil
}

// retryItem marks the quarantine item that a retry's check of sourceKey
// supersedes: the retried promotion must have quarantined sourceKey, and
// the item must still await review.
func retryItem(tx *ledger.Tx, rec *ledger.Record, p *Promotion, sourceKey string) error {
	var pr Progress
	err := tx.GetJSON(progressKey(p.RetryOf, sourceKey), &pr)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && pr.QuarantineID == "" {
		return invalid(rec, "%s was not quarantined by %s", short(sourceKey), p.RetryOf)
	}
	if err != nil {
		return err
	}
	it, err := pendingItem(tx, rec.Tenant, pr.QuarantineID)
	if err != nil {
		return err
	}
	t := rec.Time.UTC()
	it.Status, it.DecidedBy, it.DecidedAt, it.DecisionReason, it.DecisionIndex = ItemRetried, rec.Actor, &t, "retry:"+p.ID, rec.Index
	return tx.SetJSON(itemKey(it.ID), it)
}

// applyCheck records promotion.verified or promotion.failed for one object
// of a running promotion, once, against the object's landing record.
func applyCheck(tx *ledger.Tx, rec *ledger.Record) error {
	var b Check
	if err := decode(rec, &b); err != nil {
		return err
	}
	p, err := running(tx, rec, b.PromotionID)
	if err != nil {
		return err
	}
	src, _ := parseSource(p.Source) // checked by applyRequested
	dest, _ := parseDestination(p.Destination)
	verified := rec.Type == TypeVerified
	switch {
	case !src.covers(b.SourceKey) || b.SourceKey == "":
		return invalid(rec, "source_key %q is not under %s", short(b.SourceKey), p.Source)
	case b.Tier != p.Tier || b.ProofKey != p.ProofKey || b.ProofDigest != p.ProofDigest:
		return invalid(rec, "tier or proof differ from the promotion's")
	case b.Operator != rec.Actor:
		return invalid(rec, "operator %q is not the entry's actor", short(b.Operator))
	case verified && (b.Reason != "" || b.ComputedDigest != b.ExpectedDigest):
		return invalid(rec, "a verified object has its expected digest and no reason")
	case !verified && b.Reason == "":
		return invalid(rec, "a failed check needs a reason")
	case b.ComputedDigest != "" && !digestPattern.MatchString(b.ComputedDigest):
		return invalid(rec, "computed_digest %q", short(b.ComputedDigest))
	}
	obj, err := catalog.ObjectIn(tx, rec.Tenant, catalog.ZoneRaw, b.SourceKey)
	if err != nil {
		return err
	}
	if obj.Digest != b.ExpectedDigest || obj.Version != b.SourceVersion {
		return invalid(rec, "source %s is version %d with %s, not version %d with %s", b.SourceKey, obj.Version, obj.Digest,
			b.SourceVersion, short(b.ExpectedDigest))
	}
	if _, err := tx.Get(progressKey(p.ID, b.SourceKey)); err == nil {
		return fmt.Errorf("%w: %s in promotion %s", ErrDecidedTwice, short(b.SourceKey), p.ID)
	}
	if p.RetryOf != "" {
		if err := retryItem(tx, rec, p, b.SourceKey); err != nil {
			return err
		}
	}
	status := "failed"
	if verified {
		status = "verified"
	}
	pr := Progress{SourceKey: b.SourceKey, Destination: goldenKey(src, dest, b.SourceKey), Status: status, SourceVersion: b.SourceVersion,
		ExpectedDigest: b.ExpectedDigest, ComputedDigest: b.ComputedDigest, Reason: b.Reason, CheckIndex: rec.Index}
	p.Checked++
	p.Status = StatusRunning
	if err := recordStep(tx, rec, b.SourceKey, Step{PromotionID: p.ID, SourceVersion: b.SourceVersion, Tier: b.Tier,
		Digest: b.ComputedDigest, Reason: b.Reason}); err != nil {
		return err
	}
	if err := tx.SetJSON(progressKey(p.ID, b.SourceKey), pr); err != nil {
		return err
	}
	return tx.SetJSON(requestKey(p.ID), p)
}

// sameBlob reports whether two references name the same stored bytes.
func sameBlob(a, b catalog.ObjectRef) bool {
	return a.Digest == b.Digest && a.Size == b.Size && a.BLAKE3 == b.BLAKE3 && a.MediaType == b.MediaType
}

// checked loads what an outcome acts on: the running promotion id, the
// check of sourceKey in it (which must have status want and be the entry
// at decision), and the raw source.
func checked(tx *ledger.Tx, rec *ledger.Record, id, sourceKey string, decision uint64, want string) (*Promotion, *Progress, *catalog.Object, error) {
	p, err := running(tx, rec, id)
	if err != nil {
		return nil, nil, nil, err
	}
	var pr Progress
	if err := tx.GetJSON(progressKey(p.ID, sourceKey), &pr); err != nil {
		if errors.Is(err, ledger.ErrKeyNotFound) {
			return nil, nil, nil, invalid(rec, "%s has no check in promotion %s", short(sourceKey), p.ID)
		}
		return nil, nil, nil, err
	}
	if pr.CheckIndex == decision && pr.OutcomeIndex != 0 {
		return nil, nil, nil, fmt.Errorf("%w: %s in promotion %s is %s already", ErrDecidedTwice, short(sourceKey), p.ID, pr.Status)
	}
	if pr.Status != want || pr.CheckIndex != decision {
		return nil, nil, nil, invalid(rec, "%s is %s by the check at index %d, want %s at %d", sourceKey, pr.Status, pr.CheckIndex, want, decision)
	}
	src, err := catalog.ObjectIn(tx, rec.Tenant, catalog.ZoneRaw, sourceKey)
	if err != nil {
		return nil, nil, nil, err
	}
	return p, &pr, src, nil
}

// placing loads what promotion.promoted and promotion.quarantined act on:
// the promotion, the object's check (which must have status want and be
// the decision named), and its raw source, whose blob b.Object must
// reference in zone at the check's destination key.
func placing(tx *ledger.Tx, rec *ledger.Record, b *Placed, want, zone string) (*Promotion, *Progress, *catalog.Object, error) {
	p, pr, src, err := checked(tx, rec, b.PromotionID, b.SourceKey, b.DecisionIndex, want)
	if err != nil {
		return nil, nil, nil, err
	}
	if b.Object.Zone != zone || b.Object.Key != pr.Destination || !sameBlob(b.Object, src.ObjectRef) || src.Digest != pr.ExpectedDigest {
		return nil, nil, nil, invalid(rec, "object %s/%s does not reference the checked source's blob at %s/%s", short(b.Object.Zone), short(b.Object.Key), zone, pr.Destination)
	}
	return p, pr, src, nil
}

func applyPromoted(tx *ledger.Tx, rec *ledger.Record) error {
	var b Placed
	if err := decode(rec, &b); err != nil {
		return err
	}
	if b.QuarantineID != "" {
		return invalid(rec, "a promoted object has no quarantine id")
	}
	p, pr, src, err := placing(tx, rec, &b, "verified", catalog.ZoneGolden)
	if err != nil {
		return err
	}
	if p.Tier == TierMasked {
		return invalid(rec, "tier masked places promotion.masked, never the source's blob as is")
	}
	meta, err := json.Marshal(map[string]any{"promotion": GoldenMeta{PromotionID: p.ID, SourceKey: b.SourceKey,
		SourceVersion: src.Version, Digest: pr.ComputedDigest, ProofKey: p.ProofKey, ProofDigest: p.ProofDigest,
		Tier: p.Tier, DecisionIndex: b.DecisionIndex}})
	if err != nil {
		return err
	}
	if err := catalog.PutGated(tx, rec, b.Object, meta); err != nil {
		return err
	}
	pr.Status, pr.OutcomeIndex = "promoted", rec.Index
	p.Promoted++
	if err := recordStep(tx, rec, b.SourceKey, Step{PromotionID: p.ID, SourceVersion: src.Version, Tier: p.Tier,
		Zone: b.Object.Zone, Key: b.Object.Key}); err != nil {
		return err
	}
	if err := tx.SetJSON(progressKey(p.ID, b.SourceKey), pr); err != nil {
		return err
	}
	return tx.SetJSON(requestKey(p.ID), p)
}

// GoldenMeta is the provenance a golden object's metadata holds under
// "promotion": where it came from and which decision put it there.
type GoldenMeta struct {
	PromotionID   string `json:"promotion_id"`
	SourceKey     string `json:"source_key"`
	SourceVersion uint64 `json:"source_version"`
	Digest        string `json:"digest"`
	ProofKey      string `json:"proof_key,omitempty"`
	ProofDigest   string `json:"proof_digest,omitempty"`
	Tier          string `json:"tier"`
	DecisionIndex uint64 `json:"decision_index"`
	QuarantineID  string `json:"quarantine_id,omitempty"`
	ApprovedIndex uint64 `json:"approved_index,omitempty"`
}

func applyQuarantined(tx *ledger.Tx, rec *ledger.Record) error {
	var b Placed
	if err := decode(rec, &b); err != nil {
		return err
	}
	if !quarantineIDPattern.MatchString(b.QuarantineID) {
		return invalid(rec, "quarantine_id %q", short(b.QuarantineID))
	}
	if _, err := tx.Get(itemKey(b.QuarantineID)); err == nil {
		return invalid(rec, "quarantine id %s already used", b.QuarantineID)
	}
	p, pr, src, err := placing(tx, rec, &b, "failed", catalog.ZoneQuarantine)
	if err != nil {
		return err
	}
	meta, err := json.Marshal(map[string]any{"quarantine": map[string]any{"quarantine_id": b.QuarantineID,
		"promotion_id": p.ID, "source_key": b.SourceKey, "reason": pr.Reason, "tier": p.Tier, "decision_index": b.DecisionIndex}})
	if err != nil {
		return err
	}
	if err := catalog.PutGated(tx, rec, b.Object, meta); err != nil {
		return err
	}
	it := Item{ID: b.QuarantineID, Tenant: rec.Tenant, PromotionID: p.ID, SourceKey: b.SourceKey, Producer: src.PutBy,
		Object: b.Object, Destination: pr.Destination, Reason: pr.Reason, Tier: p.Tier, Status: ItemPending,
		QuarantinedAt: rec.Time.UTC(), Index: rec.Index}
	pr.Status, pr.OutcomeIndex, pr.QuarantineID = "quarantined", rec.Index, b.QuarantineID
	p.Quarantined++
	if err := recordStep(tx, rec, b.SourceKey, Step{PromotionID: p.ID, QuarantineID: b.QuarantineID, SourceVersion: src.Version,
		Tier: p.Tier, Reason: pr.Reason, Zone: b.Object.Zone, Key: b.Object.Key}); err != nil {
		return err
	}
	tx.Set(itemListKey(rec.Tenant, b.Object.Key, rec.Index), []byte(b.QuarantineID))
	if err := tx.SetJSON(itemKey(it.ID), it); err != nil {
		return err
	}
	if err := tx.SetJSON(progressKey(p.ID, b.SourceKey), pr); err != nil {
		return err
	}
	return tx.SetJSON(requestKey(p.ID), p)
}

func applyCompleted(tx *ledger.Tx, rec *ledger.Record) error {
	var b Completed
	if err := decode(rec, &b); err != nil {
		return err
	}
	p, err := running(tx, rec, b.PromotionID)
	if err != nil {
		return err
	}
	if b.Promoted != p.Promoted || b.Quarantined != p.Quarantined || p.Promoted+p.Quarantined != p.Checked {
		return invalid(rec, "promotion %s has %d checked, %d promoted, %d quarantined; the entry says %d and %d",
			p.ID, p.Checked, p.Promoted, p.Quarantined, b.Promoted, b.Quarantined)
	}
	p.Status, p.CompletedIndex = StatusCompleted, rec.Index
	if p.Quarantined > 0 {
		p.Status = StatusFailed
	}
	tx.Delete(openKey(p.RequestedIndex))
	return tx.SetJSON(requestKey(p.ID), p)
}

// pendingItem loads the record's tenant's quarantine item id, which must
// await review.
func pendingItem(tx *ledger.Tx, tenant, id string) (*Item, error) {
	var it Item
	err := tx.GetJSON(itemKey(id), &it)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && it.Tenant != tenant {
		return nil, fmt.Errorf("%w: %q", ErrItemNotFound, short(id))
	}
	if err != nil {
		return nil, err
	}
	if it.Status != ItemPending {
		return nil, decidedError(&it)
	}
	return &it, nil
}

// decidedError refuses a decision on an item already decided.
func decidedError(it *Item) error {
	return fmt.Errorf("%w: %s was %s at index %d", ErrDecided, it.ID, it.Status, it.DecisionIndex)
}

// checkReview says whether reviewer may decide item it with reason.
func checkReview(it *Item, reviewer, reason string, separate bool) error {
	if !reasonPattern.MatchString(reason) {
		return fmt.Errorf("%w: %q: want a code such as false-positive (lower case, digits, . _ -)", ErrInvalidReason, short(reason))
	}
	if separate && reviewer == it.Producer {
		return fmt.Errorf("%w: %s landed %s", ErrReviewerIsProducer, reviewer, it.SourceKey)
	}
	return nil
}

func applyDecision(tx *ledger.Tx, rec *ledger.Record) error {
	var b Decision
	if err := decode(rec, &b); err != nil {
		return err
	}
	it, err := pendingItem(tx, rec.Tenant, b.QuarantineID)
	if err != nil {
		return err
	}
	if err := checkReview(it, rec.Actor, b.Reason, b.SeparationOfDuties); err != nil {
		return err
	}
	it.Status = ItemRejected
	if rec.Type == TypeApproved {
		want := it.Object
		want.Zone, want.Key = catalog.ZoneGolden, it.Destination
		if err := checkApproved(it, &b, want); err != nil {
			return invalid(rec, "%v", err)
		}
		m := map[string]any{"promotion": GoldenMeta{PromotionID: it.PromotionID, SourceKey: it.SourceKey,
			Digest: it.Object.Digest, Tier: it.Tier, DecisionIndex: it.Index, QuarantineID: it.ID, ApprovedIndex: rec.Index}}
		if b.Masking != nil {
			m["masking"] = b.Masking
		}
		meta, err := json.Marshal(m)
		if err != nil {
			return err
		}
		if err := catalog.PutGated(tx, rec, *b.Golden, meta); err != nil {
			return err
		}
		it.Status = ItemApproved
	} else if b.Golden != nil || b.Masking != nil {
		return invalid(rec, "a rejection places no golden object")
	}
	t := rec.Time.UTC()
	it.DecidedBy, it.DecidedAt, it.DecisionReason, it.DecisionIndex = rec.Actor, &t, b.Reason, rec.Index
	st := Step{PromotionID: it.PromotionID, QuarantineID: it.ID, Tier: it.Tier, Reason: b.Reason}
	if b.Golden != nil {
		st.Zone, st.Key = b.Golden.Zone, b.Golden.Key
	}
	if err := recordStep(tx, rec, it.SourceKey, st); err != nil {
		return err
	}
	return tx.SetJSON(itemKey(it.ID), it)
}
