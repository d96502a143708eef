package cas_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/assay-ledger/assay/cas"
	"github.com/assay-ledger/assay/cas/castest"
)

// confirmRig is a fake store for ConfirmExisting: head answers from stored
// (or with headErr), and buffer counts what it lends and gets back.
type confirmRig struct {
	stored   map[cas.Digest]cas.Info
	headErr  error
	heads    int
	lent     int
	released int
}

func (c *confirmRig) head(_ context.Context, d cas.Digest) (cas.Info, error) {
	c.heads++
	if c.headErr != nil {
		return cas.Info{}, c.headErr
	}
	info, ok := c.stored[d]
	if !ok {
		return cas.Info{}, cas.ErrNotFound
	}
	return info, nil
}

func (c *confirmRig) buffer() ([]byte, func()) {
	c.lent++
	return make([]byte, 4096), func() { c.released++ }
}

func (c *confirmRig) confirm(r *bytes.Reader, expected cas.Digest) (cas.Info, bool, error) {
	return cas.ConfirmExisting(context.Background(), r, expected, c.head, c.buffer, "test put")
}

func TestConfirmExisting(t *testing.T) {
	data := castest.Data(1, 10000)
	want := castest.Expect(data)
	want.StoredSize = 1234 // what the store recorded, returned as it is
	newRig := func() *confirmRig { return &confirmRig{stored: map[cas.Digest]cas.Info{want.Digest: want}} }

	t.Run("no expected digest", func(t *testing.T) {
		c := newRig()
		_, done, err := c.confirm(bytes.NewReader(data), cas.Digest{})
		if done || err != nil || c.heads != 0 || c.lent != 0 {
			t.Fatalf("done %v, err %v, %d heads, %d lent; want a plain Put", done, err, c.heads, c.lent)
		}
	})
	t.Run("not stored", func(t *testing.T) {
		c := newRig()
		r := bytes.NewReader(data)
		_, done, err := c.confirm(r, cas.DigestOf([]byte("other")))
		if done || err != nil || c.lent != 0 || r.Len() != len(data) {
			t.Fatalf("done %v, err %v, %d lent, %d unread; want a plain Put with r untouched", done, err, c.lent, r.Len())
		}
	})
	t.Run("head fails", func(t *testing.T) {
		c := newRig()
		c.headErr = cas.ErrUnavailable
		_, done, err := c.confirm(bytes.NewReader(data), want.Digest)
		if !done || err != cas.ErrUnavailable || c.lent != 0 {
			t.Fatalf("done %v, err %v, %d lent; want head's error as it is", done, err, c.lent)
		}
	})
	t.Run("stored and matching", func(t *testing.T) {
		c := newRig()
		r := bytes.NewReader(data)
		info, done, err := c.confirm(r, want.Digest)
		wantInfo := want
		wantInfo.Existed = true
		if !done || err != nil || info != wantInfo {
			t.Fatalf("got %+v, done %v, err %v; want %+v", info, done, err, wantInfo)
		}
		if r.Len() != 0 || c.lent != 1 || c.released != 1 {
			t.Fatalf("%d unread, %d lent, %d released; want all read through one buffer given back", r.Len(), c.lent, c.released)
		}
	})
	t.Run("stored but other bytes", func(t *testing.T) {
		c := newRig()
		other := castest.Data(2, 10000)
		info, done, err := c.confirm(bytes.NewReader(other), want.Digest)
		var mm *cas.MismatchError
		if !done || !errors.As(err, &mm) || mm.Expected != want.Digest || mm.Got != cas.DigestOf(other) || info != (cas.Info{}) {
			t.Fatalf("got %+v, done %v, err %v; want a MismatchError", info, done, err)
		}
		if c.released != c.lent {
			t.Fatalf("%d lent, %d released", c.lent, c.released)
		}
	})
	t.Run("reading fails", func(t *testing.T) {
		c := newRig()
		boom := errors.New("boom")
		_, done, err := cas.ConfirmExisting(context.Background(), iotest.ErrReader(boom), want.Digest, c.head, c.buffer, "test put")
		if !done || !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "test put: ") {
			t.Fatalf("done %v, err %v; want boom prefixed with the op", done, err)
		}
		if c.lent != 1 || c.released != 1 {
			t.Fatalf("%d lent, %d released", c.lent, c.released)
		}
	})
}
