package topology_test

import (
	"runtime"
	"testing"

	"github.com/egresslab/egress/internal/bignet"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
)

// BenchmarkLoadCompile loads and validates (which compiles every route table
// per subnet and checks every NSG with the real service tags) a network of
// 1,000 VNets, 10,000 NICs and 1,000 NSGs. It reports the retained heap per
// NIC.
func BenchmarkLoadCompile(b *testing.B) {
	vnets, nics := 1000, 10
	if testing.Short() {
		vnets = 100
	}
	design := []byte(bignet.Design(vnets, nics))
	tags, err := servicetag.Default() // loaded once, outside the loop
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var m *topology.Model
	var before, after runtime.MemStats
	for b.Loop() {
		runtime.GC()
		runtime.ReadMemStats(&before)
		m, err = topology.LoadNative("big.yaml", design, tags)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
	}
	total := (vnets - 1) * nics
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(total), "ns/NIC")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(total), "heap-B/NIC")
	runtime.KeepAlive(m)
}
