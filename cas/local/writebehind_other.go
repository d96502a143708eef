//go:build !linux

package local

import (
	"errors"
	"io"
	"os"
)

// newWriteBehind returns f itself: early writeback is a Linux optimisation
// and the final fsync in durable.LinkTemp provides durability everywhere.
func newWriteBehind(f *os.File, _ int64) io.Writer { return f }

// startWriteback does nothing outside Linux.
func startWriteback(*os.File, int64, int64) {}

// setDirect reports that O_DIRECT is not used outside Linux; turning it off
// succeeds.
func setDirect(_ *os.File, on bool) error {
	if on {
		return errors.New("O_DIRECT is not used on this system")
	}
	return nil
}
