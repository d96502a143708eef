package verifier

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

var root32 = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))

func TestParseCheckpoint(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		ok   bool
	}{
		"plain":            {"example.com/log\n12\n" + root32 + "\n", true},
		"extension":        {"example.com/log\n12\n" + root32 + "\nextra line\n", true},
		"zero":             {"o\n0\n" + root32 + "\n", true},
		"no final newline": {"o\n12\n" + root32, false},
		"leading zero":     {"o\n012\n" + root32 + "\n", false},
		"plus sign":        {"o\n+12\n" + root32 + "\n", false},
		"negative":         {"o\n-1\n" + root32 + "\n", false},
		"overflow":         {"o\n18446744073709551616\n" + root32 + "\n", false},
		"empty origin":     {"\n12\n" + root32 + "\n", false},
		"short root":       {"o\n12\nAAAA\n", false},
		"bad base64":       {"o\n12\n!!!\n", false},
		"two lines":        {"o\n12\n", false},
		"empty extension":  {"o\n12\n" + root32 + "\n\n", false},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := ParseCheckpoint(tc.text)
			if tc.ok != (err == nil) {
				t.Fatalf("ParseCheckpoint(%q) = %v, want ok=%v", tc.text, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("error %v does not wrap ErrCheckpoint", err)
			}
			if err == nil && c.Text() != tc.text {
				t.Fatalf("Text() = %q, want %q", c.Text(), tc.text)
			}
		})
	}
}

func signed(t *testing.T, skey, text string) []byte {
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func TestOpenCheckpoint(t *testing.T) {
	skey, vkey, _ := note.GenerateKey(rand.Reader, "log")
	otherS, otherV, _ := note.GenerateKey(rand.Reader, "log")
	body := "example.com/log\n3\n" + root32 + "\n"
	good := signed(t, skey, body)
	if c, err := OpenCheckpoint(good, vkey, "example.com/log"); err != nil || c.Size != 3 {
		t.Fatalf("OpenCheckpoint = %+v, %v", c, err)
	}
	flipped := bytes.Clone(good)
	flipped[len(body)-3] ^= 1
	for name, tc := range map[string]struct {
		msg          []byte
		vkey, origin string
	}{
		"other signer":    {signed(t, otherS, body), vkey, ""},
		"other verifier":  {good, otherV, ""},
		"other origin":    {good, vkey, "example.org/log"},
		"flipped body":    {flipped, vkey, ""},
		"bad vkey":        {good, "nonsense", ""},
		"unsigned":        {[]byte(body), vkey, ""},
		"bad body":        {signed(t, skey, "example.com/log\nx\n"+root32+"\n"), vkey, ""},
		"oversize":        {append(bytes.Repeat([]byte("a"), MaxCheckpointSize), good...), vkey, ""},
		"truncated":       {good[:len(good)-10], vkey, ""},
		"no signature ln": {[]byte(strings.SplitN(string(good), "\n\n", 2)[0] + "\n\n"), vkey, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := OpenCheckpoint(tc.msg, tc.vkey, tc.origin); !errors.Is(err, ErrCheckpoint) {
				t.Fatalf("got %v, want ErrCheckpoint", err)
			}
		})
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add("example.com/log\n12\n" + root32 + "\n")
	f.Add("o\n0\n" + root32 + "\next\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCheckpoint(text)
		if err != nil {
			return
		}
		if c.Text() != text {
			t.Fatalf("accepted %q but renders %q: not canonical", text, c.Text())
		}
		if _, err := ParseCheckpoint(c.Text()); err != nil {
			t.Fatalf("round trip of %q: %v", text, err)
		}
	})
}

// TestReadCheckpoint reads the checkpoint of a signed note, cosigned or
// not, without its signatures, and refuses what is not a signed note.
func TestReadCheckpoint(t *testing.T) {
	text := Checkpoint{Origin: "o", Size: 3, Root: make([]byte, 32)}.Text()
	for _, note := range []string{text + "\n— o AAAA\n", text + "\n— o AAAA\n— w BBBB\n"} {
		if NoteText([]byte(note)) != text {
			t.Fatalf("NoteText(%q)", note)
		}
		if c, err := ReadCheckpoint([]byte(note)); err != nil || c.Size != 3 || c.Origin != "o" {
			t.Fatalf("ReadCheckpoint(%q): %+v %v", note, c, err)
		}
	}
	for _, bad := range []string{"", text, "o\nx\n\n— o AAAA\n"} {
		if _, err := ReadCheckpoint([]byte(bad)); !errors.Is(err, ErrCheckpoint) {
			t.Fatalf("ReadCheckpoint(%q): %v", bad, err)
		}
	}
}
