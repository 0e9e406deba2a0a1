package demand_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/demand"
	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/internal/benchl"
)

// genLog returns one VNet flow log blob of conns connections from a few
// sources to a few destinations, each a B, 0 to 3 Cs and an E (one in 8
// never closed), in records of 1000 tuples, and its number of tuples.
func genLog(r *rand.Rand, conns int) ([]byte, int) {
	var tuples []string
	t0 := int64(1746352800000)
	for i := range conns {
		src := fmt.Sprintf("10.1.%d.%d", r.IntN(4), 4+r.IntN(8))
		dst := fmt.Sprintf("52.%d.%d.%d:%d", r.IntN(2), r.IntN(4), r.IntN(8), []int{443, 80, 53}[r.IntN(3)])
		host, port, _ := bytes.Cut([]byte(dst), []byte(":"))
		from := t0 + int64(r.IntN(3_600_000))
		sport := 1024 + i%60000
		add := func(t int64, st string) {
			tuples = append(tuples, fmt.Sprintf("%d,%s,%s,%d,%s,6,O,%s,NX,1,100,1,100", t, src, host, sport, port, st))
		}
		add(from, "B")
		for c := range r.IntN(4) {
			add(from+int64(c+1)*300_000, "C")
		}
		if r.IntN(8) != 0 {
			add(from+int64(r.IntN(1_500_000)), "E")
		}
	}
	r.Shuffle(len(tuples), func(i, j int) { tuples[i], tuples[j] = tuples[j], tuples[i] })
	var b bytes.Buffer
	b.WriteString(`{"records": [`)
	for rec := 0; rec*1000 < len(tuples); rec++ {
		if rec > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": "0022480ABCDE", "category": "FlowLogFlowEvent", "flowRecords": {"flows": [{"aclID": "acl", "flowGroups": [{"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": [`)
		for j, tu := range tuples[rec*1000 : min(len(tuples), rec*1000+1000)] {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%q", tu)
		}
		b.WriteString(`]}]}]}}`)
	}
	b.WriteString("]}\n")
	return b.Bytes(), len(tuples)
}

// estimateBytes reads data with r into a fresh estimator and returns it.
func estimateBytes(tb testing.TB, r *flowlog.Reader, rd *bytes.Reader, data []byte) *demand.Estimator {
	e, err := demand.NewEstimator(demand.Options{})
	require.NoError(tb, err)
	rd.Reset(data)
	r.Reset("gen.json", rd)
	for r.Next() {
		e.Add(r.Flow())
	}
	require.NoError(tb, r.Err())
	return e
}

// Reading a log into an estimator allocates per connection (map and slice
// growth, amortized), not per tuple.
func TestEstimateAllocs(t *testing.T) {
	data, total := genLog(rand.New(rand.NewPCG(2, 2)), 5000)
	r, rd := flowlog.NewReader("gen.json", bytes.NewReader(data)), bytes.NewReader(data)
	estimateBytes(t, r, rd, data) // warm the reader's buffers
	allocs := testing.AllocsPerRun(3, func() { estimateBytes(t, r, rd, data) })
	assert.Less(t, allocs/float64(total), 0.01, "%v allocations for %d tuples", allocs, total)
}

func BenchmarkEstimator(b *testing.B) {
	data, total := genLog(rand.New(rand.NewPCG(1, 1)), 20000)
	b.Run("baseline=encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			var v any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "tuples/s")
	})
	r, rd := flowlog.NewReader("gen.json", bytes.NewReader(data)), bytes.NewReader(data)
	b.Run("reader", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			rd.Reset(data)
			r.Reset("gen.json", rd)
			for r.Next() {
			}
		}
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "tuples/s")
	})
	b.Run("reader+estimator", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			estimateBytes(b, r, rd, data)
		}
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "tuples/s")
		b.ReportMetric(testing.AllocsPerRun(1, func() { estimateBytes(b, r, rd, data) })/float64(total), "allocs/tuple")
	})
	b.Run("reader+estimator+peaks", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			estimateBytes(b, r, rd, data).Peaks()
		}
		b.ReportMetric(float64(total)*float64(b.N)/b.Elapsed().Seconds(), "tuples/s")
	})
	// The ratio to the encoding/json decode of the same bytes, measured
	// interleaved (benchl.Ratio), so that a shared machine's drift cancels.
	b.Run("ratio-to-encoding-json", func(b *testing.B) {
		for b.Loop() {
		}
		decode := func(int) {
			var v any
			_ = json.Unmarshal(data, &v)
		}
		b.ReportMetric(benchl.Ratio(1, func(int) { estimateBytes(b, r, rd, data).Peaks() }, decode), "x-json")
	})
	// The hot path: a C tuple of a known connection, in units of L (one
	// bart lookup, benchl.Hot).
	b.Run("add-known-C", func(b *testing.B) {
		e := estimateBytes(b, r, rd, data)
		var cs []flowlog.Flow
		rd.Reset(data)
		r.Reset("gen.json", rd)
		for r.Next() {
			if f := r.Flow(); f.State == flowlog.Continuing {
				cs = append(cs, *f)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			e.Add(&cs[i%len(cs)])
			i++
		}
		b.ReportMetric(benchl.Ratio(20000, func(i int) { e.Add(&cs[i%len(cs)]) }, benchl.Hot), "x-L")
	})
}

func BenchmarkPeaks(b *testing.B) {
	data, _ := genLog(rand.New(rand.NewPCG(1, 1)), 20000)
	r, rd := flowlog.NewReader("gen.json", bytes.NewReader(data)), bytes.NewReader(data)
	e := estimateBytes(b, r, rd, data)
	b.ReportAllocs()
	for b.Loop() {
		e.Peaks()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(e.Stats().Connections), "ns/connection")
}
