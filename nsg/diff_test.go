package nsg_test

import (
	"slices"
	"testing"

	"github.com/egresslab/egress/nsg"
)

// TestDifferential holds the compiled classifier equal to the reference
// evaluator (internal/nsgref) on seeded random NIC worlds — NIC NSG,
// subnet NSG and admin rules each present or not, up to 1,000 rules per NSG —
// and random flows.
func TestDifferential(t *testing.T) {
	worlds, flows, maxRules := 400, 5000, 1000
	if testing.Short() {
		worlds, flows, maxRules = 40, 1500, 300
	}
	differential(t, newGen(1, 300), worlds, flows, maxRules)
}

// TestDifferentialRealTags is TestDifferential with the real service tags of
// servicetag.Default() (the embedded ServiceTags_Public_20251109.json), from
// Storage.EastUS (124 prefixes) up to AzureCloud (13,155) in full mode.
func TestDifferentialRealTags(t *testing.T) {
	worlds, flows, maxRules := 60, 4000, 1000
	names := benchTagNames
	if testing.Short() {
		worlds, flows, maxRules = 8, 1000, 200
		names = []string{"Storage.EastUS", "AzureActiveDirectory", "AzureCloud.eastus", "Storage", "Sql"}
	}
	g := newGen(2, 10)
	g.tags = realTags(names)
	differential(t, g, worlds, flows, maxRules)
}

// TestDifferentialCache is TestDifferentialRealTags with each world's NIC
// NSG, subnet NSG and admin rules compiled with one shared nsg.Cache: groups
// that share tag expansions and address partitions classify as the
// reference does.
func TestDifferentialCache(t *testing.T) {
	worlds, flows, maxRules := 60, 4000, 1000
	names := benchTagNames
	if testing.Short() {
		worlds, flows, maxRules = 8, 1000, 200
		names = []string{"Storage.EastUS", "AzureActiveDirectory", "AzureCloud.eastus", "Storage", "Sql"}
	}
	g := newGen(3, 10)
	g.tags = realTags(names)
	g.cache, g.pair = true, true
	differential(t, g, worlds, flows, maxRules)
}

func differential(t *testing.T, g *gen, worlds, flows, maxRules int) {
	total, fasts := 0, 0
	for wi := range worlds {
		mr := maxRules
		if wi%4 != 0 {
			mr = 60 // most worlds are small, so flows hit interesting rules
		}
		w, err := g.world(mr)
		if err != nil {
			t.Fatalf("world %d: %v", wi, err)
		}
		bad := 0
		for range flows {
			f := g.flow()
			v, fast := nsg.VerdictPath(w.cls, f)
			got := w.names(f, v)
			want := w.ref.Evaluate(f)
			total++
			if fast {
				fasts++
			}
			if ai := slices.Index(w.nic.Addrs, f.Src); ai >= 0 && f.Direction == nsg.Outbound {
				// The scalar entry point answers as Verdict does, on any path.
				if out := w.cls.Outbound(ai, f.Dst, f.Proto, f.SrcPort, f.DstPort); out != v {
					t.Fatalf("world %d: Outbound(%d, %v, %v, %d, %d) = %+v, Verdict(%+v) = %+v", wi, ai, f.Dst, f.Proto, f.SrcPort, f.DstPort, out, f, v)
				}
				// And so does the flattened OutPath.
				if o := w.cls.OutPath(ai); o.Verdict(f.Dst, f.Proto, f.SrcPort, f.DstPort) != v {
					t.Fatalf("world %d: OutPath(%d).Verdict(%v, %v, %d, %d) = %+v, Verdict(%+v) = %+v", wi, ai, f.Dst, f.Proto, f.SrcPort, f.DstPort, o.Verdict(f.Dst, f.Proto, f.SrcPort, f.DstPort), f, v)
				}
			}
			if got != want || fast != w.wantFast(f) || v != nsg.VerdictStaged(w.cls, f) {
				bad++
				if bad <= 3 {
					t.Errorf("world %d: Verdict(%+v) = %+v (unrolled path %v, want %v; staged %+v)\n got %v\nwant %v",
						wi, f, v, fast, w.wantFast(f), nsg.VerdictStaged(w.cls, f), got, want)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("world %d: %d disagreements", wi, bad)
		}
	}
	t.Logf("%d flows (%d on the unrolled outbound path), 0 disagreements", total, fasts)
}

// wantFast reports whether Verdict should answer f on its unrolled outbound
// path: an outbound flow from one of the NIC's addresses, not platform
// traffic, of a NIC with at least one NSG.
func (w *world) wantFast(f nsg.Flow) bool {
	dst := f.Dst.Unmap()
	return (w.nic.NSG != nil || w.nic.SubnetNSG != nil) && f.Direction == nsg.Outbound &&
		slices.Contains(w.cls.NIC().Addrs, f.Src.Unmap()) && dst != nsg.HostIP && dst != nsg.IMDSIP
}
