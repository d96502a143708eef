package ledgertest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// FilesHolding returns the files under dir (paths relative to it) whose
// bytes contain any of needles, for tests of encryption at rest. It reads
// only the data segments of sparse files where the filesystem reports
// them, so an open ledger, whose Badger value log and memtable files are
// GiB-sized and mostly holes, is searched in milliseconds.
//
// An open ledger's memtable file holds its newest entries as written; a
// closed one's tables are Snappy-compressed, which may leave only pieces
// of a plaintext literal: look for a Marker with its Pieces.
func FilesHolding(t testing.TB, dir string, needles ...[]byte) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		found, err := fileHolds(p, needles)
		if found {
			rel, _ := filepath.Rel(dir, p)
			hits = append(hits, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// pieceLen is the length of the Pieces of a marker: long enough that
// random bytes (ciphertext) never hold one by chance, short enough that
// compression leaves some literal.
const pieceLen = 8

// Pieces returns a Marker and every run of pieceLen bytes of its random
// letters: what FilesHolding looks for so that a compressed plaintext is
// found too. Compression may turn runs that repeat earlier bytes into
// back-references, but not every run of a random marker.
func Pieces(marker string) [][]byte {
	out := [][]byte{[]byte(marker)}
	tail := marker[strings.LastIndexByte(marker, '-')+1:]
	for i := 0; i+pieceLen <= len(tail); i++ {
		out = append(out, []byte(tail[i:i+pieceLen]))
	}
	return out
}

// markerAlphabet has no hex digits, so a marker shares few 4-byte runs
// with the hashes, keys and signatures around it that compression could
// turn into back-references.
const markerAlphabet = "ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ"

// Marker returns a fresh plaintext, "confidential-WHAT-" and 32 random
// letters, that appears nowhere by chance: what tests write and then look
// for with FilesHolding and Pieces.
func Marker(t testing.TB, what string) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = markerAlphabet[int(b[i])%len(markerAlphabet)]
	}
	return "confidential-" + what + "-" + string(b)
}

// Whence values of lseek(2) that skip the holes of sparse files.
const (
	seekData = 3
	seekHole = 4
)

// fileHolds searches the file at p for needles, reading only its data
// segments where the filesystem reports them, else the whole file.
func fileHolds(p string, needles [][]byte) (bool, error) {
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	size := fi.Size()
	for off := int64(0); off < size; {
		start, err := f.Seek(off, seekData)
		switch {
		case errors.Is(err, syscall.ENXIO):
			return false, nil // no data after off
		case err != nil && off == 0:
			start = 0 // no SEEK_DATA on this filesystem: read it all
		case err != nil:
			return false, err
		}
		end, err := f.Seek(start, seekHole)
		if err != nil {
			end = size
		}
		b := make([]byte, end-start)
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return false, err
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				return true, nil
			}
		}
		off = end
	}
	return false, nil
}
