package nsg_test

import (
	"slices"
	"testing"

	"github.com/egresslab/egress/nsg"
)

// checkMatching holds Classifier.Matching equal to the reference's
// Matching (every rule whose conditions hold, per stage, reached or not)
// and consistent with Verdict: at every stage the evaluation reaches, the
// first matching rule is the one the verdict records, and none matches
// where the verdict records none.
func checkMatching(t *testing.T, w *world, f nsg.Flow, v nsg.Verdict) {
	t.Helper()
	var got [3][]string
	first := [3]int{-1, -1, -1}
	w.cls.Matching(f, func(st nsg.Stage, i int) {
		ri := w.cls.Group(st).Rule(f.Direction, i)
		name := ri.Name
		if ri.Admin {
			name = ri.Collection + "/" + ri.Name
		}
		got[st] = append(got[st], name)
		if first[st] < 0 {
			first[st] = i
		}
	})
	want := w.ref.Matching(f)
	for st := range got {
		if !slices.Equal(got[st], want[st]) {
			t.Fatalf("Matching(%+v) stage %v:\n got %q\nwant %q", f, nsg.Stage(st), got[st], want[st])
		}
	}
	if !f.Direction.IsValid() {
		return
	}
	order := []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet}
	if f.Direction == nsg.Inbound {
		order = []nsg.Stage{nsg.StageAdmin, nsg.StageSubnet, nsg.StageNIC}
	}
	for _, st := range order {
		if w.cls.Group(st) == nil {
			continue
		}
		if r := int(v.Rules.At(st)); r != first[st] {
			t.Fatalf("Verdict(%+v) = %+v records rule %d at stage %v; Matching's first is %d", f, v, r, st, first[st])
		}
		if r := v.Rules.At(st); r >= 0 {
			if a := w.cls.Group(st).Rule(f.Direction, int(r)).Access; a == nsg.Deny || a == nsg.AlwaysAllow {
				break // the later stages are not reached
			}
		}
	}
}

// TestMatching: Matching against the reference on random worlds (NIC NSG,
// subnet NSG and admin rules each present or not) and flows, and Matching
// allocates nothing.
func TestMatching(t *testing.T) {
	worlds, flows := 200, 2000
	if testing.Short() {
		worlds, flows = 30, 500
	}
	g := newGen(21, 100)
	for wi := range worlds {
		mr := 300
		if wi%4 != 0 {
			mr = 40
		}
		w, err := g.world(mr)
		if err != nil {
			t.Fatalf("world %d: %v", wi, err)
		}
		for range flows {
			f := g.flow()
			checkMatching(t, w, f, w.cls.Verdict(f))
		}
	}
	w, err := g.world(200)
	if err != nil {
		t.Fatal(err)
	}
	fs := make([]nsg.Flow, 64)
	for i := range fs {
		fs[i] = g.flow()
	}
	n := 0
	if a := testing.AllocsPerRun(100, func() {
		for _, f := range fs {
			w.cls.Matching(f, func(nsg.Stage, int) { n++ })
		}
	}); a != 0 {
		t.Errorf("Matching allocates %v times per 64 flows", a)
	}
}
