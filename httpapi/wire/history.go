package wire

import (
	"encoding/json"
	"time"
)

// HistoryEntry is one entry of a history answer: the entry's own fields
// decoded, its exact bytes and leaf hash (so a reader can check it against
// a proof without trusting the decoding), and its inclusion proof when
// the query asked for proofs.
type HistoryEntry struct {
	Index    uint64          `json:"index"`
	Time     time.Time       `json:"time"`
	Type     string          `json:"type"`
	Actor    string          `json:"actor"`
	Tenant   string          `json:"tenant"`
	Body     json.RawMessage `json:"body"`
	LeafHash Hash            `json:"leaf_hash"`
	Entry    json.RawMessage `json:"entry"`
	Proof    []Hash          `json:"inclusion_proof,omitempty"`
}

// HistoryPage is the body of GET /v1/history and of the timelines: the
// entries in the order asked for, and NextCursor, the cursor= of the
// following page (absent on the last). With proofs=true, every entry is
// proven against Checkpoint, a signed note of tree TreeSize.
type HistoryPage struct {
	Entries    []HistoryEntry `json:"entries"`
	NextCursor string         `json:"next_cursor,omitempty"`
	TreeSize   uint64         `json:"tree_size,omitempty"`
	Checkpoint string         `json:"checkpoint,omitempty"`
}

// HistoryRow is one flattened row of GET /v1/history/export, the columns
// SQL tools load: when, what, who, whose, and the object the entry touches
// (empty when it touches none), with its ledger index.
type HistoryRow struct {
	EventTime   time.Time `json:"event_time" parquet:"event_time,timestamp(microsecond)"`
	Type        string    `json:"type" parquet:"type,dict"`
	Actor       string    `json:"actor" parquet:"actor,dict"`
	Tenant      string    `json:"tenant" parquet:"tenant,dict"`
	Zone        string    `json:"zone" parquet:"zone,dict"`
	Key         string    `json:"key" parquet:"key"`
	Digest      string    `json:"digest" parquet:"digest"`
	Size        int64     `json:"size" parquet:"size"`
	LedgerIndex uint64    `json:"ledger_index" parquet:"ledger_index"`
}

// HistoryColumns are the export's column names, in order (the CSV header).
var HistoryColumns = []string{"event_time", "type", "actor", "tenant", "zone", "key", "digest", "size", "ledger_index"}

// StreamEventCutoff is the event type of the last event of a live stream
// the server ends (its data is a StreamCutoff).
const StreamEventCutoff = "cutoff"

// StreamCutoff is the data of a stream's cutoff event: why the server
// ended the stream ("cutoff": the consumer fell too far behind;
// "shutdown": the server is stopping), and the ledger index to resume
// after, as Last-Event-ID (absent: from where the stream began).
type StreamCutoff struct {
	Reason      string  `json:"reason"`
	ResumeAfter *uint64 `json:"resume_after,omitempty"`
}
