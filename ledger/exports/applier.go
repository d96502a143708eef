package exports

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/assay-ledger/assay/ledger"
)

// Projection keys of export ingestion, all under "exports/". They are
// written only by the Appliers, inside the sequencer's transaction, so they
// are a pure function of the log:
//
//	exports/k/<idempotencyKey>                          current state (JSON), with every payload recorded under the key
//	exports/a/<tenant> 0 <artifactHash> 0 <runId>      index:8 of the current entry
//	exports/r/<tenant> 0 <runId> 0 <startedAt> 0 <key> index:8 of the current entry
//
// A key has at most one entry per status it moved through (forward
// transitions only), so its state lists at most three payloads; keeping
// them there rather than under keys of their own saves the sequencer one
// write per export.
//
// The "a" index serves lookups by (artifactHash, runId); the "r" index is
// the listing, ordered by runId, then startedAt (fixed-width UTC, so byte
// order is time order), then idempotency key. One (tenant, artifactHash,
// runId) has exactly one idempotency key, so both orders agree.
const (
	prefixState   = "exports/k/"
	prefixArtHash = "exports/a/"
	prefixRun     = "exports/r/"
	sortTime      = "2006-01-02T15:04:05.000000000Z"
)

// Internal outcomes of the Appliers that make Service.Submit try again with
// a fresh view: the key was recorded, or its status moved, between the
// read that chose the entry type and the sequencer applying the entry.
var (
	errRecorded = errors.New("idempotency key already recorded")
	errStale    = errors.New("export state changed since it was read")
)

// filteredPrefixes are the projection key prefixes of Module.Filtered:
// the state key an ingestion looks up is new almost every time.
func filteredPrefixes() []string { return []string{prefixState} }

// appliers returns the ledger Appliers of export.ingested and
// export.status_changed, for Module. They refuse a payload already
// recorded under its key (*DuplicateError), a second export.ingested of a
// key, and a status change that is not forward (*TransitionError) or was
// prepared against an outdated state.
func appliers() map[string]ledger.Applier {
	return map[string]ledger.Applier{TypeIngested: applyIngested, TypeStatusChanged: applyStatusChanged}
}

// state is the value of an exports/k/ key.
type state struct {
	Index         uint64 `json:"index"`
	Type          string `json:"type"` // of the entry at Index
	Status        string `json:"status"`
	Tenant        string `json:"tenant"`
	RunID         string `json:"runId"`
	ArtifactHash  string `json:"artifactHash"`
	StartedAt     string `json:"startedAt"`
	PayloadDigest string `json:"payloadDigest"`
	// Payloads are the payloads recorded under the key, oldest first:
	// the entries of every status it has had.
	Payloads []recorded `json:"payloads"`
}

// recorded is a payload digest and the entry that recorded it.
type recorded struct {
	Digest string `json:"digest"`
	Index  uint64 `json:"index"`
}

// duplicate returns the DuplicateError of a payload already recorded under
// the key of st, or nil.
func (st *state) duplicate(key, payloadDigest string) error {
	for _, r := range st.Payloads {
		if r.Digest == payloadDigest {
			return &DuplicateError{Key: key, Index: r.Index}
		}
	}
	return nil
}

// applied is the part of an entry's timeline the Appliers use.
type applied struct {
	Key            string  `json:"idempotencyKey"`
	RunID          string  `json:"runId"`
	ArtifactHash   string  `json:"artifactHash"`
	TenantID       string  `json:"tenantId"`
	StartedAt      string  `json:"startedAt"`
	Status         string  `json:"status"`
	PayloadDigest  string  `json:"payloadDigest"`
	PreviousStatus string  `json:"previousStatus"`
	PreviousIndex  *uint64 `json:"previousIndex"`
	sortStarted    string
}

