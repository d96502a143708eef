package runlog

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/ledger"
	"github.com/assay-ledger/assay/ledger/catalog"
)

// Service appends, seals and reads run logs. Log must carry Module and
// catalog.Module; Store holds the chunks and the sealed logs.
type Service struct {
	Log   *ledger.Log
	Store cas.Store
	// Now stamps lines sent without a time; time.Now when nil.
	Now func() time.Time

	mu    sync.Mutex
	locks map[string]*runLock // one append or seal at a time per run
}

type runLock struct {
	mu    sync.Mutex
	users int
}

// lock serializes the appends and the seal of one run of a tenant, so
// that their chunks follow each other without a refusal.
func (s *Service) lock(tenant, runID string) func() {
	k := tenant + "\x00" + runID
	s.mu.Lock()
	if s.locks == nil {
		s.locks = map[string]*runLock{}
	}
	l := s.locks[k]
	if l == nil {
		l = &runLock{}
		s.locks[k] = l
	}
	l.users++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, k)
		}
		s.mu.Unlock()
	}
}

// LineInput is one line as a producer sends it; a zero Time is stamped
// with the server's clock.
type LineInput struct {
	Time    time.Time
	Phase   string
	Level   string
	Message string
}

// CheckLines validates the lines of one append.
func CheckLines(lines []LineInput) error {
	if len(lines) == 0 || len(lines) > MaxLinesPerAppend {
		return fmt.Errorf("%w: %d lines in one append, want 1 to %d", ErrInvalidLine, len(lines), MaxLinesPerAppend)
	}
	for i, l := range lines {
		switch {
		case !phasePattern.MatchString(l.Phase):
			return fmt.Errorf("%w: line %d: phase %q, want [a-z0-9][a-z0-9._-]{0,63}", ErrInvalidLine, i, short(l.Phase))
		case !slices.Contains(Levels, l.Level):
			return fmt.Errorf("%w: line %d: level %q, want one of %v", ErrInvalidLine, i, short(l.Level), Levels)
		case l.Message == "":
			return fmt.Errorf("%w: line %d: empty message", ErrInvalidLine, i)
		case len(l.Message) > MaxMessage:
			return fmt.Errorf("%w: line %d: message of %d bytes, at most %d", ErrLineTooLarge, i, len(l.Message), MaxMessage)
		case !utf8.ValidString(l.Message):
			return fmt.Errorf("%w: line %d: message is not UTF-8", ErrInvalidLine, i)
		}
	}
	return nil
}

