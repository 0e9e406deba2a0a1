package main

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// showProgress says whether long work shows a progress bar: only when
// stderr is a terminal, and never in CI (CI set, as CI services do) or on
// a dumb terminal. Pipes and files get nothing.
func (e *env) showProgress() bool {
	return isTerminal(e.stderr) && e.getenv("CI") == "" && e.getenv("TERM") != "dumb"
}

// progress returns a progress callback (done, total) that draws a bar on
// stderr, or nil when showProgress says no.
func (e *env) progress(desc string) func(done, total int) {
	if !e.showProgress() {
		return nil
	}
	return progressBar(e.stderr, desc)
}

// progressBar draws a bar on w, made at the first call (when the total is
// known) and cleared when done reaches the total.
func progressBar(w io.Writer, desc string) func(done, total int) {
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(desc),
				progressbar.OptionShowCount(),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionSetPredictTime(false),
				progressbar.OptionClearOnFinish(),
			)
		}
		_ = bar.Set(done)
		if done >= total {
			_ = bar.Finish()
		}
	}
}
