package firewall_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/firewall/internal/fwref"
)

// TestDifferential holds the compiled engine equal to the reference
// evaluator (firewall/internal/fwref) on seeded random policies — parent
// and child, DNAT, network and application rules, service tags, IP groups,
// DNS-resolved FQDNs, FQDN tags, URLs and web categories, up to 1,500 rules
// — and random flows, including application-layer names and paths.
func TestDifferential(t *testing.T) {
	policies, flows, maxRules := 200, 4000, 1500
	if testing.Short() {
		policies, flows, maxRules = 40, 1500, 400
	}
	total := 0
	stats := map[string]int{}
	for pi := range policies {
		g := newGen(uint64(pi + 1))
		n := 1 + g.r.IntN(60)
		if pi%4 == 0 {
			n = maxRules/2 + g.r.IntN(maxRules/2)
		}
		p := g.policy(n)
		e, err := firewall.Compile(p, g.res)
		require.NoError(t, err, "policy %d", pi)
		ref, err := fwref.New(p, g.res)
		require.NoError(t, err, "policy %d", pi)
		bad := 0
		for range flows {
			f := g.flow()
			got, want := result(e, e.Evaluate(f)), ref.Evaluate(f)
			total++
			stats[want.Reason.String()+"/"+want.Action.String()+"/"+want.Flags.String()]++
			if got != want {
				bad++
				if bad <= 3 {
					t.Errorf("policy %d (%d rules): Evaluate(%+v)\n got %v\nwant %v", pi, e.Len(), f, got, want)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("policy %d: %d disagreements", pi, bad)
		}
	}
	t.Logf("%d flows, 0 disagreements; outcomes %v", total, stats)
}
