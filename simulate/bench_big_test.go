package simulate_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/egresslab/egress/internal/benchl"
	"github.com/egresslab/egress/internal/bignet"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

// BenchmarkLoadCompileBig is the whole pipeline on the big network of
// package bignet (1,003 VNets, 10,000 NICs, 1,000 NSGs of 20 rules, real
// service tags; 101 VNets under -short): topology.Load of the native design
// (parse, validate, build the network: every route table, NSG and scope
// compiled once) then simulate.Compile. It reports each phase, the heap the
// network and engine retain per NIC, and the ratio of the whole to a plain
// encoding/json decode into any of the same network's ARM export (about
// 25 MB), measured in the same run ("x-json-decode").
func BenchmarkLoadCompileBig(b *testing.B) {
	vnets := 1001
	if testing.Short() {
		vnets = 101
	}
	design := []byte(bignet.Design(vnets, 10))
	export := bignet.ARMExport(vnets, 10)
	tags := defaultTagsMust() // parsed once, outside the loop
	opts := topology.LoadOptions{Inputs: []topology.Input{{Name: "big.yaml", Data: design}}, Tags: tags}
	b.ReportAllocs()
	var e *simulate.Engine
	var load, compile, decode time.Duration
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		n, err := topology.Load(opts)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		e = simulate.Compile(n, simulate.Options{})
		t2 := time.Now()
		runtime.GC()
		runtime.ReadMemStats(&after)
		t3 := time.Now()
		var v any
		if err := json.Unmarshal(export, &v); err != nil {
			b.Fatal(err)
		}
		load, compile, decode = load+t1.Sub(t0), compile+t2.Sub(t1), decode+time.Since(t3)
	}
	if e.NumNICs() != (vnets-1)*10 {
		b.Fatalf("%d NICs", e.NumNICs())
	}
	per := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / per }
	b.ReportMetric(ms(load), "ms-load")
	b.ReportMetric(ms(compile), "ms-compile")
	b.ReportMetric(ms(load+compile), "ms-total")
	b.ReportMetric(ms(decode), "ms-json-decode")
	b.ReportMetric(float64(load+compile)/float64(decode), "x-json-decode")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(e.NumNICs()), "heap-B/NIC")
	runtime.KeepAlive(e)
}

// bigPool is the big network's engine (1,001 VNets, 10,000 NICs; 101
// VNets under -short) and a pool of random flows over it (random NIC,
// destination and port per flow): 4Mi flows (192 MiB), 64Ki under -short.
// The benchmarks draw fresh flows from it at every operation, so that a
// flow's NIC state, route table and NSG tables are where 10,000 NICs' worth
// of them are, far beyond the caches, not where the last pass through a few
// thousand flows left them. Built once per process, outside the timers.
var bigPool = sync.OnceValues(func() (*simulate.Engine, []simulate.BatchFlow) {
	vnets, size := 1001, 1<<22
	if testing.Short() {
		vnets, size = 101, 1<<16
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "big.yaml", Data: []byte(bignet.Design(vnets, 10))}}, Tags: defaultTagsMust()})
	if err != nil {
		panic(err)
	}
	e := simulate.Compile(n, simulate.Options{})
	nics := e.NICs()
	r := rand.New(rand.NewPCG(7, 7))
	fs := make([]simulate.BatchFlow, size)
	for i := range fs {
		fs[i] = simulate.BatchFlow{NIC: nics[r.IntN(len(nics))], Dst: netip.AddrFrom4([4]byte{byte(r.IntN(224)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}),
			Proto: ipproto.TCP, Port: uint16(1 + r.IntN(65535))}
	}
	return e, fs
})

// flowCursor hands out the pool's flows in order, cyclically, whatever the
// index a [benchl.Ratio] round passes (each round starts again at 0).
type flowCursor struct {
	fs   []simulate.BatchFlow // len a power of two
	next int
}

// take returns the next n flows (n divides len(fs)).
func (c *flowCursor) take(n int) []simulate.BatchFlow {
	lo := c.next
	c.next = (c.next + n) & (len(c.fs) - 1)
	return c.fs[lo : lo+n]
}

