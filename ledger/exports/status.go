package exports

// statusRank orders the statuses along the contract's chain
// pending -> running -> succeeded|failed|canceled; terminal statuses share
// the last rank. ok is false for anything else.
func statusRank(status string) (rank int, ok bool) {
	switch status {
	case StatusPending:
		return 0, true
	case StatusRunning:
		return 1, true
	case StatusSucceeded, StatusFailed, StatusCanceled:
		return 2, true
	}
	return 0, false
}

// CanTransition reports whether a run whose latest recorded status is from
// may be recorded with status to. Transitions are forward-only along the
// contract's chain pending -> running -> succeeded|failed|canceled:
//
//   - from "" (no record yet) may start at any valid status, since a
//     producer may export only a run's final state;
//   - skipping forward is allowed (pending -> succeeded, say): the seed
//     orders the statuses but exports travel as events that can be missed,
//     and refusing the terminal record would lose it for good;
//   - terminal statuses are final, nothing moves backward, and a status
//     does not "transition" to itself (a replay is matched by its
//     idempotency key, not by this function);
//   - unknown statuses never transition.
func CanTransition(from, to string) bool {
	toRank, ok := statusRank(to)
	if !ok {
		return false
	}
	if from == "" {
		return true
	}
	fromRank, ok := statusRank(from)
	return ok && fromRank < toRank
}

// IsTerminal reports whether status ends a run (succeeded, failed or
// canceled), after which CanTransition allows no further change.
func IsTerminal(status string) bool {
	rank, ok := statusRank(status)
	return ok && rank == 2
}
