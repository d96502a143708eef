// Package formdata reads a multipart/form-data body part by part, as
// mime/multipart's Reader.NextRawPart does, but through one large buffer:
// part bodies are scanned for the boundary with bytes.Index over whole
// reads, and a large Read of a part body is served by reading the request
// straight into the caller's slice, so the bytes of a big upload are
// copied once, by the kernel.
//
// # Grammar
//
// What is accepted and how it is cut into parts is what mime/multipart
// accepts (a fuzz test checks both agree): the preamble is skipped, lines
// may end in CRLF or, if the first delimiter line does, in LF alone, a
// delimiter may be followed by spaces and tabs, a body ends before the
// line break that precedes its delimiter, and nothing after the close
// delimiter is read. Part headers are parsed by net/textproto. One
// difference: a body that ends within a part's header section is refused
// with io.ErrUnexpectedEOF, where mime/multipart reports the end of the
// parts.
//
// # Limits
//
// Memory is the buffer given to [NewReader], whatever the body's size. A
// boundary has 1 to 70 bytes and no line break (RFC 2046); a line outside
// part bodies (preamble, delimiters) has at most 4096 bytes, as in
// mime/multipart; a part's header section has at most [MaxHeader] bytes.
package formdata

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
)

// Limits of the grammar.
const (
	// MaxHeader bounds a part's header section, its closing blank line
	// included.
	MaxHeader = 16 << 10
	// MinBuffer is the smallest buffer NewReader uses.
	MinBuffer = 2 * MaxHeader
	// maxBoundary is the longest boundary RFC 2046 allows.
	maxBoundary = 70
	// maxLine bounds a line outside part bodies, its line break included.
	maxLine = 4096
	// directMin is the smallest Read of a part body that is served by
	// reading into the caller's slice.
	directMin = 4096
)

// Errors. ErrMalformed marks a body that is not multipart/form-data with
// the given boundary; ErrHeaderTooLarge, which wraps it, a part header
// section over MaxHeader bytes. Errors of the underlying reader are
// returned wrapped, not as ErrMalformed; a body that ends early is
// io.ErrUnexpectedEOF.
var (
	ErrMalformed      = errors.New("malformed multipart body")
	ErrHeaderTooLarge = fmt.Errorf("%w: part header too large", ErrMalformed)
)

// Reader reads the parts of one multipart body in order. It is not safe
// for concurrent use.
type Reader struct {
	src  io.Reader
	buf  []byte
	r, w int   // buf[r:w] is read from src and not yet consumed
	err  error // first error of src: no more bytes after buf[r:w]

	nl               []byte    // "\r\n", or "\n" once the first delimiter line ends so
	nlDashBoundary   []byte    // nl + "--" + boundary: ends a part body
	skip             [256]byte // how far index may move on after each byte (see setDelimiter)
	dashBoundary     []byte    // "--" + boundary: starts a delimiter line
	dashBoundaryDash []byte    // "--" + boundary + "--": the close delimiter
	parts            int       // parts returned so far
	cur              *Part
}

// NewReader returns a Reader of the parts of src, a multipart body with
// the given boundary, buffering at most size bytes (at least MinBuffer).
func NewReader(src io.Reader, boundary string, size int) (*Reader, error) {
	if boundary == "" || len(boundary) > maxBoundary || strings.ContainsAny(boundary, "\r\n") {
		return nil, fmt.Errorf("%w: boundary %q: want 1 to %d bytes and no line break", ErrMalformed, boundary, maxBoundary)
	}
	b := []byte("\r\n--" + boundary + "--")
	mr := &Reader{
		src:              src,
		buf:              make([]byte, max(size, MinBuffer)),
		nl:               b[:2],
		dashBoundary:     b[2 : len(b)-2],
		dashBoundaryDash: b[2:],
	}
	mr.setDelimiter(b[:len(b)-2])
	return mr, nil
}

// setDelimiter sets what ends a part body, d, and the skip table of
// index: for each byte, how far the end of a possible d may move past it,
// that is the distance from the byte's last place in d (the final byte
// aside) to the end of d, or all of d where it does not occur.
func (mr *Reader) setDelimiter(d []byte) {
	mr.nlDashBoundary = d
	for c := range mr.skip {
		mr.skip[c] = byte(len(d))
	}
	for i, c := range d[:len(d)-1] {
		mr.skip[c] = byte(len(d) - 1 - i)
	}
}

// index returns the index of the first delimiter in b, or -1. A delimiter
// is 5 to 74 bytes long, so index looks at one byte in many: a byte that
// is not in the delimiter rules out every place of it that would cover
// the byte (Horspool's search), and in most data most bytes are not. When
// the skips get short (data made of the delimiter's bytes), bytes.Index
// takes over, which keeps the worst case linear.
func (mr *Reader) index(b []byte) int {
	d := mr.nlDashBoundary
	last := d[len(d)-1]
	for pos, steps := 0, 0; pos+len(d) <= len(b); steps++ {
		c := b[pos+len(d)-1]
		if c == last && bytes.Equal(b[pos:pos+len(d)-1], d[:len(d)-1]) {
			return pos
		}
		pos += int(mr.skip[c])
		if steps >= 64 && steps*8 > pos {
			if i := bytes.Index(b[pos:], d); i >= 0 {
				return pos + i
			}
			return -1
		}
	}
	return -1
}

