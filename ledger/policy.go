package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// PolicyType is the entry type that records the policy in force.
const PolicyType = "policy.applied"

// policyKey holds "<digest> <index>" of the policy in force; policyBodyKey
// holds the policy itself, for Appliers whose rules it sets (PolicyIn).
var (
	policyKey     = []byte("policy/current")
	policyBodyKey = []byte("policy/body")
)

// ErrPolicyUnchanged rejects a policy.applied entry whose policy equals the
// one already in force, so a restart with the same configuration adds nothing.
var ErrPolicyUnchanged = errors.New("policy unchanged")

// policyBody is the type-specific part of a policy.applied entry.
type policyBody struct {
	Digest string          `json:"policy_digest"`
	Policy json.RawMessage `json:"policy"`
}

// applyPolicy is the Applier of policy.applied: it records the digest and
// index of the policy now in force and refuses a repeat of the current one.
func applyPolicy(tx *Tx, rec *Record) error {
	var b policyBody
	if err := json.Unmarshal(rec.Body, &b); err != nil {
		return fmt.Errorf("%w: policy.applied body: %w", ErrInvalidEntry, err)
	}
	sum := sha256.Sum256(b.Policy)
	if b.Digest != "sha256:"+hex.EncodeToString(sum[:]) {
		return fmt.Errorf("%w: policy_digest %s does not match the policy", ErrInvalidEntry, b.Digest)
	}
	cur, err := tx.Get(policyKey)
	if err == nil && bytes.HasPrefix(cur, []byte(b.Digest+" ")) {
		return ErrPolicyUnchanged
	}
	if err != nil && !errors.Is(err, ErrKeyNotFound) {
		return err
	}
	tx.Set(policyKey, fmt.Appendf(nil, "%s %d", b.Digest, rec.Index))
	tx.Set(policyBodyKey, bytes.Clone(b.Policy))
	return nil
}

// PolicyIn returns, inside an Applier, the policy in force (the policy
// member of the latest policy.applied entry), nil when the log has none or
// its policy entry predates the recording of policy bodies. Appliers whose
// rules the policy sets (the grace period of deletions) check entries
// against it.
func PolicyIn(tx *Tx) (json.RawMessage, error) {
	v, err := tx.Get(policyBodyKey)
	if errors.Is(err, ErrKeyNotFound) {
		return nil, nil
	}
	return v, err
}

// Policy returns the policy in force as PolicyIn does, outside a
// transaction: services apply the same rules as the Appliers.
func (l *Log) Policy() (json.RawMessage, error) {
	v, err := l.Projection(policyBodyKey)
	if errors.Is(err, ErrKeyNotFound) {
		return nil, nil
	}
	return v, err
}

// ApplyPolicy appends a policy.applied entry carrying policy (any JSON value:
// public keys, retention classes, tiers, never secrets) unless that exact
// policy is already the one in force, or the log is a mirror (whose policy
// entries come from its source). It returns whether an entry was added.
// Decision entries name the index of the policy entry they were made under.
func (l *Log) ApplyPolicy(ctx context.Context, actor string, policy any) (bool, error) {
	raw, err := json.Marshal(policy)
	if err != nil {
		return false, fmt.Errorf("encode policy: %w", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return false, err
	}
	sum := sha256.Sum256(compact.Bytes())
	body, err := json.Marshal(policyBody{Digest: "sha256:" + hex.EncodeToString(sum[:]), Policy: compact.Bytes()})
	if err != nil {
		return false, err
	}
	_, err = l.Append(ctx, Entry{Type: PolicyType, Actor: actor, Body: body})
	if errors.Is(err, ErrPolicyUnchanged) || errors.Is(err, ErrMirror) {
		return false, nil // a mirror's policy is its source's, imported with it
	}
	return err == nil, err
}

// PolicyIndex returns the log index of the policy.applied entry in force.
func (l *Log) PolicyIndex() (uint64, error) {
	v, err := l.Projection(policyKey)
	if err != nil {
		return 0, err
	}
	var digest string
	var idx uint64
	if _, err := fmt.Sscanf(string(v), "%s %d", &digest, &idx); err != nil {
		return 0, fmt.Errorf("policy projection %q: %w", v, err)
	}
	return idx, nil
}

// PolicyInForce is PolicyIndex for decisions that name the policy they
// were made under: nil when the log has no policy.applied entry yet (a log
// no server has run).
func (l *Log) PolicyInForce() (*uint64, error) {
	idx, err := l.PolicyIndex()
	if errors.Is(err, ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the policy in force: %w", err)
	}
	return &idx, nil
}
