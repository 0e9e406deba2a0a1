// Package workpool hands the indices of a list of jobs out to a few
// goroutines, in order: the worker loop that package demand's file reading
// and package replay's file replay share.
package workpool

import (
	"runtime"
	"sync"
)

// Workers returns how many goroutines [Run] should use for n jobs when
// the caller asks for want: want, or GOMAXPROCS when want <= 0, at most
// n, and at least 1.
func Workers(n, want int) int {
	if want <= 0 {
		want = runtime.GOMAXPROCS(0)
	}
	return max(1, min(want, n))
}

// Run calls job(w, i) once for every i in 0..n-1 on workers goroutines
// (at least one), and returns when every call has returned. The indices
// are handed out in increasing order, each to the next worker free; w, in
// 0..workers-1, names the goroutine that runs the call, so that a job may
// keep per-worker state in a slice indexed by w without locking. When a
// call returns false, no index not handed out yet is handed out: the
// calls already running finish, and Run returns.
func Run(n, workers int, job func(w, i int) bool) {
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for w := range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if !job(w, i) {
					mu.Lock()
					next = n // the others stop after their current job
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
}
