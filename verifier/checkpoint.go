package verifier

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// MaxCheckpointSize bounds the bytes of a signed checkpoint note that
// OpenCheckpoint accepts; real checkpoints are a few hundred bytes.
const MaxCheckpointSize = 64 << 10

// ErrCheckpoint reports a checkpoint that is malformed, unsigned by a trusted
// key, or for another log.
var ErrCheckpoint = errors.New("invalid checkpoint")

// Checkpoint is a C2SP tlog-checkpoint body: the log's origin, its size and
// its root hash, plus optional extension lines.
type Checkpoint struct {
	Origin     string
	Size       uint64
	Root       []byte
	Extensions []string
}

// Text renders the checkpoint body as signed in the note: one line each for
// origin, decimal size and base64 root, then the extension lines.
func (c Checkpoint) Text() string {
	var b strings.Builder
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root))
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.String()
}

// ParseCheckpoint parses an unsigned checkpoint body and demands its
// canonical form: no empty origin, a decimal size without leading zeros, a
// 32-byte standard-base64 root and a final newline.
func ParseCheckpoint(text string) (Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, fmt.Errorf("%w: body does not end in a newline", ErrCheckpoint)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("%w: %d lines, want at least origin, size and root", ErrCheckpoint, len(lines))
	}
	if lines[0] == "" {
		return Checkpoint{}, fmt.Errorf("%w: empty origin line", ErrCheckpoint)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: size %q is not a canonical decimal", ErrCheckpoint, lines[1])
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != HashSize {
		return Checkpoint{}, fmt.Errorf("%w: root %q is not 32 bytes of base64", ErrCheckpoint, lines[2])
	}
	for _, e := range lines[3:] {
		if e == "" {
			return Checkpoint{}, fmt.Errorf("%w: empty extension line", ErrCheckpoint)
		}
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root, Extensions: lines[3:]}, nil
}

// OpenCheckpoint verifies a signed checkpoint note with the given verifier
// key (in the note "name+hash+key" form) and checks that its origin is
// origin (any origin when origin is empty). It returns the parsed body.
func OpenCheckpoint(signed []byte, vkey, origin string) (Checkpoint, error) {
	if len(signed) > MaxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("%w: %d bytes, limit %d", ErrCheckpoint, len(signed), MaxCheckpointSize)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: verifier key: %w", ErrCheckpoint, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %w", ErrCheckpoint, err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if origin != "" && c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("%w: origin %q, want %q", ErrCheckpoint, c.Origin, origin)
	}
	return c, nil
}

// NoteText returns the signed text of a note: everything up to its blank
// line, final newline included, or "" when it has none.
func NoteText(note []byte) string {
	text, _, ok := strings.Cut(string(note), "\n\n")
	if !ok {
		return ""
	}
	return text + "\n"
}

// ReadCheckpoint parses the checkpoint a signed note carries without
// checking any signature: for a note its reader signed itself or verified
// before (a server reading its own checkpoints, cosigned ones included).
func ReadCheckpoint(note []byte) (Checkpoint, error) {
	text := NoteText(note)
	if text == "" {
		return Checkpoint{}, fmt.Errorf("%w: not a signed note", ErrCheckpoint)
	}
	return ParseCheckpoint(text)
}