// decodeApplied reads and checks the fields the projections depend on.
func decodeApplied(rec *ledger.Record) (*applied, error) {
	var a applied
	if err := json.Unmarshal(rec.Body, &a); err != nil {
		return nil, fmt.Errorf("%w: %s body: %w", ledger.ErrInvalidEntry, rec.Type, err)
	}
	started, err := ParseTimestamp(a.StartedAt)
	if err != nil {
		return nil, fmt.Errorf("%w: %s startedAt: %w", ledger.ErrInvalidEntry, rec.Type, err)
	}
	a.sortStarted = started.UTC().Format(sortTime)
	switch {
	case a.TenantID != rec.Tenant:
		return nil, fmt.Errorf("%w: %s tenantId %q in an entry of tenant %q", ledger.ErrInvalidEntry, rec.Type, a.TenantID, rec.Tenant)
	case !strings.EqualFold(a.Key, IdempotencyKey(a.RunID, a.ArtifactHash, a.TenantID)):
		return nil, fmt.Errorf("%w: %s idempotencyKey does not match runId, artifactHash and tenantId", ledger.ErrInvalidEntry, rec.Type)
	case checkStatus(a.Status) != nil || !isHash(a.PayloadDigest):
		return nil, fmt.Errorf("%w: %s needs a valid status and payloadDigest", ledger.ErrInvalidEntry, rec.Type)
	}
	a.Key = CanonicalKey(a.Key)
	return &a, nil
}

func applyIngested(tx *ledger.Tx, rec *ledger.Record) error {
	a, err := decodeApplied(rec)
	if err != nil {
		return err
	}
	cur, found, err := loadState(tx.Get, a.Key)
	if err != nil {
		return err
	}
	if found {
		if err := cur.duplicate(a.Key, a.PayloadDigest); err != nil {
			return err
		}
		return errRecorded
	}
	a.store(tx, rec, nil)
	return nil
}

func applyStatusChanged(tx *ledger.Tx, rec *ledger.Record) error {
	a, err := decodeApplied(rec)
	if err != nil {
		return err
	}
	cur, found, err := loadState(tx.Get, a.Key)
	if err != nil {
		return err
	}
	if found {
		if err := cur.duplicate(a.Key, a.PayloadDigest); err != nil {
			return err
		}
	}
	switch {
	case !found || a.PreviousIndex == nil || *a.PreviousIndex != cur.Index || a.PreviousStatus != cur.Status:
		return errStale
	case !CanTransition(cur.Status, a.Status):
		return &TransitionError{Key: a.Key, Index: cur.Index, From: cur.Status, To: a.Status}
	}
	a.store(tx, rec, cur)
	return nil
}

// store writes the projections of an accepted entry rec; prev is the
// state it replaces, nil for a new key.
func (a *applied) store(tx *ledger.Tx, rec *ledger.Record, prev *state) {
	index := rec.Index
	st := state{Index: index, Type: rec.Type, Status: a.Status, Tenant: a.TenantID, RunID: a.RunID,
		ArtifactHash: a.ArtifactHash, StartedAt: a.sortStarted, PayloadDigest: a.PayloadDigest}
	if prev != nil {
		st.Payloads = prev.Payloads
	}
	st.Payloads = append(st.Payloads, recorded{Digest: a.PayloadDigest, Index: index})
	v, _ := json.Marshal(st) // a struct of strings and integers always encodes
	tx.Set([]byte(prefixState+a.Key), v)
	idx := binary.BigEndian.AppendUint64(nil, index)
	tx.Set(artifactKey(a.TenantID, a.ArtifactHash, a.RunID), idx)
	if prev != nil && prev.StartedAt != st.StartedAt {
		tx.Delete(runKey(prev.Tenant, prev.RunID, prev.StartedAt, a.Key))
	}
	tx.Set(runKey(a.TenantID, a.RunID, st.StartedAt, a.Key), idx)
}

// loadState reads the current state of key with get (Tx.Get or
// Log.Projection).
func loadState(get func([]byte) ([]byte, error), key string) (*state, bool, error) {
	v, err := get([]byte(prefixState + key))
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var st state
	if err := json.Unmarshal(v, &st); err != nil {
		return nil, false, fmt.Errorf("export state of %s: %w", key, err)
	}
	return &st, true, nil
}

func artifactKey(tenant, artifactHash, runID string) []byte {
	return []byte(prefixArtHash + tenant + "\x00" + artifactHash + "\x00" + runID)
}

func runKey(tenant, runID, sortStarted, key string) []byte {
	return []byte(prefixRun + tenant + "\x00" + runID + "\x00" + sortStarted + "\x00" + key)
}
