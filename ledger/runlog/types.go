package runlog

import (
	"time"

	"github.com/assay-ledger/assay/ledger/catalog"
)

// Entry types.
const (
	TypeAppended = "run.log_appended"
	TypeSealed   = "run.log_sealed"
)

// Run statuses.
const (
	StatusOpen   = "open"
	StatusSealed = "sealed"
)

// Limits of what one append carries.
const (
	// MaxLinesPerAppend bounds the lines of one append (one chunk).
	MaxLinesPerAppend = 1000
	// MaxMessage bounds the bytes of one line's message.
	MaxMessage = 8 << 10
)

// Levels a line may have.
var Levels = []string{"trace", "debug", "info", "warn", "error", "fatal"}

// FinalStatuses a run's log may be closed with: the job export contract's
// statuses of a finished run.
var FinalStatuses = []string{"succeeded", "failed", "canceled"}

// Line is one line of a run's log, as a chunk stores it (one JSON object
// per line) and a follower receives it. Seq numbers the run's lines from 1.
type Line struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Phase   string    `json:"phase"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

// BlobRef names a blob of the content store.
type BlobRef struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	BLAKE3 string `json:"blake3"`
}

// Appended is the body of run.log_appended.
type Appended struct {
	RunID string  `json:"run_id"`
	First uint64  `json:"first"`
	Lines int     `json:"lines"`
	Chunk BlobRef `json:"chunk"`
}

// Sealed is the body of run.log_sealed.
type Sealed struct {
	RunID  string            `json:"run_id"`
	Status string            `json:"status"`
	Lines  uint64            `json:"lines"`
	Object catalog.ObjectRef `json:"object"`
}

// Run is the projected state of a run's log.
type Run struct {
	RunID       string    `json:"run_id"`
	Tenant      string    `json:"tenant"`
	Status      string    `json:"status"` // open or sealed
	Lines       uint64    `json:"lines"`
	Chunks      int       `json:"chunks"`
	Bytes       int64     `json:"bytes"`
	OpenedAt    time.Time `json:"opened_at"`
	OpenedIndex uint64    `json:"opened_index"`
	LastIndex   uint64    `json:"last_index"` // the latest chunk's entry
	// Set by the seal.
	FinalStatus string `json:"final_status,omitempty"`
	Digest      string `json:"digest,omitempty"`
	Size        int64  `json:"size,omitempty"`
	SealedIndex uint64 `json:"sealed_index,omitempty"`
	Key         string `json:"key,omitempty"` // raw/RunLogKey
}

// Chunk is the projection of one run.log_appended.
type Chunk struct {
	First uint64  `json:"first"`
	Lines int     `json:"lines"`
	Blob  BlobRef `json:"blob"`
	Index uint64  `json:"index"`
}

// SealedMeta is the metadata of a sealed log's raw object.
type SealedMeta struct {
	RunID       string `json:"run_id"`
	Status      string `json:"status"`
	Lines       uint64 `json:"lines"`
	SealedBy    string `json:"sealed_by"`
	AppendIndex uint64 `json:"last_append_index"`
}
