package demand

import (
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/egresslab/egress/flowlog"
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
	workers := e.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(files)))
	type result struct {
		est     *Estimator
		err     error
		errFile int // the index of the file of err
	}
	results := make([]result, workers)
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			est, _ := NewEstimator(e.opts) // e's options are valid
			r := flowlog.NewReader("", nil)
			results[w].est = est
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(files) {
					return
				}
				if err := readFile(est, r, files[i]); err != nil {
					results[w].err, results[w].errFile = err, i
					mu.Lock()
					next = len(files) // the others stop after their current file
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
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
