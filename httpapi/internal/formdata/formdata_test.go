package formdata

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
)

// parsed is what reading a whole body yields: its parts and the error
// that stopped NextPart (io.EOF after the close delimiter).
type parsed struct {
	parts []parsedPart
	err   error
}

// parsedPart is one part's header, body and body error (nil at a clean
// end).
type parsedPart struct {
	header textproto.MIMEHeader
	body   []byte
	err    error
}

// maxParts bounds how many parts a test reads from one body.
const maxParts = 32

// readAll reads every part of a body through next, reading bodies with
// reads of readSize bytes.
func readAll(next func() (textproto.MIMEHeader, io.Reader, error), readSize int) parsed {
	var out parsed
	for range maxParts {
		h, r, err := next()
		if err != nil {
			out.err = err
			return out
		}
		var body bytes.Buffer
		_, err = io.CopyBuffer(&body, struct{ io.Reader }{r}, make([]byte, readSize))
		out.parts = append(out.parts, parsedPart{header: h, body: body.Bytes(), err: err})
	}
	return out
}

// parseOurs reads body with a Reader over src cut in reads of at most
// chunk bytes.
func parseOurs(t *testing.T, body []byte, boundary string, chunk, readSize int) parsed {
	t.Helper()
	mr, err := NewReader(&chunkReader{b: body, n: chunk}, boundary, 0)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return readAll(func() (textproto.MIMEHeader, io.Reader, error) {
		p, err := mr.NextPart()
		if err != nil {
			return nil, nil, err
		}
		return p.Header, p, nil
	}, readSize)
}

// parseMime reads body with mime/multipart.
func parseMime(body []byte, boundary string) parsed {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	return readAll(func() (textproto.MIMEHeader, io.Reader, error) {
		p, err := mr.NextRawPart()
		if err != nil {
			return nil, nil, err
		}
		return p.Header, p, nil
	}, 4096)
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[n:]
	return n, nil
}

// agree reports how ours differs from want (mime/multipart's reading),
// or "" if it does not. Errors agree when both are io.EOF or neither is,
// and body errors when both are nil or neither is. The one difference
// allowed is a part header cut short by the end of the body, which
// mime/multipart takes for the end of the parts and we refuse.
func agree(ours, want parsed) string {
	if len(ours.parts) != len(want.parts) {
		return fmt.Sprintf("%d parts (then %v), want %d (then %v)", len(ours.parts), ours.err, len(want.parts), want.err)
	}
	for i, p := range ours.parts {
		w := want.parts[i]
		switch {
		case !reflect.DeepEqual(p.header, w.header):
			return fmt.Sprintf("part %d header %q, want %q", i, p.header, w.header)
		case !bytes.Equal(p.body, w.body):
			return fmt.Sprintf("part %d body %q, want %q", i, p.body, w.body)
		case (p.err == nil) != (w.err == nil):
			return fmt.Sprintf("part %d body error %v, want %v", i, p.err, w.err)
		}
	}
	if want.err == io.EOF && errors.Is(ours.err, io.ErrUnexpectedEOF) && strings.Contains(ours.err.Error(), "part header") {
		return "" // mime/multipart ends the parts at a header cut short by the end of the body
	}
	if (ours.err == io.EOF) != (want.err == io.EOF) {
		return fmt.Sprintf("after %d parts: %v, want %v", len(ours.parts), ours.err, want.err)
	}
	return ""
}

