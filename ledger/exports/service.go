package exports

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/events"
	"github.com/assay-ledger/assay/verifier"
)

// Listing bounds.
const (
	// DefaultLimit is the page size of a listing without a limit.
	DefaultLimit = 100
	// MaxLimit is the largest page a listing returns.
	MaxLimit = 1000
)

// maxEntryBody bounds the encoded timeline of one entry, leaving room in
// ledger.MaxEntrySize for the envelope fields.
const maxEntryBody = ledger.MaxEntrySize - 1024

// maxAttempts bounds how often Submit re-reads the state of a key that
// changed under it; a key changes at most three times (pending, running,
// terminal), so a fourth attempt always settles.
const maxAttempts = 4

// ServiceConfig configures a Service. Log is required and must have been
// opened with Module among its modules.
type ServiceConfig struct {
	Log   *ledger.Log
	Trust *Trust      // signature policy; nil trusts no key and requires none
	Bus   *events.Bus // receives EventCreated for each accepted export; optional
	// Store keeps the canonical payload of exports too large for a ledger
	// entry (see Timeline.Detached); without it such exports are refused
	// with ErrTooLarge.
	Store cas.Store
	// MaxChecking bounds the submissions that decode and verify at once
	// (runtime.GOMAXPROCS when zero); see Service.check.
	MaxChecking int
}

// Service ingests job exports into the ledger and reads them back with
// inclusion proofs. It is safe for concurrent use; the duplicate and
// transition checks live in the Appliers, inside the sequencer's
// transaction, so concurrent submissions cannot both pass them.
type Service struct {
	log      *ledger.Log
	trust    *Trust
	bus      *events.Bus
	store    cas.Store     // nil: no detached payloads
	policy   *uint64       // index of the policy.applied entry in force; nil when none
	checking chan struct{} // one slot per submission decoding and verifying
	ed25519  ed25519Verifier
}

// NewService returns a Service over cfg.Log. Make it after the policy carrying
// cfg.Trust has been applied (Log.ApplyPolicy): every export entry names
// the policy.applied entry in force when the Service was made.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Log == nil {
		return nil, errors.New("exports: ServiceConfig.Log is required")
	}
	if cfg.Trust == nil {
		cfg.Trust = NewTrust()
	}
	if cfg.MaxChecking <= 0 {
		cfg.MaxChecking = runtime.GOMAXPROCS(0)
	}
	s := &Service{log: cfg.Log, trust: cfg.Trust, bus: cfg.Bus, store: cfg.Store, checking: make(chan struct{}, cfg.MaxChecking)}
	var err error
	if s.policy, err = cfg.Log.PolicyInForce(); err != nil {
		return nil, err
	}
	return s, nil
}

// Proven is an export entry with its inclusion proof in the tree of
// TreeSize, whose signed checkpoint is Checkpoint. As the answer to Submit
// it is the receipt: Checkpoint is the one of the batch that committed the
// entry, and everything in it can be verified offline.
type Proven struct {
	Type       string   // TypeIngested or TypeStatusChanged
	Key        string   // the idempotency key
	Status     string   // the export's status after this entry
	Index      uint64   // ledger index of the entry
	Entry      []byte   // the entry's leaf bytes
	TreeSize   uint64   // size of the tree the proof is for
	Checkpoint []byte   // signed checkpoint note of that tree
	Proof      [][]byte // RFC 6962 audit path, leaf to root
}

// Submit ingests one export body on behalf of actor, whose token belongs
// to tenant. It parses and validates the body, checks that tenantId is
// tenant, verifies signatures against tenant's trusted keys (fail closed),
// and appends an export.ingested entry for a new idempotency key or an
// export.status_changed entry for a forward status change. It returns
// only after the entry's batch is durable, with the batch's checkpoint and
// the entry's inclusion proof, and then publishes EventCreated. Every
// refusal (a parse, tenant, signature, duplicate or transition error)
// means nothing was written; only the error of an entry committed without
// an inclusion proof (ledger.Log.Append) says so in its message.
func (s *Service) Submit(ctx context.Context, actor, tenant string, body []byte) (*Proven, error) {
	t, first, err := s.check(ctx, actor, tenant, body)
	if err != nil {
		return nil, err
	}
	if err := s.storePayload(ctx, t); err != nil {
		return nil, err
	}
	a, err := s.append(ctx, actor, t, first)
	if err != nil {
		return nil, err
	}
	s.publish(a.Record, body)
	return &Proven{Type: a.Record.Type, Key: CanonicalKey(t.IdempotencyKey), Status: t.Status, Index: a.Record.Index, Entry: a.Record.Bytes,
		TreeSize: a.TreeSize, Checkpoint: a.Checkpoint, Proof: a.Proof}, nil
}

