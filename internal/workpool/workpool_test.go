package workpool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWorkers(t *testing.T) {
	require.Equal(t, 3, Workers(10, 3))
	require.Equal(t, 2, Workers(2, 8), "never more than the jobs")
	require.Equal(t, 1, Workers(0, 8), "at least one")
	require.Equal(t, min(runtime.GOMAXPROCS(0), 100), Workers(100, 0))
}

// TestRunEveryIndexOnce: every index runs once, on a worker in range, and
// each worker sees its indices in increasing order.
func TestRunEveryIndexOnce(t *testing.T) {
	const n, workers = 1000, 4
	var seen [n]atomic.Int32
	last := make([]int, workers)
	for w := range last {
		last[w] = -1
	}
	Run(n, workers, func(w, i int) bool {
		require.True(t, w >= 0 && w < workers)
		require.Greater(t, i, last[w], "worker %d", w)
		last[w] = i
		seen[i].Add(1)
		return true
	})
	for i := range seen {
		require.Equal(t, int32(1), seen[i].Load(), "index %d", i)
	}
}

// TestRunStops: after a job returns false, no index beyond those already
// handed out runs; with one worker, exactly the indices up to it run.
func TestRunStops(t *testing.T) {
	var mu sync.Mutex
	var ran []int
	Run(100, 1, func(_, i int) bool {
		mu.Lock()
		ran = append(ran, i)
		mu.Unlock()
		return i != 7
	})
	require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, ran)
	// With several workers, every index handed out before the stop runs.
	var seen [1000]atomic.Bool
	Run(1000, 4, func(_, i int) bool {
		seen[i].Store(true)
		return i != 10
	})
	for i := range 11 {
		require.True(t, seen[i].Load(), "index %d", i)
	}
	Run(0, 3, func(int, int) bool { t.Fatal("no job to run"); return true })
}
