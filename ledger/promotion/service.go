package promotion

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
	"github.com/assay-ledger/assay/ledger/promotion/mask"
)

// pageSize is how many raw objects a promotion reads from the catalog at a
// time, so that a large prefix is processed in bounded memory (a variable
// for the tests).
var pageSize = 256

// Config configures a Service. Log, Catalog and Store are required.
type Config struct {
	Log     *ledger.Log
	Catalog *catalog.Catalog // over the same log
	Store   cas.Store        // the bytes the catalog references
	// Trusted are the keys of tier signed, by DSSE key id; without any,
	// the server offers tier basic only.
	Trusted map[string]ed25519.PublicKey
	// AllowSelfReview lets the producer who landed an object approve or
	// reject it in quarantine; off by default (separation of duties).
	AllowSelfReview bool
	// GoldenLayout are the top-level prefixes of zone golden a promotion
	// may target (such as DefaultGoldenLayout); none allows every prefix.
	GoldenLayout []string
	// Observer, when set, is told of every decision the Service appends
	// (metrics); see Observer.
	Observer Observer
	// Masking are the rules of tier masked, offered when they and Trusted
	// are set.
	Masking *mask.Rules
}

// Service runs the promotion gate: it verifies a request's objects,
// appends each decision, and answers the promotion and quarantine queries.
// Every call takes the caller's tenant and treats another tenant's
// promotions, items and objects as absent. Promote runs synchronously: it
// returns once every object is decided.
type Service struct {
	log      *ledger.Log
	cat      *catalog.Catalog
	store    cas.Store
	trusted  map[string]ed25519.PublicKey
	separate bool
	layout   []string
	obs      Observer
	masking  *mask.Rules
}

// NewService returns a Service as cfg says.
func NewService(cfg Config) (*Service, error) {
	if cfg.Log == nil || cfg.Catalog == nil || cfg.Store == nil {
		return nil, errors.New("promotion: Config.Log, Catalog and Store are required")
	}
	for id, k := range cfg.Trusted {
		if id == "" || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("promotion: trusted key %q: want a key id and a %d-byte Ed25519 public key", id, ed25519.PublicKeySize)
		}
	}
	layout, err := CheckLayout(cfg.GoldenLayout)
	if err != nil {
		return nil, err
	}
	return &Service{log: cfg.Log, cat: cfg.Catalog, store: cfg.Store, trusted: maps.Clone(cfg.Trusted), separate: !cfg.AllowSelfReview,
		layout: layout, obs: cfg.Observer, masking: cfg.Masking}, nil
}

// Tiers returns the tiers the server offers.
func (s *Service) Tiers() []string { return tiers(s.trusted, s.masking) }

func tiers(trusted map[string]ed25519.PublicKey, masking *mask.Rules) []string {
	switch {
	case len(trusted) == 0:
		return []string{TierBasic}
	case masking == nil:
		return []string{TierBasic, TierSigned}
	}
	return []string{TierBasic, TierSigned, TierMasked}
}

// Policy is the gate's configuration cfg as the policy.applied entry
// records it: the tiers with what each checks, the signed tier's public
// keys (hex), whether separation of duties holds, and the golden layout
// (the allowed top-level prefixes of zone golden; empty: any).
func Policy(cfg Config) map[string]any {
	t := map[string]any{TierBasic: map[string]string{"check": "sha256 of the stored bytes equals the digest recorded at landing"}}
	if len(cfg.Trusted) > 0 {
		keys := map[string]string{}
		for _, id := range slices.Sorted(maps.Keys(cfg.Trusted)) {
			keys[id] = hex.EncodeToString(cfg.Trusted[id])
		}
		t[TierSigned] = map[string]any{"check": "basic, and a DSSE-signed in-toto Statement v1 in " + ProofName +
			" under the source lists the object's sha256", "payload_type": ProofPayloadType, "keys": keys}
		if cfg.Masking != nil {
			t[TierMasked] = maskedPolicy(cfg.Masking)
		}
	}
	layout := slices.Sorted(slices.Values(cfg.GoldenLayout))
	if layout == nil {
		layout = []string{}
	}
	return map[string]any{"tiers": t, "separation_of_duties": !cfg.AllowSelfReview, "golden_layout": layout}
}

