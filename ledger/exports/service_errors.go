package exports

import (
	"errors"
	"fmt"
)

// Errors of ingestion and reads (the Service side of this package).
var (
	// ErrDuplicate reports a submission whose payload was already recorded
	// under its idempotency key; nothing new is written (a conflict). The
	// error is a *DuplicateError naming the existing entry.
	ErrDuplicate = errors.New("export already recorded")
	// ErrTransition reports a status change that is not forward along
	// pending -> running -> succeeded|failed|canceled, or another payload
	// with the same status (a conflict). The error is a *TransitionError.
	ErrTransition = errors.New("export status transition refused")
	// ErrSignatureRequired reports an unsigned export for a tenant whose
	// policy requires signatures.
	ErrSignatureRequired = errors.New("export signature required")
	// ErrTenantHeader reports a request without the X-Tenant-Id header.
	ErrTenantHeader = errors.New("tenant header missing")
	// ErrTenantMismatch reports a tenant header, tenantId or query tenant
	// other than the tenant of the caller's token.
	ErrTenantMismatch = errors.New("tenant mismatch")
	// ErrNotFound reports an idempotency key with no export recorded for
	// the caller's tenant.
	ErrNotFound = errors.New("export not found")
	// ErrInvalidQuery reports a malformed listing parameter.
	ErrInvalidQuery = errors.New("invalid export query")
	// ErrInvalidCursor reports a listing cursor this server did not issue
	// for the same query.
	ErrInvalidCursor = errors.New("invalid export cursor")
)

// DuplicateError is ErrDuplicate with a pointer to the entry that already
// records the payload.
type DuplicateError struct {
	Key   string // the idempotency key
	Index uint64 // the ledger entry that recorded this payload
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%v: idempotency key %s, same payload recorded at ledger index %d", ErrDuplicate, e.Key, e.Index)
}

// Is makes errors.Is(err, ErrDuplicate) true.
func (e *DuplicateError) Is(target error) bool { return target == ErrDuplicate }

// TransitionError is ErrTransition with the record's current state.
type TransitionError struct {
	Key   string // the idempotency key
	Index uint64 // the ledger entry holding the current status
	From  string // the current status
	To    string // the status submitted
}

func (e *TransitionError) Error() string {
	reason := "statuses move forward only: pending -> running -> succeeded|failed|canceled"
	switch {
	case e.From == e.To:
		reason = "same status with a different payload; a status does not transition to itself"
	case IsTerminal(e.From):
		reason = fmt.Sprintf("%s is terminal", e.From)
	}
	return fmt.Sprintf("%v: idempotency key %s is %s at ledger index %d, refusing %s -> %s (%s)",
		ErrTransition, e.Key, e.From, e.Index, e.From, e.To, reason)
}

// Is makes errors.Is(err, ErrTransition) true.
func (e *TransitionError) Is(target error) bool { return target == ErrTransition }