// FuzzAgreesWithMime checks that any body is cut into the same parts,
// with the same headers, bodies and clean or failed ends, as
// mime/multipart's Reader.NextRawPart cuts it, however the body arrives
// and is read. The one allowed difference is ErrHeaderTooLarge.
func FuzzAgreesWithMime(f *testing.F) {
	for _, s := range []string{
		"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nhello\r\n--B--\r\n",
		"preamble\r\n--B \t\r\nA: 1\r\n\r\nx\r\n--Bx\r\n--B-x\r\n--B\r\nB: 2\r\n\r\n\r\n--B--",
		"--B\nA: 1\n\nbare\nlf\n--B\nA: 2\n\n\n--B--\n",
		"--B\r\nA: 1\r\n\r\n--B--\r\n",
		"--B\r\nA: 1\r\n\r\n--Bx\r\n--B\t\r\n--B--",
		"--B\r\nA: 1\r\n\r\ntruncated\r\n--",
		"--B\r\nA: 1\r\n cont\r\n\r\n\r\n\r\n--B\r\n\r\n\r\n--B--  \r\nepilogue",
		"--B\r\n A: 1\r\n\r\n\r\n--B--",
		"\r\n--B\r\n\r\n\r\n--B\r\n\r\nx\r\n\r\n--B--",
	} {
		f.Add([]byte(s), "B", uint16(1), uint16(1))
		f.Add([]byte(s), "B", uint16(7), uint16(5000))
		f.Add([]byte(s), "B", uint16(4096), uint16(8192))
	}
	f.Fuzz(func(t *testing.T, body []byte, boundary string, chunk, readSize uint16) {
		if _, err := NewReader(nil, boundary, 0); err != nil {
			return
		}
		ours := parseOurs(t, body, boundary, int(chunk)+1, int(readSize)+1)
		if errors.Is(ours.err, ErrHeaderTooLarge) {
			return
		}
		if diff := agree(ours, parseMime(body, boundary)); diff != "" {
			t.Fatalf("body %q, boundary %q, chunk %d, read %d: %s", body, boundary, chunk+1, readSize+1, diff)
		}
	})
}

// TestAgreesWithMimeOnForms reads forms written by multipart.Writer, with
// bodies full of near-delimiters and in many sizes around the buffer's,
// through several read patterns, and checks each is read exactly as
// written and as mime/multipart reads it.
func TestAgreesWithMimeOnForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patterns := []struct {
		name            string
		chunk, readSize int
	}{
		{"byte by byte", 1, 1},
		{"small reads", 13, 97},
		{"direct reads", 1 << 20, 2 << 20},
		{"direct reads of small chunks", 1000, 64 << 10},
		{"reads around the buffer", MinBuffer - 1, MinBuffer + 1},
	}
	for _, pt := range patterns {
		t.Run(pt.name, func(t *testing.T) {
			for range 30 {
				body, boundary, want := randomForm(rng)
				ours := parseOurs(t, body, boundary, pt.chunk, pt.readSize)
				if diff := agree(ours, parseMime(body, boundary)); diff != "" {
					t.Fatalf("boundary %q: %s", boundary, diff)
				}
				if diff := agree(ours, want); diff != "" {
					t.Fatalf("boundary %q: against the written form: %s", boundary, diff)
				}
			}
		})
	}
}

// randomForm writes a form of a few parts with a random boundary; the
// bodies mix random bytes with line breaks, dashes and pieces of the
// delimiter. It returns the body, the boundary and the parts written.
func randomForm(rng *rand.Rand) ([]byte, string, parsed) {
	const bchars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"
	b := make([]byte, 1+rng.IntN(maxBoundary))
	for i := range b {
		b[i] = bchars[rng.IntN(len(bchars))]
	}
	boundary := string(b)
	pieces := []string{"\r", "\n", "\r\n", "-", "--", "\r\n--", "\r\n--" + boundary[:rng.IntN(len(boundary)+1)], "\r\n--" + boundary + "x"}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(boundary); err != nil {
		panic(err)
	}
	var want parsed
	for i := range 1 + rng.IntN(3) {
		h := textproto.MIMEHeader{"Content-Disposition": {fmt.Sprintf(`form-data; name="file"; filename="f%d"`, i)}}
		var body []byte
		size := []int{0, 1, 100, MinBuffer - 3, MinBuffer + 5, 3 * MinBuffer, 200 << 10}[rng.IntN(7)]
		for len(body) < size {
			if rng.IntN(4) == 0 {
				body = append(body, pieces[rng.IntN(len(pieces))]...)
				continue
			}
			body = append(body, byte(rng.Uint32()))
		}
		body = defuse(body, boundary)
		w, err := mw.CreatePart(h)
		if err != nil {
			panic(err)
		}
		w.Write(body)
		want.parts = append(want.parts, parsedPart{header: h, body: body})
	}
	mw.Close()
	want.err = io.EOF
	return buf.Bytes(), boundary, want
}