// check decodes and validates a submission of tenant, verifies its
// signatures and prepares its first ledger entry. At most MaxChecking
// submissions do this at once; the others wait (parked, not runnable) for
// a slot, and a slot is given back before the entry waits for its commit.
// Under load that keeps the Go scheduler's run queues short, so that the
// ledger's sequencer and committer, which every answer waits for, are not
// queued behind dozens of handlers each in a CPU-heavy step.
func (s *Service) check(ctx context.Context, actor, tenant string, body []byte) (*Timeline, *ledger.Prepared, error) {
	select {
	case s.checking <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-s.checking }()
	sub, canonical, err := Decode(body)
	if err != nil {
		return nil, nil, err
	}
	if sub.TenantID != tenant {
		return nil, nil, fmt.Errorf("%w: tenantId %s, but the caller's tenant is %s", ErrTenantMismatch, quote(sub.TenantID), quote(tenant))
	}
	if err := s.checkSignatures(sub, canonical); err != nil {
		return nil, nil, err
	}
	t, err := NewTimeline(sub, canonical)
	if err != nil {
		return nil, nil, err
	}
	t.PolicyIndex = s.policy
	e, err := s.entry(actor, t)
	return t, e, err
}

// checkSignatures applies the tenant's signature policy.
func (s *Service) checkSignatures(sub *Submission, canonical []byte) error {
	if !sub.Signed() {
		if s.trust.Required(sub.TenantID) {
			return fmt.Errorf("%w: tenant %s accepts only signed exports", ErrSignatureRequired, quote(sub.TenantID))
		}
		return nil
	}
	return verifySignatures(sub, canonical, s.trust.Keys(sub.TenantID), s.ed25519.verify)
}

// entry prepares the ledger entry of t: a new record or a status change,
// whichever the current state of its key calls for.
func (s *Service) entry(actor string, t *Timeline) (*ledger.Prepared, error) {
	typ, err := s.prepare(t)
	if err != nil {
		return nil, err
	}
	body, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	if len(body) > maxEntryBody && s.store != nil && t.detach() {
		if body, err = t.Marshal(); err != nil {
			return nil, err
		}
	}
	if len(body) > maxEntryBody {
		return nil, fmt.Errorf("%w: its ledger entry would hold %d bytes of fields, over the %d-byte entry limit; reference large data by cas:// path",
			ErrTooLarge, len(body), maxEntryBody)
	}
	return ledger.Prepare(ledger.Entry{Type: typ, Actor: actor, Tenant: t.TenantID, Body: body})
}

// storePayload writes the canonical payload of a detached timeline to the
// content store, durably, before its entry is appended: a receipt is given
// only for an export whose every byte is kept. The payload's address is
// its PayloadDigest; storing it again is a no-op.
func (s *Service) storePayload(ctx context.Context, t *Timeline) error {
	if len(t.Detached) == 0 {
		return nil
	}
	want, err := cas.ParseDigest(t.PayloadDigest)
	if err != nil {
		return err
	}
	if _, err := s.store.Put(ctx, bytes.NewReader(t.payload), want); err != nil {
		return fmt.Errorf("store the payload of export %s: %w", CanonicalKey(t.IdempotencyKey), err)
	}
	return nil
}

// append appends e, the entry check prepared for t, and when the state of
// t's key changed before the sequencer applied it, prepares the entry
// again and retries.
func (s *Service) append(ctx context.Context, actor string, t *Timeline, e *ledger.Prepared) (ledger.Appended, error) {
	for attempt := 1; ; attempt++ {
		a, err := s.log.AppendPrepared(ctx, e)
		if !(errors.Is(err, errRecorded) || errors.Is(err, errStale)) || attempt == maxAttempts {
			return a, err
		}
		if e, err = s.entry(actor, t); err != nil {
			return ledger.Appended{}, err
		}
	}
}

