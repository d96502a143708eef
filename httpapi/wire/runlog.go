package wire

import "time"

// RunsPath is the root of the run log routes: /v1/runs/{run_id}/logs,
// .../logs/stream and .../logs/close.
const RunsPath = "/v1/runs"

// RunLogPath is the path of run runID's log routes.
func RunLogPath(runID string) string { return RunsPath + "/" + runID + "/logs" }

// RunLogLine is one line a producer sends: Time is optional (the server's
// clock stamps a line without one).
type RunLogLine struct {
	Time    *time.Time `json:"time,omitempty"`
	Phase   string     `json:"phase"`
	Level   string     `json:"level"`
	Message string     `json:"message"`
}

// RunLogAppend is the body of POST /v1/runs/{run_id}/logs.
type RunLogAppend struct {
	Lines []RunLogLine `json:"lines"`
}

// RunLogClose is the body of POST /v1/runs/{run_id}/logs/close: the run's
// final status (succeeded, failed or canceled).
type RunLogClose struct {
	Status string `json:"status"`
}

// Event types of a run log stream (GET /v1/runs/{run_id}/logs/stream):
// each line is an event "line" whose id is its line number and whose data
// is the line; a sealed log ends with "run_complete" (data RunComplete).
const (
	StreamEventRunLine     = "line"
	StreamEventRunComplete = "run_complete"
)

// RunComplete is the data of a run log stream's last event: the run's
// final status and the sealed log's digest, size, lines, entry index, raw
// key and cas:// URI.
type RunComplete struct {
	RunID       string `json:"run_id"`
	Status      string `json:"status"`
	Digest      string `json:"digest"`
	Size        int64  `json:"size"`
	Lines       uint64 `json:"lines"`
	SealedIndex uint64 `json:"sealed_index"`
	Key         string `json:"key"`
	URI         string `json:"uri"`
}

// Problem types of the run log routes.
const (
	TypeRunLogInvalidRunID = ProblemBase + "run-log-invalid-run-id"
	TypeRunLogInvalidLine  = ProblemBase + "run-log-invalid-line"
	TypeRunLogLineTooLarge = ProblemBase + "run-log-line-too-large"
	TypeRunLogInvalidState = ProblemBase + "run-log-invalid-status"
	TypeRunLogNotFound     = ProblemBase + "run-log-not-found"
	TypeRunLogSealed       = ProblemBase + "run-log-sealed"
)
