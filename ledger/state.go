package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Applier is the state-machine step of one entry type. It runs inside the
// sequencer, in the batch's transaction, after every earlier entry of the log
// and of the batch has been applied, so a check and the write that depends on
// it cannot race. It reads and writes projection keys through tx; returning an
// error rejects the entry: its writes are dropped, its caller gets the error
// and the rest of the batch goes on. Appliers must be deterministic functions
// of the record and the projection state, because replay (crash recovery,
// bundle import) runs them again over the same entries.
type Applier func(tx *Tx, rec *Record) error

// ErrKeyNotFound is returned by Tx.Get and Log.Projection for a missing key.
var ErrKeyNotFound = errors.New("projection key not found")

// Tx is an Applier's view of the projection keys: the committed state, the
// batch's accepted writes, then this entry's own writes. Keys live in their
// own namespace, apart from the log's internal keys.
type Tx struct {
	txn     *badger.Txn
	batch   map[string][]byte   // accepted writes of earlier entries in the batch; nil value = deleted
	pending []map[string][]byte // writes of earlier batches not yet committed, newest first
	own     map[string][]byte   // this entry's writes
	reads   *readCounter
	filter  *keyFilter // answers most misses of filtered keys; nil without
}

// newTx returns the Tx of a batch over txn, with pending the projection
// writes of earlier batches not yet committed (newest first), counting its
// reads and asking the log's key filter before Badger.
func (l *Log) newTx(txn *badger.Txn, pending []map[string][]byte) *Tx {
	return &Tx{txn: txn, batch: map[string][]byte{}, pending: pending, reads: &l.reads, filter: l.filter}
}

// Get returns the value of a projection key, or ErrKeyNotFound.
func (tx *Tx) Get(key []byte) ([]byte, error) {
	if v, ok := tx.own[string(key)]; ok {
		return orNotFound(v)
	}
	if v, ok := tx.batch[string(key)]; ok {
		return orNotFound(v)
	}
	for _, p := range tx.pending {
		if v, ok := p[string(key)]; ok {
			return orNotFound(v)
		}
	}
	if tx.filter.absent(key) {
		return nil, ErrKeyNotFound
	}
	tx.reads.add(1)
	item, err := tx.txn.Get(projKey(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrKeyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("projection get: %w", err)
	}
	return item.ValueCopy(nil)
}

// Set writes a projection key. The value is copied.
func (tx *Tx) Set(key, value []byte) {
	tx.own[string(key)] = append([]byte{}, value...)
}

// Delete removes a projection key.
func (tx *Tx) Delete(key []byte) {
	tx.own[string(key)] = nil
}

func orNotFound(v []byte) ([]byte, error) {
	if v == nil {
		return nil, ErrKeyNotFound
	}
	return append([]byte{}, v...), nil
}

// apply runs the applier of rec's type, if any, and merges its writes into
// the batch on success.
func (tx *Tx) apply(fn Applier, rec *Record) error {
	if fn == nil {
		return nil
	}
	tx.own = map[string][]byte{}
	if err := fn(tx, rec); err != nil {
		return err
	}
	for k, v := range tx.own {
		tx.batch[k] = v
	}
	return nil
}

// GetJSON reads a projection key and decodes its JSON value into v; a
// missing key is ErrKeyNotFound.
func (tx *Tx) GetJSON(key []byte, v any) error {
	b, err := tx.Get(key)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// SetJSON writes v, encoded as JSON, to a projection key.
func (tx *Tx) SetJSON(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tx.Set(key, b)
	return nil
}

// DecodeStrict decodes one JSON value from body into v, refusing members v
// does not have: an Applier decodes entry bodies this way, so that a body
// it does not understand is refused rather than half read.
func DecodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
