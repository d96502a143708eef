package promotion

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"

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
	// Logger receives the worker's errors; nil discards them.
	Logger *slog.Logger
}

// Service runs the promotion gate: it verifies a request's objects,
// appends each decision, and answers the promotion and quarantine queries.
// Every call takes the caller's tenant and treats another tenant's
// promotions, items and objects as absent. Request only records a request;
// the worker (Run, Start) decides its objects.
type Service struct {
	log      *ledger.Log
	cat      *catalog.Catalog
	store    cas.Store
	trusted  map[string]ed25519.PublicKey
	separate bool
	layout   []string
	obs      Observer
	masking  *mask.Rules
	logger   *slog.Logger
	wake     chan struct{} // a request is waiting for the worker

	mu      sync.Mutex
	changed chan struct{} // closed when a promotion finishes (Wait)
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
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{log: cfg.Log, cat: cfg.Catalog, store: cfg.Store, trusted: maps.Clone(cfg.Trusted), separate: !cfg.AllowSelfReview,
		layout: layout, obs: cfg.Observer, masking: cfg.Masking, logger: logger, wake: make(chan struct{}, 1), changed: make(chan struct{})}, nil
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

// Request checks req and appends promotion.requested; the worker (Run)
// verifies and decides its objects afterwards. A bad request (source outside
// raw, destination outside golden or its layout, unknown tier, a source
// matching none of the tenant's objects) appends nothing.
func (s *Service) Request(ctx context.Context, actor, tenant string, req Request) (*Promotion, error) {
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
	body := Requested{PromotionID: catalog.NewID("prm"), Source: req.Source, Destination: req.Destination, Tier: req.Tier,
		PermissionID: req.PermissionID}
	return s.request(ctx, actor, tenant, body)
}

// request appends body, with the proof the source holds now and the policy
// in force, and wakes the worker.
func (s *Service) request(ctx context.Context, actor, tenant string, body Requested) (*Promotion, error) {
	if proofTier(body.Tier) {
		src, _ := parseSource(body.Source)
		body.ProofKey = src.proofKey()
		o, err := s.cat.Object(tenant, catalog.ZoneRaw, body.ProofKey)
		switch {
		case err == nil:
			body.ProofDigest = o.Digest
		case !errors.Is(err, catalog.ErrObjectNotFound):
			return nil, err
		}
	}
	pol, err := s.log.PolicyInForce()
	if err != nil {
		return nil, err
	}
	body.PolicyIndex = pol
	if _, err := s.append(ctx, TypeRequested, actor, tenant, body); err != nil {
		return nil, err
	}
	s.wakeWorker()
	return s.Promotion(tenant, body.PromotionID)
}

// Retry appends a new promotion (a new attempt, promotion.requested with
// retry_of) that checks again every object the tenant's finished promotion
// id quarantined and that still awaits review; each such item becomes
// "retried" when the new attempt checks its object, and the attempt's own
// outcome (golden or a new quarantine item) stands. An unknown id, one not
// finished, or one with nothing awaiting review appends nothing.
func (s *Service) Retry(ctx context.Context, actor, tenant, id string) (*Promotion, error) {
	p, err := s.Promotion(tenant, id)
	if err != nil {
		return nil, err
	}
	if !finished(p) {
		return nil, fmt.Errorf("%w: %s is %s", ErrNotFinished, p.ID, p.Status)
	}
	found := false
	if err := s.retrySet(ctx, p.ID, func(page []Progress) error {
		found = len(page) > 0
		return errFound
	}); err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %s", ErrNothingToRetry, p.ID)
	}
	return s.request(ctx, actor, tenant, Requested{PromotionID: catalog.NewID("prm"), Source: p.Source, Destination: p.Destination,
		Tier: p.Tier, PermissionID: p.PermissionID, RetryOf: p.ID})
}

// retrySet calls fn with the objects promotion id quarantined whose items
// still await review, in source key order, a page at a time.
func (s *Service) retrySet(ctx context.Context, id string, fn func([]Progress) error) error {
	cursor := ""
	for {
		var page []Progress
		next, err := s.page(ctx, progressPrefix(id), cursor, pageSize, func(v []byte) (bool, error) {
			var pr Progress
			if err := json.Unmarshal(v, &pr); err != nil {
				return false, err
			}
			if pr.QuarantineID == "" {
				return false, nil
			}
			var it Item
			if err := s.getJSON(itemKey(pr.QuarantineID), &it); err != nil {
				return false, err
			}
			if it.Status != ItemPending {
				return false, nil
			}
			page = append(page, pr)
			return true, nil
		})
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// errFound stops the scan for a first object.
var errFound = errors.New("found")

// promotionRun is one promotion in progress.
type promotionRun struct {
	s                     *Service
	id                    string
	retryOf               string
	actor, tenant         string
	src                   source
	dest, tier            string
	proofKey, proofDigest string
	subjects              map[string]bool // of a proof that holds
	proofErr              *proofError     // of one that does not
}

// eachObject calls fn for every raw object of the source, in key order,
// page by page (the proof of tier signed excepted).
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
// and checks it once for every object of the promotion. A proof missing,
// or other than the one the request recorded, fails every object.
func (r *promotionRun) loadProof(ctx context.Context) error {
	o, err := r.s.cat.Object(r.tenant, catalog.ZoneRaw, r.proofKey)
	if errors.Is(err, catalog.ErrObjectNotFound) || err == nil && r.proofDigest == "" {
		r.proofErr = &proofError{ReasonProofMissing, fmt.Errorf("no raw/%s at the request", r.proofKey)}
		return nil
	}
	if err != nil {
		return err
	}
	if o.Digest != r.proofDigest {
		r.proofErr = &proofError{ReasonProofTampered, fmt.Errorf("raw/%s is %s, the request recorded %s", r.proofKey, o.Digest, r.proofDigest)}
		return nil
	}
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
	if r.retryOf != "" && errors.Is(err, ErrDecided) {
		return nil // a reviewer decided the item since the retry's request
	}
	if err != nil {
		return err
	}
	if m != nil {
		return r.placeMasked(ctx, o, a.Record.Index, m)
	}
	return r.place(ctx, o, a.Record.Index, reason != "")
}

// place appends the outcome of o's check at index: golden, or quarantine
// when it failed.
func (r *promotionRun) place(ctx context.Context, o *catalog.Object, check uint64, failed bool) error {
	placed := Placed{PromotionID: r.id, SourceKey: o.Key, Object: o.ObjectRef, DecisionIndex: check}
	placed.Object.Key = goldenKey(r.src, r.dest, o.Key)
	typ := TypePromoted
	placed.Object.Zone = catalog.ZoneGolden
	if failed {
		typ, placed.Object.Zone, placed.QuarantineID = TypeQuarantined, catalog.ZoneQuarantine, catalog.NewID("qtn")
	}
	_, err := r.s.append(ctx, typ, r.actor, r.tenant, placed)
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