// prepare chooses the entry type for t from the committed state of its key
// and fills in the previous state; a payload already recorded is refused
// here at once (the Appliers check again, authoritatively).
func (s *Service) prepare(t *Timeline) (string, error) {
	t.PreviousStatus, t.PreviousIndex = "", nil
	cur, found, err := loadState(s.log.Projection, CanonicalKey(t.IdempotencyKey))
	if err != nil || !found {
		return TypeIngested, err
	}
	if err := cur.duplicate(CanonicalKey(t.IdempotencyKey), t.PayloadDigest); err != nil {
		return "", err
	}
	idx := cur.Index
	t.PreviousStatus, t.PreviousIndex = cur.Status, &idx
	return TypeStatusChanged, nil
}

// publish announces an accepted export with the submitted body, compacted.
func (s *Service) publish(rec *ledger.Record, body []byte) {
	if s.bus == nil {
		return
	}
	var data bytes.Buffer
	if err := json.Compact(&data, body); err != nil {
		return // Decode accepted the body, so it is valid JSON
	}
	s.bus.Publish(events.Event{Type: EventCreated, Tenant: rec.Tenant, Index: rec.Index, Time: rec.Time, Data: data.Bytes()})
}

// Get returns the current entry of the export with idempotency key key,
// which must belong to tenant, with its inclusion proof against the
// latest checkpoint.
func (s *Service) Get(ctx context.Context, tenant, key string) (*Proven, error) {
	if !isHash(key) {
		return nil, fmt.Errorf("%w: idempotency key %s, want sha256: and 64 hex digits", ErrInvalidQuery, quote(key))
	}
	key = CanonicalKey(key)
	cur, found, err := loadState(s.log.Projection, key)
	if err != nil {
		return nil, err
	}
	if !found || cur.Tenant != tenant {
		return nil, fmt.Errorf("%w: no export with idempotency key %s for tenant %s", ErrNotFound, key, quote(tenant))
	}
	entry, err := s.log.Entry(cur.Index)
	if err != nil {
		return nil, err
	}
	cp := s.log.Checkpoint() // published after the state read, so it covers cur.Index
	size, err := checkpointSize(cp)
	if err != nil {
		return nil, err
	}
	proof, err := s.log.InclusionProof(cur.Index, size)
	if err != nil {
		return nil, err
	}
	return &Proven{Type: cur.Type, Key: key, Status: cur.Status, Index: cur.Index, Entry: entry,
		TreeSize: size, Checkpoint: cp, Proof: proof}, nil
}

// checkpointSize reads the tree size of a signed checkpoint note.
func checkpointSize(cp []byte) (uint64, error) {
	text, _, ok := strings.Cut(string(cp), "\n\n")
	if !ok {
		return 0, fmt.Errorf("checkpoint note without a signature block")
	}
	c, err := verifier.ParseCheckpoint(text + "\n")
	return c.Size, err
}

// Query selects exports of one tenant for List. ArtifactHash and RunID
// filter when set; Cursor continues a previous page of the same query.
type Query struct {
	Tenant       string
	ArtifactHash string
	RunID        string
	Cursor       string
	Limit        int // DefaultLimit when zero; at most MaxLimit
}

// Item is one export in a listing: its current entry.
type Item struct {
	Index uint64
	Entry []byte
}

// Page is one page of a listing, in runId then startedAt order. Next is
// the cursor of the following page, empty on the last one.
type Page struct {
	Items []Item
	Next  string
}

