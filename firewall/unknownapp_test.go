package firewall_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
)

// An application rule whose targets or sources are partly unknown (a
// Terraform plan's values known after apply) decides where its known
// values match, and may match any other name, or source: a verdict it
// could change is flagged FlagUnknown. The engine and the reference agree
// on each flow, and allocate nothing.
func TestApplicationRuleValuesUnknown(t *testing.T) {
	targets := appRule("targets", "known.example.com")
	targets.TargetsUnknown = true
	srcs := appRule("srcs", "*.partner.example")
	srcs.SourceAddresses, srcs.SourcesUnknown = ss("10.0.0.4"), true
	dsts := appRule("dsts", "*.dst.example")
	dsts.DestinationAddresses, dsts.DestinationsUnknown = ss("52.1.2.4"), true
	p := policy(group("g", 100,
		appColl("deny", 100, firewall.Deny, targets, srcs, dsts),
		appColl("allow", 200, firewall.Allow, appRule("web", "*"))))
	e := compile(t, p, firewall.Resolvers{})
	ref, err := fwref.New(p, firewall.Resolvers{})
	if !assert.NoError(t, err) {
		return
	}
	for _, c := range []struct {
		f       firewall.Flow
		action  firewall.Action
		unknown bool
		rule    string
	}{
		{httpsFlow("10.0.0.5", "52.1.2.3", "known.example.com"), firewall.Deny, false, "pol/g/deny/targets"}, // its known target
		{httpsFlow("10.0.0.5", "52.1.2.3", "other.example.org"), firewall.Allow, true, "pol/g/allow/web"},    // targets may name it
		{httpsFlow("10.0.0.4", "52.1.2.3", "a.partner.example"), firewall.Deny, false, "pol/g/deny/srcs"},    // srcs: its known source
		{httpsFlow("10.0.0.5", "52.1.2.3", "a.partner.example"), firewall.Allow, true, "pol/g/allow/web"},    // srcs: another source may be denied
		{httpsFlow("10.0.0.5", "52.1.2.4", "a.dst.example"), firewall.Deny, false, "pol/g/deny/dsts"},        // dsts: its known destination
		{httpsFlow("10.0.0.5", "52.1.2.3", "a.dst.example"), firewall.Allow, true, "pol/g/allow/web"},        // dsts: another may be denied
		{tcpFlow("10.0.0.5", "52.1.2.3", 443), firewall.Deny, false, ""},                                     // no application flow
	} {
		v := e.Evaluate(c.f)
		assert.Equal(t, c.action, v.Action, "%+v", c.f)
		assert.Equal(t, c.unknown, v.Flags&firewall.FlagUnknown != 0, "%+v: %v", c.f, v.Flags)
		assert.Equal(t, c.rule, ruleName(e, v), "%+v", c.f)
		assert.Zero(t, testing.AllocsPerRun(100, func() { v = e.Evaluate(c.f) }), "%+v", c.f)
		r := ref.Evaluate(c.f)
		assert.Equal(t, v.Action, r.Action, "reference %+v", c.f)
		assert.Equal(t, v.Flags, r.Flags, "reference %+v", c.f)
	}
	none := firewall.ApplicationRule{Name: "none", Protocols: targets.Protocols, SourcesUnknown: true, TargetsUnknown: true}
	_, err = firewall.Compile(policy(group("g", 100, appColl("c", 100, firewall.Deny, none))), firewall.Resolvers{})
	assert.NoError(t, err, "no known source or target is needed when they are unknown")
	none.SourcesUnknown, none.TargetsUnknown = false, false
	_, err = firewall.Compile(policy(group("g", 100, appColl("c", 100, firewall.Deny, none))), firewall.Resolvers{})
	assert.ErrorContains(t, err, "sourceAddresses")
	assert.ErrorContains(t, err, "targetFqdns")
}

