package topology_test

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/egresslab/egress/internal/bignet"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
	"github.com/egresslab/egress/topology/arm"
)

var (
	bigARMOnce sync.Once
	bigARMData []byte
)

func bigARM(tb testing.TB) []byte {
	bigARMOnce.Do(func() { bigARMData = bignet.ARMExport(1001, 10) })
	return bigARMData
}

// TestBigARMExport: the benchmark's export is what it says: 10,000 NICs,
// every declaration merged, every association carried over, valid.
func TestBigARMExport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-NIC export")
	}
	data := bigARM(t)
	rs, err := arm.ParseKeepDuplicates("big.json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	m, err := topology.FromARM(rs)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.NICs) != 10000 || len(m.VNets) != 1003 || len(m.RouteTables[0].Routes) != 1 {
		t.Fatalf("%d NICs, %d VNets, %d routes", len(m.NICs), len(m.VNets), len(m.RouteTables[0].Routes))
	}
	for _, v := range m.VNets {
		if len(v.Subnets) != 1 {
			t.Fatalf("%s has %d subnets", v.Name, len(v.Subnets))
		}
	}
	if err := m.Validate(defaultTags(t)); err != nil {
		t.Fatal(err)
	}
	if w := m.Warnings(); len(w) != 0 {
		t.Fatal(w)
	}
}

// BenchmarkMergeValidate loads the 10,000-NIC ARM export as LoadFiles does
// (parse keeping duplicates, build one model from every resource, merge the
// duplicates, carry associations over, validate with the real service
// tags: every route table compiled per subnet, every NSG checked). It
// reports each phase and the ratio of the whole to a plain encoding/json
// decode of the same bytes into any, measured in the same run. Run with
// -cpu 1 for the one-core figure.
func BenchmarkMergeValidate(b *testing.B) {
	data := bigARM(b)
	tags, err := servicetag.Default()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var parse, build, validate, decode time.Duration
	for b.Loop() {
		t0 := time.Now()
		rs, err := arm.ParseKeepDuplicates("big.json", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		m, err := topology.FromARM(rs)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := m.Validate(tags); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
		parse, build, validate, decode = parse+t1.Sub(t0), build+t2.Sub(t1), validate+t3.Sub(t2), decode+time.Since(t3)
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / n }
	b.ReportMetric(ms(parse), "ms-parse")
	b.ReportMetric(ms(build), "ms-build+merge")
	b.ReportMetric(ms(validate), "ms-validate")
	b.ReportMetric(ms(parse+build+validate), "ms-load")
	b.ReportMetric(ms(decode), "ms-json-decode")
	b.ReportMetric(float64(parse+build+validate)/float64(decode), "x-json-decode")
}