// classifyOne returns an operation that classifies the next flow of cur
// with Classify, adding its verdict to *sink.
func classifyOne(e *simulate.Engine, cur *flowCursor, sink *simulate.Verdict) func(int) {
	return func(int) {
		f := &cur.take(1)[0]
		*sink += e.Classify(f.NIC, f.Dst, f.Proto, f.Port).Verdict
	}
}

// runBig runs op, one flow per call, as the benchmark's loop, then reports
// its cost in M and L measured in the same run, each metric's name ending
// in unit.
func runBig(b *testing.B, op func(int), unit string) {
	benchl.Chase(0)
	b.ReportAllocs()
	for b.Loop() {
		op(0)
	}
	b.ReportMetric(benchl.Ratio(20480, op, benchl.Chase), "x-M"+unit)
	b.ReportMetric(benchl.Ratio(20480, op, benchl.Rand), "x-L"+unit)
}

// BenchmarkClassifyBig is Classify on fresh random flows over the big
// network's 10,000 NICs (bigPool): memory-bound work, reported in M (one
// dependent load in a 16 MiB pointer chase, internal/benchl) and in L (one
// bart lookup of a random address), both measured in the same run (the
// issue's target: at most 3 M per flow).
func BenchmarkClassifyBig(b *testing.B) {
	e, fs := bigPool()
	var sink simulate.Verdict
	runBig(b, classifyOne(e, &flowCursor{fs: fs}, &sink), "")
	_ = sink
}

// BenchmarkClassifyBatchBig is ClassifyBatch on fresh flows of bigPool,
// 256 at a time, reported per flow in M and L (the target: at most
// 1 M per flow) and as a ratio to Classify flow by flow on other fresh
// flows, all measured in the same run; and the size of the compact state
// ClassifyBatch reads (KB, and bytes per NIC).
func BenchmarkClassifyBatchBig(b *testing.B) {
	e, fs := bigPool()
	cur := &flowCursor{fs: fs}
	const batch = 256
	out := make([]simulate.Decision, batch)
	var sink simulate.Verdict
	// One op is one flow: every batch-th call classifies the next batch.
	n := 0
	op := func(int) {
		if n++; n == batch {
			n = 0
			out = e.ClassifyBatch(cur.take(batch), out)
			sink += out[0].Verdict
		}
	}
	runBig(b, op, "/flow")
	b.ReportMetric(benchl.Ratio(20480, op, classifyOne(e, cur, &sink)), "x-Classify")
	size, covered := simulate.BatchStateBytes(e)
	if covered != e.NumNICs() {
		b.Fatalf("the compact state covers %d of %d NICs", covered, e.NumNICs())
	}
	b.ReportMetric(float64(size)/1024, "compact-KB")
	b.ReportMetric(float64(size)/float64(e.NumNICs()), "compact-B/NIC")
	_ = sink
}

// BenchmarkReachAllBig builds the egress map of every NIC of the big
// network (1,001 VNets, 10,000 NICs in 1,000 subnets of 10; skipped under
// -short) with ReachAll, one worker per GOMAXPROCS (the figure is
// for -cpu 2), reporting maps per second, the distinct builds (maps not
// shared from another NIC's walks), and the peak of HeapInuse sampled
// every millisecond while it runs (the engine included).
func BenchmarkReachAllBig(b *testing.B) {
	if testing.Short() {
		b.Skip("builds 10,000 egress maps")
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "big.yaml", Data: []byte(bignet.Design(1001, 10))}}, Tags: defaultTagsMust()})
	if err != nil {
		b.Fatal(err)
	}
	e := simulate.Compile(n, simulate.Options{})
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	maps, builds, classes := 0, 0, 0
	start := time.Now()
	for b.Loop() {
		maps, builds, classes = 0, 0, 0
		err := e.ReachAll(context.Background(), simulate.ReachAllOptions{}, func(_ simulate.NIC, m *simulate.EgressMap) error {
			maps++
			classes += len(m.Classes)
			if m.SharedFrom == "" {
				builds++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	if maps != e.NumNICs() {
		b.Fatalf("%d maps for %d NICs", maps, e.NumNICs())
	}
	b.ReportMetric(float64(maps)*float64(b.N)/elapsed.Seconds(), "maps/s")
	b.ReportMetric(float64(builds), "builds")
	b.ReportMetric(float64(classes)/float64(maps), "classes/map")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-MiB")
}