// Request asks to promote the raw objects of Source ("raw/KEY" or
// "raw/PREFIX/") to Destination ("golden/PREFIX/") after the checks of Tier.
type Request struct {
	Source, Destination, Tier string
	// PermissionID, when set, names an upload.permitted decision of the
	// tenant the promotion is linked to.
	PermissionID string
}

// Promote verifies every object the request names and promotes or
// quarantines each, appending promotion.requested, a check and an outcome
// per object, and promotion.completed. A bad request appends nothing.
func (s *Service) Promote(ctx context.Context, actor, tenant string, req Request) (*Promotion, error) {
	src, err := parseSource(req.Source)
	if err != nil {
		return nil, err
	}
	dest, err := parseDestination(req.Destination)
	if err != nil {
		return nil, err
	}
	if err := inLayout(s.layout, dest); err != nil {
		return nil, err
	}
	if !slices.Contains(s.Tiers(), req.Tier) {
		return nil, fmt.Errorf("%w: %q: this server offers %v", ErrUnknownTier, short(req.Tier), s.Tiers())
	}
	run := &promotionRun{s: s, actor: actor, tenant: tenant, src: src, dest: dest, tier: req.Tier}
	if err := run.eachObject(ctx, func(*catalog.Object) error { return errFound }); !errors.Is(err, errFound) {
		if err == nil {
			err = fmt.Errorf("%w: %s has no object of yours", ErrSourceNotFound, short(req.Source))
		}
		return nil, err
	}
	if err := s.checkPermission(tenant, req.PermissionID); err != nil {
		return nil, err
	}
	if proofTier(req.Tier) {
		if err := run.loadProof(ctx); err != nil {
			return nil, err
		}
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	body := Requested{PromotionID: catalog.NewID("prm"), Source: req.Source, Destination: req.Destination, Tier: req.Tier,
		ProofKey: run.proofKey, ProofDigest: run.proofDigest, PolicyIndex: pol, PermissionID: req.PermissionID}
	if _, err := s.append(ctx, TypeRequested, actor, tenant, body); err != nil {
		return nil, err
	}
	run.id = body.PromotionID
	// A decision begun is finished even if the client goes away: a check
	// alone would leave its object undecided.
	decideCtx := context.WithoutCancel(ctx)
	if err := run.eachObject(ctx, func(o *catalog.Object) error { return run.decide(decideCtx, o) }); err != nil {
		return nil, fmt.Errorf("promotion %s stopped: %w", run.id, err)
	}
	p, err := s.Promotion(tenant, run.id)
	if err != nil {
		return nil, err
	}
	if _, err := s.append(ctx, TypeCompleted, actor, tenant, Completed{PromotionID: p.ID, Promoted: p.Promoted, Quarantined: p.Quarantined}); err != nil {
		return nil, err
	}
	return s.Promotion(tenant, run.id)
}

// errFound stops the scan for a first object.
var errFound = errors.New("found")

// promotionRun is one promotion in progress.
type promotionRun struct {
	s                     *Service
	id                    string
	actor, tenant         string
	src                   source
	dest, tier            string
	proofKey, proofDigest string
	subjects              map[string]bool // of a proof that holds
	proofErr              *proofError     // of one that does not
}

// eachObject calls fn for every raw object of the source, page by page
// (the proof of tier signed excepted).
func (r *promotionRun) eachObject(ctx context.Context, fn func(*catalog.Object) error) error {
	if !r.src.prefix {
		o, err := r.s.cat.Object(r.tenant, catalog.ZoneRaw, r.src.key)
		if errors.Is(err, catalog.ErrObjectNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(o)
	}
	cursor := ""
	for {
		objs, next, err := r.s.cat.Objects(ctx, r.tenant, catalog.ZoneRaw, r.src.key, cursor, pageSize)
		if err != nil {
			return err
		}
		for i := range objs {
			if proofTier(r.tier) && objs[i].Key == r.src.proofKey() {
				continue
			}
			if err := fn(&objs[i]); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// loadProof reads the source's verification proof, re-hashing its bytes,
// and checks it once for every object of the promotion.
func (r *promotionRun) loadProof(ctx context.Context) error {
	r.proofKey = r.src.proofKey()
	o, err := r.s.cat.Object(r.tenant, catalog.ZoneRaw, r.proofKey)
	if errors.Is(err, catalog.ErrObjectNotFound) {
		r.proofErr = &proofError{ReasonProofMissing, fmt.Errorf("no raw/%s", r.proofKey)}
		return nil
	}
	if err != nil {
		return err
	}
	r.proofDigest = o.Digest
	raw, computed, err := r.s.read(ctx, o, MaxProof)
	if err != nil {
		return err
	}
	switch {
	case raw == nil:
		r.proofErr = &proofError{ReasonProofTampered, fmt.Errorf("raw/%s is unreadable", r.proofKey)}
	case computed != o.Digest:
		r.proofErr = &proofError{ReasonProofTampered, fmt.Errorf("raw/%s hashes to %s, landed as %s", r.proofKey, computed, o.Digest)}
	default:
		r.subjects, err = subjects(raw, r.s.trusted)
		if pe, ok := errors.AsType[*proofError](err); ok {
			r.proofErr, err = pe, nil
		}
	}
	return err
}

// decide checks one object and appends its check and its outcome.
func (r *promotionRun) decide(ctx context.Context, o *catalog.Object) error {
	_, computed, err := r.s.read(ctx, o, -1)
	if err != nil {
		return err
	}
	reason := ""
	switch {
	case computed == "":
		reason = ReasonUnreadable
	case computed != o.Digest:
		reason = ReasonDigestMismatch
	case proofTier(r.tier) && r.proofErr != nil:
		reason = r.proofErr.reason
	case proofTier(r.tier) && !r.subjects[computed]:
		reason = ReasonNotASubject
	}
	var m *masking
	if reason == "" && r.tier == TierMasked {
		if m, reason, err = r.mask(ctx, o, computed); err != nil {
			return err
		}
	}
	chk := Check{PromotionID: r.id, SourceKey: o.Key, SourceVersion: o.Version, ExpectedDigest: o.Digest, ComputedDigest: computed,
		ProofKey: r.proofKey, ProofDigest: r.proofDigest, Tier: r.tier, Operator: r.actor, Reason: reason}
	typ := TypeVerified
	if reason != "" {
		typ = TypeFailed
	}
	a, err := r.s.append(ctx, typ, r.actor, r.tenant, chk)
	if err != nil {
		return err
	}
	if m != nil {
		return r.placeMasked(ctx, o, a.Record.Index, m)
	}
	placed := Placed{PromotionID: r.id, SourceKey: o.Key, Object: o.ObjectRef, DecisionIndex: a.Record.Index}
	placed.Object.Key = goldenKey(r.src, r.dest, o.Key)
	typ, placed.Object.Zone = TypePromoted, catalog.ZoneGolden
	if reason != "" {
		typ, placed.Object.Zone, placed.QuarantineID = TypeQuarantined, catalog.ZoneQuarantine, catalog.NewID("qtn")
	}
	_, err = r.s.append(ctx, typ, r.actor, r.tenant, placed)
	return err
}

// read streams o's stored bytes through sha256 and returns the digest
// ("sha256:<hex>"), and the bytes themselves when keep >= 0 and they fit
// in keep bytes. Bytes that cannot be read (missing, corrupt, too large to
// keep) give an empty digest; only a store that is down is an error.
func (s *Service) read(ctx context.Context, o *catalog.Object, keep int64) ([]byte, string, error) {
	d, err := cas.ParseDigest(o.Digest)
	if err != nil {
		return nil, "", nil
	}
	rc, err := s.store.Get(ctx, d, 0, -1)
	if errors.Is(err, cas.ErrUnavailable) {
		return nil, "", fmt.Errorf("read %s: %w", o.Digest, err)
	}
	if err != nil {
		return nil, "", nil
	}
	defer rc.Close()
	h := sha256.New()
	var w io.Writer = h
	var buf *limitedBuffer
	if keep >= 0 {
		buf = &limitedBuffer{max: keep}
		w = io.MultiWriter(h, buf)
	}
	if _, err := io.Copy(w, rc); err != nil {
		if errors.Is(err, cas.ErrUnavailable) {
			return nil, "", fmt.Errorf("read %s: %w", o.Digest, err)
		}
		return nil, "", nil
	}
	computed := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if buf == nil {
		return nil, computed, nil
	}
	if buf.over {
		return nil, "", nil
	}
	return buf.b, computed, nil
}

// limitedBuffer keeps at most max bytes and notes whether more came.
type limitedBuffer struct {
	b    []byte
	max  int64
	over bool
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(len(l.b)+len(p)) > l.max {
		l.over = true
	} else {
		l.b = append(l.b, p...)
	}
	return len(p), nil
}