// The widening against its slow twin: in random policies, every
// application rule with unknown targets or sources (or a third of them,
// made so) is given, in each world, the flow's own name and source or
// others: a verdict the engine gives without FlagUnknown must be the
// verdict of every world that decides the flow itself.
func TestApplicationRuleValuesUnknownSound(t *testing.T) {
	policies, flows := 120, 60
	if testing.Short() {
		policies = 30
	}
	var checked, unknown int
	for seed := range uint64(policies) {
		g := newGen(seed + 4000)
		p := g.policy(int(seed%40) + 5)
		if p.Parent != nil {
			continue
		}
		type loc struct{ gi, ci, ri int }
		var widened []loc
		for gi := range p.RuleCollectionGroups {
			for ci := range p.RuleCollectionGroups[gi].RuleCollections {
				for ri := range p.RuleCollectionGroups[gi].RuleCollections[ci].ApplicationRules {
					r := &p.RuleCollectionGroups[gi].RuleCollections[ci].ApplicationRules[ri]
					if ri%3 == 0 {
						r.TargetsUnknown = ri/3%3 == 0
						r.SourcesUnknown = ri/3%3 == 1
						r.DestinationsUnknown = ri/3%3 == 2
					}
					if (r.TargetsUnknown || r.SourcesUnknown || r.DestinationsUnknown) && len(r.WebCategories)+len(r.FqdnTags) == 0 && !r.ProtocolsUnknown {
						widened = append(widened, loc{gi, ci, ri})
					}
				}
			}
		}
		e, err := firewall.Compile(p, g.res)
		if len(widened) == 0 || err != nil {
			continue
		}
		rnd := rand.New(rand.NewPCG(seed, 9))
		for range flows {
			f := g.flow()
			if !f.Dst.Unmap().Is4() || !f.Src.Unmap().Is4() || f.App == firewall.AppNone {
				continue
			}
			v := e.Evaluate(f)
			if v.Flags&firewall.FlagUnknown != 0 {
				unknown++
				continue
			}
			name := strings.TrimSuffix(f.Name, ".")
			for world := range 4 {
				in := func() bool { return world == 0 || world > 1 && rnd.IntN(2) == 0 }
				w := clonePolicy(p)
				ok := true
				for _, l := range widened {
					r := &w.RuleCollectionGroups[l.gi].RuleCollections[l.ci].ApplicationRules[l.ri]
					if r.SourcesUnknown {
						r.SourcesUnknown = false
						if in() {
							r.SourceAddresses = append(slices.Clone(r.SourceAddresses), f.Src.Unmap().String())
						} else if len(r.SourceAddresses)+len(r.SourceIPGroups) == 0 {
							r.SourceAddresses = []string{"192.0.2.1"}
							ok = ok && f.Src.Unmap().String() != "192.0.2.1"
						}
					}
					if r.DestinationsUnknown {
						r.DestinationsUnknown = false
						if in() {
							r.DestinationAddresses = append(slices.Clone(r.DestinationAddresses), f.Dst.Unmap().String())
						} else if len(r.DestinationAddresses) == 0 {
							r.DestinationAddresses = []string{"192.0.2.1"}
							ok = ok && f.Dst.Unmap().String() != "192.0.2.1"
						}
					}
					if r.TargetsUnknown {
						r.TargetsUnknown = false
						if in() && name != "" {
							r.TargetFqdns = append(slices.Clone(r.TargetFqdns), name)
						} else if len(r.TargetFqdns)+len(r.TargetURLs) == 0 {
							r.TargetFqdns = []string{"no-flow-names-this.invalid"}
						}
					}
				}
				we, err := firewall.Compile(w, g.res)
				if !ok || err != nil {
					continue // a name no pattern allows, say
				}
				wv := we.Evaluate(f)
				if wv.Flags&firewall.FlagUnknown != 0 {
					continue
				}
				checked++
				assert.Equal(t, wv.Action, v.Action, "seed %d flow %+v world %d", seed, f, world)
			}
		}
	}
	assert.Positive(t, checked, "some verdicts are checked")
	assert.Positive(t, unknown, "some are Unknown")
}
