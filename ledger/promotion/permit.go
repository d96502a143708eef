package promotion

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Entry types of verify-and-permit-upload: a permission granted, or
// refused with a reason (a decision, not an error).
const (
	TypePermitted = "upload.permitted"
	TypeDenied    = "upload.denied"
)

// Limits of a permit request.
const (
	// MaxPermitProof bounds the proof a permit request carries; the
	// decision entry holds it whole, so that it can be checked again.
	MaxPermitProof = 32 << 10
	// MaxPermitItems bounds the digests and keys of one request.
	MaxPermitItems = 64
)

// ErrPermissionNotFound reports an unknown permission id (or another
// tenant's) named by a promotion.
var ErrPermissionNotFound = errors.New("permission not found")

var permissionIDPattern = regexp.MustCompile(`^pmt_[0-9a-f]{32}$`)

// PermitRequest asks whether artifacts may be uploaded and promoted under
// Tier: Digests ("sha256:<hex>") the caller holds, and Keys ("raw/KEY") of
// objects already landed, whose stored bytes are hashed again. Proof is a
// DSSE envelope (a verification-proof.json), required by tiers signed and
// masked, refused by tier basic (which then needs keys).
type PermitRequest struct {
	Tier    string
	Digests []string
	Keys    []string
	Proof   json.RawMessage
}

// KeyCheck is one raw key of a permit decision: the version hashed, the
// digest it landed with and the digest of its stored bytes ("" when they
// could not be read).
type KeyCheck struct {
	Key            string `json:"key"`
	Version        uint64 `json:"version"`
	ExpectedDigest string `json:"expected_digest"`
	ComputedDigest string `json:"computed_digest,omitempty"`
}

// Permit is the body of upload.permitted (PermissionID set) and
// upload.denied (Reason set, one of the Reason constants).
type Permit struct {
	PermissionID string          `json:"permission_id,omitempty"`
	Tier         string          `json:"tier"`
	Digests      []string        `json:"digests"`
	Keys         []KeyCheck      `json:"keys"`
	Proof        json.RawMessage `json:"proof,omitempty"` // compact
	ProofDigest  string          `json:"proof_digest,omitempty"`
	Operator     string          `json:"operator"`
	Reason       string          `json:"reason,omitempty"`
}

// Permission is the projection of an upload.permitted decision.
type Permission struct {
	Permit
	Tenant string `json:"tenant"`
	Index  uint64 `json:"index"`
}

// prefixPermit is the projection of permissions by id: pro/perm/<id>.
const prefixPermit = "pro/perm/"

func permitKey(id string) []byte { return []byte(prefixPermit + id) }

// Permit verifies req as the tier's checks do and appends the decision:
// upload.permitted or upload.denied. A malformed request, an unknown tier
// or key, appends nothing.
func (s *Service) Permit(ctx context.Context, actor, tenant string, req PermitRequest) (*Permit, ledger.Appended, error) {
	b, objs, err := s.permitBody(tenant, actor, req)
	if err != nil {
		return nil, ledger.Appended{}, err
	}
	subs := map[string]bool{}
	if proofTier(req.Tier) {
		subs, err = subjects(b.Proof, s.trusted)
		if pe, ok := errors.AsType[*proofError](err); ok {
			b.Reason, err = pe.reason, nil
		}
		if err != nil {
			return nil, ledger.Appended{}, err
		}
	}
	for i, o := range objs {
		_, computed, err := s.read(ctx, o, -1)
		if err != nil {
			return nil, ledger.Appended{}, err
		}
		b.Keys[i].ComputedDigest = computed
		b.Reason = cmp(b.Reason, keyReason(computed, o.Digest, subs, proofTier(req.Tier)))
	}
	for _, d := range b.Digests {
		if !subs[d] {
			b.Reason = cmp(b.Reason, ReasonNotASubject)
		}
	}
	typ := TypeDenied
	if b.Reason == "" {
		typ, b.PermissionID = TypePermitted, catalog.NewID("pmt")
	}
	a, err := s.append(ctx, typ, actor, tenant, b)
	if err != nil {
		return nil, ledger.Appended{}, err
	}
	return b, a, nil
}

// cmp keeps the first reason found.
func cmp(have, next string) string {
	if have != "" {
		return have
	}
	return next
}

func keyReason(computed, expected string, subjects map[string]bool, proof bool) string {
	switch {
	case computed == "":
		return ReasonUnreadable
	case computed != expected:
		return ReasonDigestMismatch
	case proof && !subjects[computed]:
		return ReasonNotASubject
	}
	return ""
}