// Append adds lines to the tenant's log of runID (opening it with the
// first lines): it stores them as one chunk and appends run.log_appended,
// returning once the entry is durable. Bad lines, or a sealed run, append
// and store nothing.
func (s *Service) Append(ctx context.Context, actor, tenant, runID string, lines []LineInput) (*Run, error) {
	if err := CheckRunID(runID); err != nil {
		return nil, err
	}
	if err := CheckLines(lines); err != nil {
		return nil, err
	}
	unlock := s.lock(tenant, runID)
	defer unlock()
	run, err := s.Run(tenant, runID)
	switch {
	case errors.Is(err, ErrRunNotFound):
		run = &Run{}
	case err != nil:
		return nil, err
	case run.Status == StatusSealed:
		return nil, fmt.Errorf("%w: run %s was sealed at index %d (%s)", ErrSealed, runID, run.SealedIndex, run.Digest)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	out := make([]Line, len(lines))
	for i, l := range lines {
		t := l.Time
		if t.IsZero() {
			t = now()
		}
		out[i] = Line{Seq: run.Lines + uint64(i) + 1, Time: t.UTC(), Phase: l.Phase, Level: l.Level, Message: l.Message}
	}
	chunk, err := encodeChunk(out)
	if err != nil {
		return nil, err
	}
	info, err := s.Store.Put(ctx, bytes.NewReader(chunk), cas.Digest{})
	if err != nil {
		return nil, fmt.Errorf("store a chunk of run %s: %w", runID, err)
	}
	body := Appended{RunID: runID, First: run.Lines + 1, Lines: len(lines),
		Chunk: BlobRef{Digest: info.Digest.String(), Size: info.Size, BLAKE3: info.BLAKE3}}
	if _, err := s.Log.AppendJSON(ctx, TypeAppended, actor, tenant, body); err != nil {
		return nil, err
	}
	return s.Run(tenant, runID)
}

// encodeChunk is the bytes of a chunk: each line as one JSON object on
// one line (JSON escapes a message's newlines), in order.
func encodeChunk(lines []Line) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// Close seals the tenant's log of runID with the run's final status: the
// chunks' bytes, in order, become the raw object runs/<run_id>/log.ndjson
// (run.log_sealed names it and its digest). An unknown run, a sealed one
// or a bad status appends nothing.
func (s *Service) Close(ctx context.Context, actor, tenant, runID, status string) (*Run, error) {
	if err := CheckRunID(runID); err != nil {
		return nil, err
	}
	if !slices.Contains(FinalStatuses, status) {
		return nil, fmt.Errorf("%w: %q, want one of %v", ErrInvalidStatus, short(status), FinalStatuses)
	}
	unlock := s.lock(tenant, runID)
	defer unlock()
	run, err := s.Run(tenant, runID)
	if err != nil {
		return nil, err
	}
	if run.Status == StatusSealed {
		return nil, fmt.Errorf("%w: run %s was sealed at index %d (%s)", ErrSealed, runID, run.SealedIndex, run.Digest)
	}
	// The chunks stream through a pipe into the store: constant memory
	// whatever the log's length.
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(s.eachChunk(ctx, tenant, runID, 0, func(c Chunk) error {
			rc, err := s.openChunk(ctx, c)
			if err != nil {
				return err
			}
			defer rc.Close()
			_, err = io.Copy(pw, rc)
			return err
		}))
	}()
	info, err := s.Store.Put(ctx, pr, cas.Digest{})
	pr.Close()
	if err != nil {
		return nil, fmt.Errorf("seal run %s: %w", runID, err)
	}
	body := Sealed{RunID: runID, Status: status, Lines: run.Lines, Object: catalog.ObjectRef{Zone: catalog.ZoneRaw,
		Key: catalog.RunLogKey(runID), Digest: info.Digest.String(), Size: info.Size, BLAKE3: info.BLAKE3, MediaType: MediaType}}
	if _, err := s.Log.AppendJSON(ctx, TypeSealed, actor, tenant, body); err != nil {
		return nil, err
	}
	return s.Run(tenant, runID)
}

// Run returns the tenant's log of runID, or ErrRunNotFound (as for
// another tenant's run).
func (s *Service) Run(tenant, runID string) (*Run, error) {
	if err := CheckRunID(runID); err != nil {
		return nil, err
	}
	b, err := s.Log.Projection(runKey(tenant, runID))
	if errors.Is(err, ledger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrRunNotFound, runID)
	}
	if err != nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// eachChunk calls fn for each chunk of the run holding a line after
// line after, in order.
func (s *Service) eachChunk(ctx context.Context, tenant, runID string, after uint64, fn func(Chunk) error) error {
	return s.Log.ScanProjections(ctx, chunkPrefix(tenant, runID), nil, func(_, v []byte) (bool, error) {
		var c Chunk
		if err := json.Unmarshal(v, &c); err != nil {
			return false, err
		}
		if c.First+uint64(c.Lines)-1 <= after {
			return true, nil
		}
		return true, fn(c)
	})
}

func (s *Service) openChunk(ctx context.Context, c Chunk) (io.ReadCloser, error) {
	d, err := cas.ParseDigest(c.Blob.Digest)
	if err != nil {
		return nil, err
	}
	rc, err := s.Store.Get(ctx, d, 0, -1)
	if err != nil {
		return nil, fmt.Errorf("chunk %s at line %d: %w", c.Blob.Digest, c.First, err)
	}
	return rc, nil
}

// Lines calls fn with each line of the tenant's log of runID after line
// after, in order, up to the lines the log held when Lines read its chunk
// list.
func (s *Service) Lines(ctx context.Context, tenant, runID string, after uint64, fn func(Line, []byte) error) error {
	return s.eachChunk(ctx, tenant, runID, after, func(c Chunk) error {
		rc, err := s.openChunk(ctx, c)
		if err != nil {
			return err
		}
		defer rc.Close()
		sc := bufio.NewScanner(rc)
		sc.Buffer(make([]byte, 0, 64<<10), 4*MaxMessage+4096)
		for sc.Scan() {
			var l Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				return fmt.Errorf("chunk %s: %w", c.Blob.Digest, err)
			}
			if l.Seq > after {
				if err := fn(l, sc.Bytes()); err != nil {
					return err
				}
			}
		}
		return sc.Err()
	})
}
