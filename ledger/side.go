package ledger

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/dgraph-io/badger/v4"
)

// Side data is what services keep beside the log in its Badger database,
// outside the tree: witness cosignatures of published checkpoints. It is
// never part of an entry, a proof, a tile or a bundle, and no Applier sees
// it; a side write does not go through the sequencer and never waits for
// it.
//
// A side key is written at the published tree's version and read at the
// newest, so that a later write wins and compactions drop the versions it
// replaced.

func sideKey(key []byte) []byte { return append([]byte{nsSide}, key...) }

// PutSide stores value under key, durably (the database syncs every
// commit), replacing any earlier value.
func (l *Log) PutSide(key, value []byte) error {
	if len(key) == 0 {
		return errors.New("ledger: empty side key")
	}
	txn := l.db.NewTransactionAt(math.MaxUint64, true)
	defer txn.Discard()
	if err := txn.Set(sideKey(key), value); err != nil {
		return fmt.Errorf("side put: %w", err)
	}
	if err := txn.CommitAt(max(l.readTs.Load(), 1), nil); err != nil {
		return fmt.Errorf("side put: %w", err)
	}
	return nil
}

// Side returns the value stored under key, or ErrKeyNotFound.
func (l *Log) Side(key []byte) ([]byte, error) {
	var v []byte
	err := l.viewAt(math.MaxUint64, func(txn *badger.Txn) error {
		item, err := txn.Get(sideKey(key))
		if err != nil {
			return err
		}
		v, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrKeyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("side get: %w", err)
	}
	return v, nil
}

// ScanSide calls fn for each side key with the given prefix, in key order,
// until fn returns false or an error.
func (l *Log) ScanSide(ctx context.Context, prefix []byte, fn func(key, value []byte) (bool, error)) error {
	return l.viewAt(math.MaxUint64, func(txn *badger.Txn) error {
		p := sideKey(prefix)
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 64, Prefix: p})
		defer it.Close()
		for it.Seek(p); it.Valid(); it.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if more, err := fn(it.Item().KeyCopy(nil)[1:], v); err != nil || !more {
				return err
			}
		}
		return nil
	})
}