// defuse returns body with an "x" after every "--boundary" that would end
// it: at its start, or after a line break, when followed by a space, a
// tab, a line break, "--" or the end of the body (where the writer's line
// break follows).
func defuse(body []byte, boundary string) []byte {
	dash := []byte("--" + boundary)
	var out []byte
	for i := 0; i < len(body); i++ {
		out = append(out, body[i])
		start := i == 0 || body[i-1] == '\n'
		if !start || !bytes.HasPrefix(body[i:], dash) {
			continue
		}
		j := i + len(dash)
		if j == len(body) || strings.IndexByte(" \t\r\n", body[j]) >= 0 || bytes.HasPrefix(body[j:], []byte("--")) {
			out = append(out, body[i+1:j]...)
			out = append(out, 'x')
			i = j - 1
		}
	}
	return out
}

// FuzzIndex checks the delimiter search against bytes.Index.
func FuzzIndex(f *testing.F) {
	f.Add([]byte("abc\r\n--B\r\n"), "B", false)
	f.Add([]byte(strings.Repeat("-", 300)+"\n--"+strings.Repeat("-", 70)), strings.Repeat("-", 70), true)
	f.Fuzz(func(t *testing.T, b []byte, boundary string, lf bool) {
		mr, err := NewReader(nil, boundary, 0)
		if err != nil {
			return
		}
		if lf {
			mr.setDelimiter(mr.nlDashBoundary[1:])
		}
		if got, want := mr.index(b), bytes.Index(b, mr.nlDashBoundary); got != want {
			t.Fatalf("index(%q) of %q = %d, want %d", b, mr.nlDashBoundary, got, want)
		}
	})
}

// TestIndex checks the delimiter search against bytes.Index where it skips
// far, where it falls back to bytes.Index and where it finds nothing.
func TestIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 1<<20)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	long := strings.Repeat("-", maxBoundary)
	tests := []struct {
		name, boundary string
		b              []byte
	}{
		{"random bytes, no delimiter", "0123456789abcdef", random},
		{"delimiter at the end of random bytes", "0123456789abcdef", append(bytes.Clone(random), "\r\n--0123456789abcdef"...)},
		{"delimiter at the start", "B", []byte("\r\n--Bxyz")},
		{"dashes around a boundary of dashes", long, []byte(strings.Repeat("-", 5000) + "\r\n--" + long + strings.Repeat("-", 100))},
		{"near-delimiters, then one", "ab", []byte(strings.Repeat("\r\n--a\r\n-", 2000) + "\r\n--ab")},
		{"shorter than the delimiter", "abc", []byte("\r\n--ab")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mr, err := NewReader(nil, tt.boundary, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := mr.index(tt.b), bytes.Index(tt.b, mr.nlDashBoundary); got != want {
				t.Fatalf("index = %d, want %d", got, want)
			}
		})
	}
}

