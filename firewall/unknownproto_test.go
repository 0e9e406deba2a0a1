package firewall_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
)

// An application rule whose protocols are unknown (a Terraform plan's
// protocols known after apply) matches every application protocol and
// port 1..64000 (ARM FirewallPolicyRuleApplicationProtocol's limit) and
// never decides: a verdict it could change is flagged FlagUnknown, one it
// could not (same action, another name, a port past 64000) is not. The
// engine and the reference agree on each flow.
func TestApplicationRuleProtocolsUnknown(t *testing.T) {
	maybeDeny := appRule("maybe-deny", "*.example.com")
	maybeDeny.Protocols, maybeDeny.ProtocolsUnknown = nil, true
	maybeAllow := appRule("maybe-allow", "db.internal.example")
	maybeAllow.Protocols, maybeAllow.ProtocolsUnknown = nil, true
	p := policy(group("g", 100,
		appColl("deny", 100, firewall.Deny, maybeDeny),
		appColl("allow", 200, firewall.Allow, appRule("web", "*"), maybeAllow)))
	e := compile(t, p, firewall.Resolvers{})
	ref, err := fwref.New(p, firewall.Resolvers{})
	if !assert.NoError(t, err) {
		return
	}
	flow := func(app firewall.AppProtocolType, port uint16, name string) firewall.Flow {
		f := tcpFlow("10.0.0.4", "52.1.2.3", port)
		f.App, f.Name = app, name
		return f
	}
	for _, c := range []struct {
		f       firewall.Flow
		action  firewall.Action
		unknown bool
		rule    string
	}{
		{flow(firewall.AppHTTPS, 443, "a.example.com"), firewall.Allow, true, "pol/g/allow/web"},        // maybe-deny could deny it
		{flow(firewall.AppHTTPS, 443, "other.org"), firewall.Allow, false, "pol/g/allow/web"},           // maybe-deny names another server
		{flow(firewall.AppMSSQL, 1433, "a.example.com"), firewall.Deny, false, ""},                      // only maybe-deny could match: a Deny either way
		{flow(firewall.AppMSSQL, 1433, "db.internal.example"), firewall.Deny, true, ""},                 // maybe-allow could allow it
		{flow(firewall.AppMSSQL, 64001, "db.internal.example"), firewall.Deny, false, ""},               // no application rule takes that port
		{flow(firewall.AppHTTP, 8080, "db.internal.example"), firewall.Deny, true, ""},                  // every protocol
		{flow(firewall.AppNone, 8080, "db.internal.example"), firewall.Deny, false, ""},                 // not an application flow
		{flow(firewall.AppHTTPS, 443, "db.internal.example"), firewall.Allow, false, "pol/g/allow/web"}, // web decides first
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
	// Its spaces: every port of the application rules.
	assert.Equal(t, [][2]uint16{{1, firewall.MaxAppPort}}, e.AppDestinationSpaces()[0].Ports)
}

// The widening against its slow twin: in random policies, every
// application rule whose protocols are unknown is given, in turn, the
// flow's own protocol and port (it matches) and another one (it does not):
// a verdict the engine gives without FlagUnknown must be the verdict of
// both worlds (where they are decided themselves).
func TestApplicationRuleProtocolsUnknownSound(t *testing.T) {
	policies, flows := 120, 60
	if testing.Short() {
		policies = 30
	}
	var checked, unknown int
	for seed := range uint64(policies) {
		g := newGen(seed + 1000)
		p := g.policy(int(seed%40) + 5)
		type loc struct{ gi, ci, ri int }
		var widened []loc
		for gi := range p.RuleCollectionGroups {
			for ci := range p.RuleCollectionGroups[gi].RuleCollections {
				for ri := range p.RuleCollectionGroups[gi].RuleCollections[ci].ApplicationRules {
					if r := &p.RuleCollectionGroups[gi].RuleCollections[ci].ApplicationRules[ri]; r.ProtocolsUnknown || ri%3 == 0 {
						r.ProtocolsUnknown = true
						widened = append(widened, loc{gi, ci, ri})
					}
				}
			}
		}
		if len(widened) == 0 || p.Parent != nil {
			continue
		}
		e, err := firewall.Compile(p, g.res)
		if err != nil {
			continue
		}
		for range flows {
			f := g.flow()
			v := e.Evaluate(f)
			if v.Flags&firewall.FlagUnknown != 0 {
				unknown++
				continue
			}
			for _, protos := range [][]firewall.AppProtocol{{{Type: f.App, Port: int(f.DstPort)}}, {{Type: firewall.AppMSSQL, Port: 64000}}} {
				if !protos[0].Type.IsValid() || protos[0].Port < 1 || protos[0].Port > firewall.MaxAppPort {
					continue
				}
				w := clonePolicy(p)
				for _, l := range widened {
					r := &w.RuleCollectionGroups[l.gi].RuleCollections[l.ci].ApplicationRules[l.ri]
					r.ProtocolsUnknown, r.Protocols = false, protos
				}
				we, err := firewall.Compile(w, g.res)
				if err != nil {
					t.Fatalf("the world does not compile: %v", err)
				}
				wv := we.Evaluate(f)
				if wv.Flags&firewall.FlagUnknown != 0 {
					continue
				}
				checked++
				assert.Equal(t, wv.Action, v.Action, "seed %d flow %+v protocols %v", seed, f, protos)
			}
		}
	}
	assert.Positive(t, checked, "some verdicts are checked")
	assert.Positive(t, unknown, "some are Unknown")
}

// clonePolicy copies p's groups, collections and rules deeply enough to
// set the rules' fields (not to append to their slices in place).
func clonePolicy(p *firewall.Policy) *firewall.Policy {
	c := *p
	c.RuleCollectionGroups = slices.Clone(p.RuleCollectionGroups)
	for gi := range c.RuleCollectionGroups {
		g := &c.RuleCollectionGroups[gi]
		g.RuleCollections = slices.Clone(g.RuleCollections)
		for ci := range g.RuleCollections {
			g.RuleCollections[ci].ApplicationRules = slices.Clone(g.RuleCollections[ci].ApplicationRules)
			g.RuleCollections[ci].NetworkRules = slices.Clone(g.RuleCollections[ci].NetworkRules)
			g.RuleCollections[ci].NatRules = slices.Clone(g.RuleCollections[ci].NatRules)
		}
	}
	return &c
}

// A network rule whose destinations are partly unknown (a Terraform plan's
// destination_addresses with a value known after apply) matches its known
// ones and may match any other: a verdict given without FlagUnknown is the
// one of both worlds, the unknown destination being the flow's or not.
func TestNetworkRuleDestinationsUnknownSound(t *testing.T) {
	policies, flows := 120, 60
	if testing.Short() {
		policies = 30
	}
	var checked, unknown int
	for seed := range uint64(policies) {
		g := newGen(seed + 2000)
		p := g.policy(int(seed%40) + 5)
		if p.Parent != nil {
			continue
		}
		type loc struct{ gi, ci, ri int }
		var widened []loc
		for gi := range p.RuleCollectionGroups {
			for ci := range p.RuleCollectionGroups[gi].RuleCollections {
				for ri := range p.RuleCollectionGroups[gi].RuleCollections[ci].NetworkRules {
					if r := &p.RuleCollectionGroups[gi].RuleCollections[ci].NetworkRules[ri]; r.DestinationsUnknown || ri%3 == 0 {
						r.DestinationsUnknown = true
						widened = append(widened, loc{gi, ci, ri})
					}
				}
			}
		}
		e, err := firewall.Compile(p, g.res)
		if len(widened) == 0 || err != nil {
			continue
		}
		for range flows {
			f := g.flow()
			if !f.Dst.Unmap().Is4() {
				continue
			}
			v := e.Evaluate(f)
			if v.Flags&firewall.FlagUnknown != 0 {
				unknown++
				continue
			}
			for _, extra := range [][]string{{f.Dst.Unmap().String()}, nil} {
				w := clonePolicy(p)
				for _, l := range widened {
					r := &w.RuleCollectionGroups[l.gi].RuleCollections[l.ci].NetworkRules[l.ri]
					r.DestinationsUnknown = false
					r.DestinationAddresses = append(slices.Clone(r.DestinationAddresses), extra...)
					if len(r.DestinationAddresses)+len(r.DestinationIPGroups)+len(r.DestinationFqdns) == 0 {
						r.DestinationAddresses = []string{"192.0.2.1"} // a destination no flow has
					}
				}
				we, err := firewall.Compile(w, g.res)
				if err != nil {
					t.Fatalf("the world does not compile: %v", err)
				}
				wv := we.Evaluate(f)
				if wv.Flags&firewall.FlagUnknown != 0 {
					continue
				}
				checked++
				assert.Equal(t, wv.Action, v.Action, "seed %d flow %+v extra %v", seed, f, extra)
			}
		}
	}
	assert.Positive(t, checked, "some verdicts are checked")
	assert.Positive(t, unknown, "some are Unknown")
}

// The engine and the reference agree on a rule with unknown destinations,
// and a known destination still decides.
func TestNetworkRuleDestinationsUnknown(t *testing.T) {
	maybe := netRule("maybe", tcp, star, ss("52.1.2.3"), ss("443"))
	maybe.DestinationsUnknown = true
	p := policy(group("g", 100, netColl("deny", 100, firewall.Deny, maybe), netColl("allow", 200, firewall.Allow, netRule("web", tcp, star, star, ss("443", "80")))))
	e := compile(t, p, firewall.Resolvers{})
	ref, err := fwref.New(p, firewall.Resolvers{})
	if !assert.NoError(t, err) {
		return
	}
	for _, c := range []struct {
		f       firewall.Flow
		action  firewall.Action
		unknown bool
	}{
		{tcpFlow("10.0.0.4", "52.1.2.3", 443), firewall.Deny, false}, // its known destination
		{tcpFlow("10.0.0.4", "52.9.9.9", 443), firewall.Allow, true}, // it may deny it
		{tcpFlow("10.0.0.4", "52.9.9.9", 80), firewall.Allow, false}, // another port
	} {
		v := e.Evaluate(c.f)
		assert.Equal(t, c.action, v.Action, "%+v", c.f)
		assert.Equal(t, c.unknown, v.Flags&firewall.FlagUnknown != 0, "%+v", c.f)
		assert.Zero(t, testing.AllocsPerRun(100, func() { v = e.Evaluate(c.f) }))
		r := ref.Evaluate(c.f)
		assert.Equal(t, v.Action, r.Action)
		assert.Equal(t, v.Flags, r.Flags)
	}
	assert.True(t, e.DestinationSpaces()[0].Unresolved)
}
