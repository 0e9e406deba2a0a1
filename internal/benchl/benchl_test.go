package benchl

import (
	"net/netip"
	"testing"
)

// TestTable: 400 prefixes plus the default route, probes that land in a
// prefix other than 0.0.0.0/0, and a hot address that is the first probe.
func TestTable(t *testing.T) {
	tbl, inside := Table()
	if tbl.Size() != 401 {
		t.Fatalf("table has %d prefixes, want 401", tbl.Size())
	}
	if len(inside) != NumProbes || len(Random()) != NumProbes {
		t.Fatalf("%d inside and %d random probes, want %d each", len(inside), len(Random()), NumProbes)
	}
	for _, a := range inside {
		if p, _, ok := tbl.LookupPrefixLPM(netip.PrefixFrom(a, 32)); !ok || p.Bits() == 0 {
			t.Fatalf("probe %v matches %v, want a prefix of the 400", a, p)
		}
	}
	calls := 0
	if r := Ratio(3, func(int) { calls++ }, Hot); r < 0 || calls != 3*41 {
		t.Fatalf("Ratio ran the target %d times (ratio %v), want %d", calls, r, 3*41)
	}
}

// TestChaseIsOneCycle: the chase visits every slot before it returns, so
// that a run of loads walks 16 MiB, not a short loop that fits a cache.
func TestChaseIsOneCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("walks 4 million slots")
	}
	Chase(0)
	start := chase.at
	n := 1
	for Chase(0); chase.at != start; Chase(0) {
		n++
	}
	if n != chaseLen {
		t.Fatalf("cycle of %d slots, want %d", n, chaseLen)
	}
}

// BenchmarkM is M, and L_rand in M.
func BenchmarkM(b *testing.B) {
	Chase(0)
	for b.Loop() {
		Chase(0)
	}
	b.ReportMetric(Ratio(20000, Rand, Chase), "L_rand-in-M")
}
