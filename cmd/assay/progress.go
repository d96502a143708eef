package main

import (
	"os"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressMin is the smallest count of items worth a progress bar.
const progressMin = 10_000

// newProgress returns a progress bar over n items on stderr, shown only when
// stderr is a terminal and the work is large; otherwise a bar that prints
// nothing, so scripts and tests see clean output.
func newProgress(n int64, what string) *progressbar.ProgressBar {
	visible := n >= progressMin && term.IsTerminal(int(os.Stderr.Fd()))
	return progressbar.NewOptions64(n,
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetVisibility(visible),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100_000_000), // at most 10 redraws a second
		progressbar.OptionClearOnFinish(),
	)
}

// newCountProgress returns a progress bar of unknown total (a count and a
// spinner) on stderr, shown only when stderr is a terminal.
func newCountProgress(what string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(-1,
		progressbar.OptionSetDescription(what),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionSetVisibility(term.IsTerminal(int(os.Stderr.Fd()))),
		progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
	)
}
