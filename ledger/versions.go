package ledger

import "github.com/dgraph-io/badger/v4"

// Badger runs in managed mode: the log, not Badger, chooses the version
// (timestamp) of every commit, derived from the tree size it produces. Readers
// take a snapshot at the version of the published tree, so they never wait
// for a commit in flight (Badger's own oracle makes every new transaction wait
// for those) and never see a batch before it is published. Versions only grow:
//
//	commitTs(n) = 2n    the batch that makes the tree n entries long
//	openTs(n)   = 2n+1  the checkpoint re-signed when the log opens at size n
func commitTs(size uint64) uint64 { return 2 * size }

func openTs(size uint64) uint64 { return 2*size + 1 }

// publishTs makes ts the snapshot of new readers and lets compactions drop
// versions older than it.
func (l *Log) publishTs(ts uint64) {
	l.readTs.Store(ts)
	l.db.SetDiscardTs(ts)
}

// view runs fn in a read-only snapshot of the published state.
func (l *Log) view(fn func(*badger.Txn) error) error {
	return l.viewAt(l.readTs.Load(), fn)
}

func (l *Log) viewAt(ts uint64, fn func(*badger.Txn) error) error {
	txn := l.db.NewTransactionAt(ts, false)
	defer txn.Discard()
	return fn(txn)
}
