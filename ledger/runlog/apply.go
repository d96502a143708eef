package runlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

const (
	prefixRun   = "rlog/run/"
	prefixChunk = "rlog/chunk/"
)

func runKey(tenant, runID string) []byte { return []byte(prefixRun + tenant + "\x00" + runID) }

func chunkPrefix(tenant, runID string) []byte {
	return []byte(prefixChunk + tenant + "\x00" + runID + "\x00")
}

func chunkKey(tenant, runID string, first uint64) []byte {
	return fmt.Appendf(chunkPrefix(tenant, runID), "%016x", first)
}

var (
	uuidPattern   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	digestPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	phasePattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
)

// CheckRunID refuses a run id that is not a lowercase UUID.
func CheckRunID(id string) error {
	if !uuidPattern.MatchString(id) {
		return fmt.Errorf("%w: %q, want a lowercase UUID like 3f2b8c1e-7d4a-4e8b-9c0f-1a2b3c4d5e6f", ErrInvalidRunID, short(id))
	}
	return nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

func decode(rec *ledger.Record, v any) error {
	if err := ledger.DecodeStrict(rec.Body, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalidBody, rec.Type, err)
	}
	return nil
}

func invalid(rec *ledger.Record, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidBody, rec.Type, fmt.Sprintf(format, args...))
}

func checkBlob(b BlobRef) error {
	if !digestPattern.MatchString(b.Digest) || b.Size < 0 || len(b.BLAKE3) != 64 {
		return fmt.Errorf("blob %q, size %d, blake3 %q", short(b.Digest), b.Size, short(b.BLAKE3))
	}
	return nil
}

func applyAppended(tx *ledger.Tx, rec *ledger.Record) error {
	var b Appended
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := CheckRunID(b.RunID); err != nil {
		return invalid(rec, "%v", err)
	}
	if b.Lines < 1 || b.Lines > MaxLinesPerAppend {
		return invalid(rec, "lines %d, want 1 to %d", b.Lines, MaxLinesPerAppend)
	}
	if err := checkBlob(b.Chunk); err != nil {
		return invalid(rec, "chunk %v", err)
	}
	run := Run{RunID: b.RunID, Tenant: rec.Tenant, Status: StatusOpen, OpenedAt: rec.Time.UTC(), OpenedIndex: rec.Index}
	switch err := tx.GetJSON(runKey(rec.Tenant, b.RunID), &run); {
	case errors.Is(err, ledger.ErrKeyNotFound):
	case err != nil:
		return err
	case run.Status == StatusSealed:
		return fmt.Errorf("%w: run %s was sealed at index %d (%s)", ErrSealed, b.RunID, run.SealedIndex, run.Digest)
	}
	if b.First != run.Lines+1 {
		return invalid(rec, "first line %d, want %d (lines come in order)", b.First, run.Lines+1)
	}
	if err := catalog.RefBlob(tx, b.Chunk.Digest, b.Chunk.Size, b.Chunk.BLAKE3); err != nil {
		return err
	}
	run.Lines += uint64(b.Lines)
	run.Chunks++
	run.Bytes += b.Chunk.Size
	run.LastIndex = rec.Index
	if err := tx.SetJSON(chunkKey(rec.Tenant, b.RunID, b.First), Chunk{First: b.First, Lines: b.Lines, Blob: b.Chunk, Index: rec.Index}); err != nil {
		return err
	}
	return tx.SetJSON(runKey(rec.Tenant, b.RunID), run)
}

func applySealed(tx *ledger.Tx, rec *ledger.Record) error {
	var b Sealed
	if err := decode(rec, &b); err != nil {
		return err
	}
	if err := CheckRunID(b.RunID); err != nil {
		return invalid(rec, "%v", err)
	}
	if !slices.Contains(FinalStatuses, b.Status) {
		return invalid(rec, "status %q, want one of %v", short(b.Status), FinalStatuses)
	}
	var run Run
	switch err := tx.GetJSON(runKey(rec.Tenant, b.RunID), &run); {
	case errors.Is(err, ledger.ErrKeyNotFound):
		return fmt.Errorf("%w: %s", ErrRunNotFound, b.RunID)
	case err != nil:
		return err
	case run.Status == StatusSealed:
		return fmt.Errorf("%w: run %s was sealed at index %d (%s)", ErrSealed, b.RunID, run.SealedIndex, run.Digest)
	}
	if b.Lines != run.Lines {
		return invalid(rec, "seals %d lines, the run has %d", b.Lines, run.Lines)
	}
	if b.Object.Zone != catalog.ZoneRaw || b.Object.Key != catalog.RunLogKey(b.RunID) || b.Object.MediaType != MediaType {
		return invalid(rec, "object %s/%s (%s), want raw/%s (%s)", short(b.Object.Zone), short(b.Object.Key), short(b.Object.MediaType),
			catalog.RunLogKey(b.RunID), MediaType)
	}
	if b.Object.Size != run.Bytes {
		return invalid(rec, "object of %d bytes, the run's chunks hold %d", b.Object.Size, run.Bytes)
	}
	meta, err := json.Marshal(SealedMeta{RunID: b.RunID, Status: b.Status, Lines: b.Lines, SealedBy: rec.Actor, AppendIndex: run.LastIndex})
	if err != nil {
		return err
	}
	if err := catalog.PutRunLog(tx, rec, b.Object, meta); err != nil {
		return err
	}
	run.Status, run.FinalStatus, run.Digest, run.Size, run.SealedIndex, run.Key = StatusSealed, b.Status, b.Object.Digest, b.Object.Size,
		rec.Index, catalog.ZoneRaw+"/"+b.Object.Key
	return tx.SetJSON(runKey(rec.Tenant, b.RunID), run)
}