// Part is one part of a multipart body: its header and, through Read,
// its body. A Part is valid until the next call of NextPart.
type Part struct {
	Header textproto.MIMEHeader

	mr    *Reader
	n     int   // mr.buf[mr.r:][:n] is known to be body
	total int64 // body bytes returned so far
	err   error // what follows the n bytes: io.EOF at the delimiter, or a read error
}

// NextPart skips the rest of the current part and returns the next one,
// with its header read. It returns io.EOF, unwrapped, after the close
// delimiter; any other error wraps ErrMalformed, io.ErrUnexpectedEOF or
// the error of the underlying reader.
func (mr *Reader) NextPart() (*Part, error) {
	if mr.cur != nil {
		_, _ = io.Copy(io.Discard, mr.cur) // its error is met again below
		mr.cur = nil
	}
	expectNewPart := false
	for {
		line, err := mr.readLine()
		switch {
		case err == io.EOF && mr.isFinalBoundary(line):
			return nil, io.EOF
		case err != nil:
			return nil, mr.readError("reading a delimiter", err)
		case mr.isBoundaryDelimiterLine(line):
			mr.parts++
			h, err := mr.readHeader()
			if err != nil {
				return nil, err
			}
			mr.cur = &Part{Header: h, mr: mr}
			return mr.cur, nil
		case mr.isFinalBoundary(line):
			return nil, io.EOF
		case expectNewPart:
			return nil, fmt.Errorf("%w: want a delimiter line, got %q", ErrMalformed, line)
		case mr.parts == 0:
			// the preamble
		case bytes.Equal(line, mr.nl):
			// the line break between a body and its delimiter
			expectNewPart = true
		default:
			return nil, fmt.Errorf("%w: unexpected line %q after a part", ErrMalformed, line)
		}
	}
}

// readError wraps an error met while reading what, turning io.EOF into
// io.ErrUnexpectedEOF.
func (mr *Reader) readError(what string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s: %w", what, err)
}

// isFinalBoundary reports whether line is the close delimiter:
// "--boundary--", spaces and tabs, and nl or nothing.
func (mr *Reader) isFinalBoundary(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, mr.dashBoundaryDash)
	if !ok {
		return false
	}
	rest = skipLWSP(rest)
	return len(rest) == 0 || bytes.Equal(rest, mr.nl)
}

// isBoundaryDelimiterLine reports whether line is a delimiter line:
// "--boundary", spaces and tabs, and nl. Before the first part it also
// switches to bare-LF line breaks if the line ends in "\n" alone.
func (mr *Reader) isBoundaryDelimiterLine(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, mr.dashBoundary)
	if !ok {
		return false
	}
	rest = skipLWSP(rest)
	if mr.parts == 0 && len(rest) == 1 && rest[0] == '\n' {
		mr.nl = mr.nl[1:]
		mr.setDelimiter(mr.nlDashBoundary[1:])
	}
	return bytes.Equal(rest, mr.nl)
}

// skipLWSP returns b without its leading spaces and tabs.
func skipLWSP(b []byte) []byte {
	return bytes.TrimLeft(b, " \t")
}

// fill moves the unconsumed bytes to the front of the buffer and reads
// once more from src, at most limit bytes, unless src has failed already.
func (mr *Reader) fill(limit int) {
	if mr.r > 0 {
		mr.w = copy(mr.buf, mr.buf[mr.r:mr.w])
		mr.r = 0
	}
	mr.w += mr.read(mr.buf[mr.w:min(len(mr.buf), mr.w+limit)])
}

// read reads into p from src until it gets a byte or an error, and keeps
// the error. It reads nothing once src has failed.
func (mr *Reader) read(p []byte) int {
	for range 100 {
		if mr.err != nil {
			return 0
		}
		n, err := mr.src.Read(p)
		mr.err = err
		if n > 0 {
			return n
		}
	}
	mr.err = io.ErrNoProgress
	return 0
}

// readLine consumes and returns the next line, "\n" included, as
// bufio.Reader.ReadSlice does with a maxLine buffer: a longer line is an
// error, and at the end of src the rest is returned with src's error.
func (mr *Reader) readLine() ([]byte, error) {
	for {
		unread := mr.buf[mr.r:mr.w]
		if i := bytes.IndexByte(unread[:min(len(unread), maxLine)], '\n'); i >= 0 {
			mr.r += i + 1
			return unread[:i+1], nil
		}
		if len(unread) >= maxLine {
			return nil, fmt.Errorf("%w: line longer than %d bytes outside a part body", ErrMalformed, maxLine)
		}
		if mr.err != nil {
			mr.r = mr.w
			return unread, mr.err
		}
		mr.fill(len(mr.buf))
	}
}

