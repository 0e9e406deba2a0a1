package arm

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchData []byte
)

// bigExport returns a Resource Graph-shaped export of 10,000 resources (2,500
// each of the four resources in testdata/arm-array.json, renamed), indented
// as az prints it: about 25 MB.
func bigExport(tb testing.TB) []byte {
	benchOnce.Do(func() {
		base, err := os.ReadFile("testdata/arm-array.json")
		if err != nil {
			tb.Fatal(err)
		}
		var rs []map[string]any
		if err := json.Unmarshal(base, &rs); err != nil {
			tb.Fatal(err)
		}
		var all []json.RawMessage
		for i := range 2500 {
			for _, r := range rs {
				b, _ := json.Marshal(r)
				s := strings.NewReplacer("vnet1", "vnet"+strconv.Itoa(i), "nsg-app", "nsg"+strconv.Itoa(i), "rt-app", "rt"+strconv.Itoa(i), "nic-app", "nic"+strconv.Itoa(i)).Replace(string(b))
				all = append(all, json.RawMessage(s))
			}
		}
		out, _ := json.MarshalIndent(map[string]any{"count": len(all), "data": all}, "", "  ")
		benchData = out
	})
	return benchData
}

func BenchmarkParse(b *testing.B) {
	data := bigExport(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Parse("big.json", bytes.NewReader(data))
		if err != nil || len(res) != 10000 {
			b.Fatal(len(res), err)
		}
	}
}

// BenchmarkParseValue is the JSON reader alone: the same file as a tree of
// positioned Values, without finding its resources.
func BenchmarkParseValue(b *testing.B) {
	data := bigExport(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseValue("big.json", bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBaseline is encoding/json decoding the same file into any
// (no positions, no checks), for comparison.
func BenchmarkParseBaseline(b *testing.B) {
	data := bigExport(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBigExport(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	res, err := Parse("big.json", bytes.NewReader(bigExport(t)))
	if err != nil || len(res) != 10000 {
		t.Fatal(len(res), err)
	}
}
