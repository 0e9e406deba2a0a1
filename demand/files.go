package demand

import (
	"fmt"
	"os"

	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/internal/workpool"
)

// FromFiles reads the flow-log files under paths (see
// [Estimator.AddFiles]) and returns their demand rows (see
// [Estimator.Peaks]).
func FromFiles(paths []string, opts Options) ([]Peak, error) {
	e, err := NewEstimator(opts)
	if err != nil {
		return nil, err
	}
	if err := e.AddFiles(paths); err != nil {
		return nil, err
	}
	return e.Peaks(), nil
}

// AddFiles adds the flows of the flow-log files under paths (files, or
// directories walked with [flowlog.Walk]). Files are streamed,
// Options.Workers at once, each worker into an estimator of its own merged
// into e at the end: the result does not depend on the number of workers.
// A flow whose record names no MAC address takes the one of its blob path
// (…/macAddress=…/PT1H.json) when the path has the blob layout. An
// unreadable file stops the read with its error (file:line:col for bad
// content; the first such file in walk order) and leaves e unchanged.
func (e *Estimator) AddFiles(paths []string) error {
	files, err := flowlog.Walk(paths...)
	if err != nil {
		return fmt.Errorf("demand: %w", err)
	}
	workers := workpool.Workers(len(files), e.opts.Workers)
	type result struct {
		est     *Estimator
		r       *flowlog.Reader
		err     error
		errFile int // the index of the file of err
	}
	results := make([]result, workers)
	for w := range results {
		results[w].est, _ = NewEstimator(e.opts) // e's options are valid
		results[w].r = flowlog.NewReader("", nil)
	}
	workpool.Run(len(files), workers, func(w, i int) bool {
		res := &results[w]
		if err := readFile(res.est, res.r, files[i]); err != nil {
			res.err, res.errFile = err, i
			return false // the others stop after their current file
		}
		return true
	})
	// Files are handed out in order and a file being read is read to its
	// end, so the failed file of lowest index is the first bad file in
	// walk order, whatever the scheduling.
	var first *result
	for i := range results {
		if r := &results[i]; r.err != nil && (first == nil || r.errFile < first.errFile) {
			first = r
		}
	}
	if first != nil {
		return first.err
	}
	for _, r := range results {
		if err := e.Merge(r.est); err != nil {
			return err
		}
	}
	return nil
}

// readFile adds the flows of one file to est.
func readFile(est *Estimator, r *flowlog.Reader, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("demand: %w", err)
	}
	defer f.Close()
	mac := ""
	if b, err := flowlog.ParsePath(file); err == nil {
		mac = b.MAC
	}
	r.Reset(file, f)
	for r.Next() {
		fl := r.Flow()
		if fl.MAC == "" {
			fl.MAC = mac
		}
		est.Add(fl)
	}
	return r.Err()
}