// readHeader consumes a part's header section, up to and including its
// first blank line, and parses it with net/textproto.
func (mr *Reader) readHeader() (textproto.MIMEHeader, error) {
	end := 0 // of the lines seen so far, relative to mr.r
	for {
		unread := mr.buf[mr.r:mr.w]
		i := bytes.IndexByte(unread[end:], '\n')
		if i >= 0 {
			line := unread[end : end+i]
			end += i + 1
			if end > MaxHeader {
				break
			}
			if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
				mr.r += end
				h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(unread[:end]))).ReadMIMEHeader()
				if err != nil {
					return nil, fmt.Errorf("%w: part header: %w", ErrMalformed, err)
				}
				return h, nil
			}
			continue
		}
		if len(unread) >= MaxHeader {
			break
		}
		if mr.err != nil {
			return nil, mr.readError("reading a part header", mr.err)
		}
		mr.fill(len(mr.buf))
	}
	return nil, fmt.Errorf("%w: longer than %d bytes", ErrHeaderTooLarge, MaxHeader)
}

// Read reads the part's body. It returns io.EOF at the delimiter that
// ends it, and io.ErrUnexpectedEOF if the body ends without one.
func (p *Part) Read(d []byte) (int, error) {
	mr := p.mr
	for p.n == 0 && p.err == nil {
		if len(d) >= directMin && mr.w-mr.r <= len(mr.nlDashBoundary)+1 && mr.err == nil {
			if n, err := p.readDirect(d); n > 0 || err != nil {
				return n, err
			}
			continue
		}
		p.n, p.err = mr.scan(mr.buf[mr.r:mr.w], p.total == 0, mr.srcErr())
		if p.n == 0 && p.err == nil {
			// Not much more than d asks for: the rest of a large body
			// is best read by readDirect.
			mr.fill(max(len(d), directMin) + len(mr.nlDashBoundary))
		}
	}
	n := copy(d, mr.buf[mr.r:mr.r+p.n])
	mr.r += n
	p.n -= n
	p.total += int64(n)
	if p.n == 0 {
		return n, p.err
	}
	return n, nil
}

// readDirect serves a large Read while few bytes are buffered: the
// buffered bytes and one read of src go to d, which is then scanned like
// the buffer. Bytes that turn out not to be body (a possible delimiter,
// or what follows the delimiter) go back to the buffer; at most a
// buffer's worth is read, so they fit.
func (p *Part) readDirect(d []byte) (int, error) {
	mr := p.mr
	m := copy(d, mr.buf[mr.r:mr.w])
	m += mr.read(d[m:min(len(d), len(mr.buf))])
	n, err := mr.scan(d[:m], p.total == 0, mr.srcErr())
	mr.r, mr.w = 0, copy(mr.buf, d[n:m])
	p.total += int64(n)
	p.err = err
	return n, err
}

// srcErr is the error to give scan: nil while src may have more bytes,
// io.ErrUnexpectedEOF at its end, or its other error.
func (mr *Reader) srcErr() error {
	if mr.err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return mr.err
}

// scan returns how many bytes at the start of b are part body, and what
// follows them: io.EOF if the delimiter, nil if more must be read to
// tell, or srcErr once b holds all there is. start says b begins the
// body, where a delimiter without the line break before it also counts.
func (mr *Reader) scan(b []byte, start bool, srcErr error) (int, error) {
	if start {
		if bytes.HasPrefix(b, mr.dashBoundary) {
			return decide(b, 0, len(mr.dashBoundary), srcErr)
		}
		if bytes.HasPrefix(mr.dashBoundary, b) {
			return 0, srcErr
		}
	}
	delim := mr.nlDashBoundary
	if i := mr.index(b); i >= 0 {
		return decide(b, i, len(delim), srcErr)
	}
	if bytes.HasPrefix(delim, b) {
		return 0, srcErr
	}
	// Everything is body but a tail that may begin a delimiter.
	tail := max(0, len(b)-len(delim)+1)
	if i := bytes.LastIndexByte(b[tail:], delim[0]); i >= 0 && bytes.HasPrefix(delim, b[tail+i:]) {
		return tail + i, nil
	}
	return len(b), srcErr
}

// decide is scan's answer for a possible delimiter of n bytes at b[i:]:
// it is one if followed by "--", a space, a tab, a line break or the end
// of the body.
func decide(b []byte, i, n int, srcErr error) (int, error) {
	after := b[i+n:]
	switch {
	case len(after) == 0 && srcErr != nil:
		return i, io.EOF
	case len(after) == 0:
		return i, nil // undecided: read more
	case after[0] == ' ' || after[0] == '\t' || after[0] == '\r' || after[0] == '\n':
		return i, io.EOF
	case after[0] != '-':
	case len(after) == 1 && srcErr == nil:
		return i, nil
	case len(after) > 1 && after[1] == '-':
		return i, io.EOF
	}
	return i + n, nil // not a delimiter: body, up to its end
}