// List returns a page of tenant's exports in runId, then startedAt order.
// The cursor names the last export of the previous page, so pages stay
// stable while exports are added: each export is listed once, at its
// place in the order.
func (s *Service) List(ctx context.Context, q Query) (*Page, error) {
	prefix, err := q.prefix()
	if err != nil {
		return nil, err
	}
	after, err := q.after(prefix)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	var keys [][]byte
	var idxs []uint64
	err = s.log.ScanProjections(ctx, prefix, after, func(k, v []byte) (bool, error) {
		keys, idxs = append(keys, k), append(idxs, binary.BigEndian.Uint64(v))
		return len(keys) <= limit, nil
	})
	if err != nil {
		return nil, err
	}
	page := &Page{Items: []Item{}}
	if len(keys) > limit {
		keys, idxs = keys[:limit], idxs[:limit]
		page.Next = base64.RawURLEncoding.EncodeToString(keys[limit-1])
	}
	for _, idx := range idxs {
		entry, err := s.log.Entry(idx)
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, Item{Index: idx, Entry: entry})
	}
	return page, nil
}

// prefix checks the query and returns the projection prefix to scan.
func (q Query) prefix() ([]byte, error) {
	switch {
	case q.Tenant == "":
		return nil, fmt.Errorf("%w: no tenant", ErrInvalidQuery)
	case q.Limit < 0 || q.Limit > MaxLimit:
		return nil, fmt.Errorf("%w: limit %d, want 1 to %d", ErrInvalidQuery, q.Limit, MaxLimit)
	case q.ArtifactHash != "" && !isHash(q.ArtifactHash):
		return nil, fmt.Errorf("%w: artifactHash %s, want sha256: and 64 hex digits", ErrInvalidQuery, quote(q.ArtifactHash))
	case q.RunID != "" && !isUUID(q.RunID):
		return nil, fmt.Errorf("%w: runId %s, want a lowercase UUID", ErrInvalidQuery, quote(q.RunID))
	case q.ArtifactHash != "" && q.RunID != "":
		return artifactKey(q.Tenant, q.ArtifactHash, q.RunID), nil
	case q.ArtifactHash != "":
		return []byte(prefixArtHash + q.Tenant + "\x00" + q.ArtifactHash + "\x00"), nil
	case q.RunID != "":
		return []byte(prefixRun + q.Tenant + "\x00" + q.RunID + "\x00"), nil
	}
	return []byte(prefixRun + q.Tenant + "\x00"), nil
}

// after decodes the cursor, which must lie under prefix.
func (q Query) after(prefix []byte) ([]byte, error) {
	if q.Cursor == "" {
		return nil, nil
	}
	k, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	if err != nil || !bytes.HasPrefix(k, prefix) {
		return nil, fmt.Errorf("%w: the cursor does not continue this query; start again without one", ErrInvalidCursor)
	}
	return k, nil
}

// Payload returns the canonical payload of the current entry of the export
// with idempotency key key, which must belong to tenant: the bytes its
// signatures are over. A detached entry's payload comes from the content
// store; any other is re-derived from the entry. Either way it is checked
// against the entry's payloadDigest before it is returned.
func (s *Service) Payload(ctx context.Context, tenant, key string) ([]byte, error) {
	p, err := s.Get(ctx, tenant, key)
	if err != nil {
		return nil, err
	}
	rec, err := ledger.ParseRecord(p.Entry)
	if err != nil {
		return nil, err
	}
	var t Timeline
	if err := json.Unmarshal(rec.Body, &t); err != nil {
		return nil, fmt.Errorf("export entry %d: %w", p.Index, err)
	}
	payload, err := s.payloadOf(ctx, &t)
	if err != nil {
		return nil, fmt.Errorf("payload of export entry %d: %w", p.Index, err)
	}
	if digest(payload) != t.PayloadDigest {
		return nil, fmt.Errorf("payload of export entry %d hashes to %s, the entry records %s", p.Index, digest(payload), t.PayloadDigest)
	}
	return payload, nil
}

// payloadOf reads a detached timeline's payload from the store, or
// re-derives any other's from its fields.
func (s *Service) payloadOf(ctx context.Context, t *Timeline) ([]byte, error) {
	if len(t.Detached) == 0 {
		return t.CanonicalPayload()
	}
	if s.store == nil {
		return nil, fmt.Errorf("%w: no content store holds detached payloads", cas.ErrUnavailable)
	}
	d, err := cas.ParseDigest(t.PayloadDigest)
	if err != nil {
		return nil, err
	}
	rc, err := s.store.Get(ctx, d, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, MaxBodyBytes+1))
}
