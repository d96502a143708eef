package runlog

import (
	"errors"

	"github.com/assay-ledger/assay/ledger"
)

var (
	// ErrInvalidRunID refuses a run id that is not a lowercase UUID (the
	// job export contract's runId).
	ErrInvalidRunID = errors.New("invalid run id")
	// ErrInvalidLine refuses a malformed line (level, phase, time, empty
	// message) or an append of no lines or too many.
	ErrInvalidLine = errors.New("invalid log line")
	// ErrLineTooLarge refuses a line whose message is over MaxMessage.
	ErrLineTooLarge = errors.New("log line too large")
	// ErrInvalidStatus refuses a close with a status not in FinalStatuses.
	ErrInvalidStatus = errors.New("invalid final status")
	// ErrRunNotFound: the tenant has no log for the run.
	ErrRunNotFound = errors.New("run log not found")
	// ErrSealed refuses a line or a close for a run whose log is sealed.
	ErrSealed = errors.New("run log sealed")
	// ErrInvalidBody reports a run log entry no Service writes (a hostile
	// bundle, a bug).
	ErrInvalidBody = errors.New("invalid run log entry body")
)

func errorSpecs() []ledger.ErrorSpec {
	return []ledger.ErrorSpec{
		{Err: ErrInvalidRunID, Kind: ledger.KindInvalid, Slug: "run-log-invalid-run-id", Title: "Invalid run id"},
		{Err: ErrLineTooLarge, Kind: ledger.KindTooLarge, Slug: "run-log-line-too-large", Title: "Log line too large"},
		{Err: ErrInvalidLine, Kind: ledger.KindInvalid, Slug: "run-log-invalid-line", Title: "Invalid log line"},
		{Err: ErrInvalidStatus, Kind: ledger.KindInvalid, Slug: "run-log-invalid-status", Title: "Invalid final status"},
		{Err: ErrRunNotFound, Kind: ledger.KindNotFound, Slug: "run-log-not-found", Title: "Run log not found"},
		{Err: ErrSealed, Kind: ledger.KindConflict, Slug: "run-log-sealed", Title: "Run log sealed"},
		{Err: ErrInvalidBody, Kind: ledger.KindInvalid, Slug: "run-log-invalid-entry", Title: "Invalid run log entry"},
	}
}