// permitBody validates req and returns the decision body before any check,
// with the raw objects of its keys.
func (s *Service) permitBody(tenant, actor string, req PermitRequest) (*Permit, []*catalog.Object, error) {
	if !slices.Contains(s.Tiers(), req.Tier) {
		return nil, nil, fmt.Errorf("%w: %q: this server offers %v", ErrUnknownTier, short(req.Tier), s.Tiers())
	}
	n := len(req.Digests) + len(req.Keys)
	switch {
	case n == 0 || n > MaxPermitItems:
		return nil, nil, fmt.Errorf("%w: %d digests and keys, want 1 to %d", ErrInvalidRequest, n, MaxPermitItems)
	case proofTier(req.Tier) && len(req.Proof) == 0:
		return nil, nil, fmt.Errorf("%w: tier %s needs a proof", ErrInvalidRequest, req.Tier)
	case !proofTier(req.Tier) && (len(req.Proof) != 0 || len(req.Digests) != 0):
		return nil, nil, fmt.Errorf("%w: tier basic checks landed keys only, without a proof", ErrInvalidRequest)
	case len(req.Proof) > MaxPermitProof:
		return nil, nil, fmt.Errorf("%w: proof of %d bytes, at most %d", ErrInvalidRequest, len(req.Proof), MaxPermitProof)
	}
	b := &Permit{Tier: req.Tier, Digests: []string{}, Keys: []KeyCheck{}, Operator: actor}
	if len(req.Proof) != 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, req.Proof); err != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
			return nil, nil, fmt.Errorf("%w: proof must be a JSON object (a DSSE envelope)", ErrInvalidRequest)
		}
		b.Proof, b.ProofDigest = buf.Bytes(), sha256Of(buf.Bytes())
	}
	seen := map[string]bool{}
	for _, d := range req.Digests {
		if !digestPattern.MatchString(d) || seen[d] {
			return nil, nil, fmt.Errorf("%w: digest %q: want distinct sha256:<64 hex>", ErrInvalidRequest, short(d))
		}
		seen[d] = true
		b.Digests = append(b.Digests, d)
	}
	var objs []*catalog.Object
	for _, k := range req.Keys {
		src, err := parseSource(k)
		if err != nil {
			return nil, nil, err
		}
		if src.prefix || seen[k] {
			return nil, nil, fmt.Errorf("%w: key %q: want distinct raw/KEY, not a prefix", ErrInvalidRequest, short(k))
		}
		seen[k] = true
		o, err := s.cat.Object(tenant, catalog.ZoneRaw, src.key)
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, o)
		b.Keys = append(b.Keys, KeyCheck{Key: src.key, Version: o.Version, ExpectedDigest: o.Digest})
	}
	return b, objs, nil
}

func sha256Of(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Permission returns the tenant's permission id.
func (s *Service) Permission(tenant, id string) (*Permission, error) {
	var p Permission
	err := s.getJSON(permitKey(id), &p)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && p.Tenant != tenant {
		return nil, fmt.Errorf("%w: %q", ErrPermissionNotFound, short(id))
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// checkPermission refuses a promotion naming a permission id the tenant
// does not have (none named is fine).
func (s *Service) checkPermission(tenant, id string) error {
	if id == "" {
		return nil
	}
	_, err := s.Permission(tenant, id)
	return err
}

// linkPermission is checkPermission inside an Applier's transaction.
func linkPermission(tx *ledger.Tx, tenant, id string) error {
	if id == "" {
		return nil
	}
	var p Permission
	err := tx.GetJSON(permitKey(id), &p)
	if errors.Is(err, ledger.ErrKeyNotFound) || err == nil && p.Tenant != tenant {
		return fmt.Errorf("%w: %q", ErrPermissionNotFound, short(id))
	}
	return err
}

func applyPermit(tx *ledger.Tx, rec *ledger.Record) error {
	var b Permit
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := checkPermit(tx, rec, &b); err != nil {
		return err
	}
	if rec.Type == TypeDenied {
		return nil
	}
	if _, err := tx.Get(permitKey(b.PermissionID)); err == nil {
		return invalid(rec, "permission id %s already used", b.PermissionID)
	}
	return tx.SetJSON(permitKey(b.PermissionID), Permission{Permit: b, Tenant: rec.Tenant, Index: rec.Index})
}

// checkPermit says whether b is a decision a Service appends: its form,
// and its keys against the raw objects as the projections hold them.
func checkPermit(tx *ledger.Tx, rec *ledger.Record, b *Permit) error {
	permitted := rec.Type == TypePermitted
	switch {
	case b.Tier != TierBasic && !proofTier(b.Tier):
		return invalid(rec, "tier %q", short(b.Tier))
	case b.Operator != rec.Actor:
		return invalid(rec, "operator %q is not the entry's actor", short(b.Operator))
	case permitted && (!permissionIDPattern.MatchString(b.PermissionID) || b.Reason != ""):
		return invalid(rec, "a permission has an id and no reason")
	case !permitted && (b.PermissionID != "" || b.Reason == ""):
		return invalid(rec, "a denial has a reason and no permission id")
	case len(b.Digests)+len(b.Keys) == 0 || len(b.Digests)+len(b.Keys) > MaxPermitItems:
		return invalid(rec, "%d digests and keys", len(b.Digests)+len(b.Keys))
	case proofTier(b.Tier) != (len(b.Proof) != 0) || len(b.Proof) != 0 && b.ProofDigest != sha256Of(b.Proof):
		return invalid(rec, "proof and proof_digest do not fit tier %s", b.Tier)
	}
	for _, d := range b.Digests {
		if !digestPattern.MatchString(d) {
			return invalid(rec, "digest %q", short(d))
		}
	}
	for _, k := range b.Keys {
		o, err := catalog.ObjectIn(tx, rec.Tenant, catalog.ZoneRaw, k.Key)
		if err != nil {
			return err
		}
		if o.Version != k.Version || o.Digest != k.ExpectedDigest || k.ComputedDigest != "" && !digestPattern.MatchString(k.ComputedDigest) {
			return invalid(rec, "key %s is version %d with %s", short(k.Key), o.Version, o.Digest)
		}
		if permitted && k.ComputedDigest != k.ExpectedDigest {
			return invalid(rec, "a permission needs every key's bytes to match")
		}
	}
	if strings.ContainsAny(b.Reason, " \n") {
		return invalid(rec, "reason %q", short(b.Reason))
	}
	return nil
}
