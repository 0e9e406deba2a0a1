package simulate_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"runtime"
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

// BenchmarkClassifyBig is Classify on random flows over the big network's
// 10,000 NICs (random NIC, destination and port per flow): memory-bound
// work, reported in M (one dependent load in a 16 MiB pointer chase,
// internal/benchl) measured in the same run.
func BenchmarkClassifyBig(b *testing.B) {
	vnets := 1001
	if testing.Short() {
		vnets = 101
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "big.yaml", Data: []byte(bignet.Design(vnets, 10))}}, Tags: defaultTagsMust()})
	if err != nil {
		b.Fatal(err)
	}
	e := simulate.Compile(n, simulate.Options{})
	nics := e.NICs()
	r := rand.New(rand.NewPCG(7, 7))
	const flows = 1 << 16
	type flow struct {
		h    simulate.NIC
		dst  netip.Addr
		port uint16
	}
	fs := make([]flow, flows)
	for i := range fs {
		fs[i] = flow{nics[r.IntN(len(nics))], netip.AddrFrom4([4]byte{byte(r.IntN(224)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}), uint16(1 + r.IntN(65535))}
	}
	var sink simulate.Verdict
	op := func(i int) {
		f := &fs[i&(flows-1)]
		sink += e.Classify(f.h, f.dst, ipproto.TCP, f.port).Verdict
	}
	benchl.Chase(0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		op(i)
		i++
	}
	b.ReportMetric(benchl.Ratio(20000, op, benchl.Chase), "x-M")
	_ = sink
}
