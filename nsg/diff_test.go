package nsg_test

import (
	"testing"
)

// TestDifferential holds the compiled classifier equal to the reference
// evaluator (nsg/internal/nsgref) on seeded random NIC worlds — NIC NSG,
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

func differential(t *testing.T, g *gen, worlds, flows, maxRules int) {
	total := 0
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
			got := w.names(f, w.cls.Verdict(f))
			want := w.ref.Evaluate(f)
			total++
			if got != want {
				bad++
				if bad <= 3 {
					t.Errorf("world %d: Verdict(%+v)\n got %v\nwant %v", wi, f, got, want)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("world %d: %d disagreements", wi, bad)
		}
	}
	t.Logf("%d flows, 0 disagreements", total)
}