// TestReaderRefuses lists bodies and boundaries that must be refused, with
// the error each gives.
func TestReaderRefuses(t *testing.T) {
	longHeader := "--B\r\nA: " + strings.Repeat("x", MaxHeader) + "\r\n\r\nbody\r\n--B--\r\n"
	longLine := strings.Repeat("p", maxLine) + "\r\n--B\r\n\r\nbody\r\n--B--\r\n"
	tests := []struct {
		name, boundary, body string
		want                 error // of NextPart, or of reading a body if wantParts > 0
		wantParts            int
	}{
		{"empty boundary", "", "", ErrMalformed, 0},
		{"boundary over 70 bytes", strings.Repeat("b", 71), "", ErrMalformed, 0},
		{"boundary with a line break", "a\r\nb", "", ErrMalformed, 0},
		{"empty body", "B", "", io.ErrUnexpectedEOF, 0},
		{"no delimiter", "B", "hello\r\n", io.ErrUnexpectedEOF, 0},
		{"header too large", "B", longHeader, ErrHeaderTooLarge, 0},
		{"preamble line too long", "B", longLine, ErrMalformed, 0},
		{"header without blank line", "B", "--B\r\nA: 1\r\n", io.ErrUnexpectedEOF, 0},
		{"header line without colon", "B", "--B\r\nA\r\n\r\nx\r\n--B--", ErrMalformed, 0},
		{"garbage after a delimiter", "B", "--B\r\n\r\nx\r\n--B\tjunk\r\n--B--\r\n", ErrMalformed, 1},
		{"truncated body", "B", "--B\r\n\r\nhalf a fi", io.ErrUnexpectedEOF, 1},
		{"truncated after the delimiter", "B", "--B\r\n\r\nx\r\n--B", io.ErrUnexpectedEOF, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readUntilError(tt.body, tt.boundary, tt.wantParts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// readUntilError reads parts of body; it returns the error of NextPart,
// or of reading the body of part number bodyOf (from 1) if set.
func readUntilError(body, boundary string, bodyOf int) error {
	mr, err := NewReader(strings.NewReader(body), boundary, 0)
	if err != nil {
		return err
	}
	for i := 1; ; i++ {
		p, err := mr.NextPart()
		if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, p); err != nil && i == bodyOf {
			return err
		}
	}
}

// TestReadErrorPassesThrough checks that an error of the underlying
// reader reaches the caller of Read as itself.
func TestReadErrorPassesThrough(t *testing.T) {
	boom := errors.New("boom")
	for _, readSize := range []int{1, directMin, 1 << 20} {
		t.Run(fmt.Sprint(readSize), func(t *testing.T) {
			src := io.MultiReader(strings.NewReader("--B\r\n\r\nsome bytes"), &errReader{boom})
			mr, err := NewReader(src, "B", 0)
			if err != nil {
				t.Fatal(err)
			}
			p, err := mr.NextPart()
			if err != nil {
				t.Fatal(err)
			}
			_, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{p}, make([]byte, readSize))
			if !errors.Is(err, boom) {
				t.Fatalf("got %v, want %v", err, boom)
			}
		})
	}
}

type errReader struct{ err error }

func (e *errReader) Read([]byte) (int, error) { return 0, e.err }

// BenchmarkPartRead reads one 64 MiB part in 2 MiB reads, as the store
// does, with this package and with mime/multipart.
func BenchmarkPartRead(b *testing.B) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("file", "f")
	data := make([]byte, 64<<20)
	rand.NewChaCha8([32]byte{}).Read(data)
	w.Write(data)
	mw.Close()
	body := buf.Bytes()
	dst := make([]byte, 2<<20)
	readers := []struct {
		name string
		open func(io.Reader) func() (io.Reader, error)
	}{
		{"formdata", func(r io.Reader) func() (io.Reader, error) {
			mr, _ := NewReader(r, mw.Boundary(), 1<<20)
			return func() (io.Reader, error) { return mr.NextPart() }
		}},
		{"mime", func(r io.Reader) func() (io.Reader, error) {
			mr := multipart.NewReader(r, mw.Boundary())
			return func() (io.Reader, error) { return mr.NextRawPart() }
		}},
	}
	for _, rd := range readers {
		b.Run(rd.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				p, err := rd.open(&chunkReader{b: body, n: 256 << 10})()
				if err != nil {
					b.Fatal(err)
				}
				for err == nil {
					_, err = io.ReadFull(p, dst)
				}
			}
		})
	}
}
