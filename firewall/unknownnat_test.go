package firewall_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// A DNAT rule with values unknown offline (a Terraform plan's) never
// translates confidently: where only an unknown value could match it, the
// verdict after it is Unknown; where its known values match, it translates
// (Unknown if the translation itself is unknown).
func TestNatRuleValuesUnknown(t *testing.T) {
	dst := firewall.NatRule{Name: "dst", IPProtocols: tcp, SourceAddresses: star, DestinationAddresses: ss("20.0.0.1"),
		DestinationPorts: ss("443"), TranslatedAddress: "10.0.0.9", TranslatedPort: "8443", DestinationsUnknown: true}
	xlate := firewall.NatRule{Name: "xlate", IPProtocols: tcp, SourceAddresses: star, DestinationAddresses: ss("20.0.0.2"),
		DestinationPorts: ss("22"), TranslatedUnknown: true}
	p := policy(group("g", 100, natColl("nat", 100, dst, xlate),
		netColl("allow", 200, firewall.Allow, netRule("web", anyP, star, star, star))))
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
		{tcpFlow("52.9.9.9", "20.0.0.1", 443), firewall.DNAT, false},   // dst: its known address
		{tcpFlow("52.9.9.9", "20.0.0.3", 443), firewall.Allow, true},   // dst: the unknown address may be it
		{tcpFlow("52.9.9.9", "20.0.0.3", 80), firewall.Allow, false},   // another port
		{tcpFlow("52.9.9.9", "20.0.0.2", 22), firewall.DNAT, true},     // xlate: translated, to an unknown place
		{tcpFlow("52.9.9.9", "20.0.0.2", 2222), firewall.Allow, false}, // xlate does not match
	} {
		v := e.Evaluate(c.f)
		assert.Equal(t, c.action, v.Action, "%+v", c.f)
		assert.Equal(t, c.unknown, v.Flags&firewall.FlagUnknown != 0, "%+v: %v", c.f, v.Flags)
		assert.Zero(t, testing.AllocsPerRun(100, func() { v = e.Evaluate(c.f) }), "%+v", c.f)
		r := ref.Evaluate(c.f)
		assert.Equal(t, v.Action, r.Action, "reference %+v", c.f)
		assert.Equal(t, v.Flags, r.Flags, "reference %+v", c.f)
		assert.Equal(t, v.Translated, r.Translated, "reference %+v", c.f)
	}
	none := firewall.NatRule{Name: "none", SourcesUnknown: true, DestinationsUnknown: true, PortsUnknown: true, ProtocolsUnknown: true, TranslatedUnknown: true}
	_, err = firewall.Compile(policy(group("g", 100, natColl("nat", 100, none))), firewall.Resolvers{})
	assert.NoError(t, err, "no known value is needed when they are unknown")
}

// The widening against its slow twin: every DNAT rule with unknown values
// is given, in each world, for each unknown field, the flow's own value or
// another: the action the engine gives without FlagUnknown must be the
// action of every world that decides the flow itself.
func TestNatRuleValuesUnknownSound(t *testing.T) {
	policies, flows := 120, 60
	if testing.Short() {
		policies = 30
	}
	var checked, unknown int
	for seed := range uint64(policies) {
		g := newGen(seed + 5000)
		p := g.policy(int(seed%40) + 5)
		if p.Parent != nil {
			continue
		}
		type loc struct{ gi, ci, ri int }
		var widened []loc
		for gi := range p.RuleCollectionGroups {
			for ci := range p.RuleCollectionGroups[gi].RuleCollections {
				for ri := range p.RuleCollectionGroups[gi].RuleCollections[ci].NatRules {
					r := &p.RuleCollectionGroups[gi].RuleCollections[ci].NatRules[ri]
					if ri%2 == 0 {
						switch ri / 2 % 4 {
						case 0:
							r.SourcesUnknown = true
						case 1:
							r.DestinationsUnknown = true
						case 2:
							r.PortsUnknown = true
						default:
							r.ProtocolsUnknown = true
						}
					}
					if r.SourcesUnknown || r.DestinationsUnknown || r.PortsUnknown || r.ProtocolsUnknown || r.TranslatedUnknown {
						widened = append(widened, loc{gi, ci, ri})
					}
				}
			}
		}
		e, err := firewall.Compile(p, g.res)
		if len(widened) == 0 || err != nil {
			continue
		}
		rnd := rand.New(rand.NewPCG(seed, 11))
		for range flows {
			f := g.flow()
			src, dst := f.Src.Unmap(), f.Dst.Unmap()
			if !dst.Is4() || !src.Is4() {
				continue
			}
			v := e.Evaluate(f)
			if v.Flags&firewall.FlagUnknown != 0 {
				unknown++
				continue
			}
			for world := range 4 {
				in := func() bool { return world == 0 || world > 1 && rnd.IntN(2) == 0 }
				w := clonePolicy(p)
				for _, l := range widened {
					r := &w.RuleCollectionGroups[l.gi].RuleCollections[l.ci].NatRules[l.ri]
					natWorld(r, f, in)
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
				assert.Equal(t, wv.Action, v.Action, "seed %d flow %+v world %d", seed, f, world)
			}
		}
	}
	assert.Positive(t, checked, "some verdicts are checked")
	assert.Positive(t, unknown, "some are Unknown")
}

// natWorld makes r's unknown values known: for each unknown field, the
// flow's value if in() says so, else one the flow does not have.
func natWorld(r *firewall.NatRule, f firewall.Flow, in func() bool) {
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	other := func(a [4]byte) string {
		a[3] ^= 1
		return strconv.Itoa(int(a[0])) + "." + strconv.Itoa(int(a[1])) + "." + strconv.Itoa(int(a[2])) + "." + strconv.Itoa(int(a[3]))
	}
	if r.SourcesUnknown {
		r.SourcesUnknown = false
		if in() {
			r.SourceAddresses = append(slices.Clone(r.SourceAddresses), src.String())
		} else if len(r.SourceAddresses)+len(r.SourceIPGroups) == 0 {
			r.SourceAddresses = []string{other(src.As4())}
		}
	}
	if r.DestinationsUnknown {
		r.DestinationsUnknown = false
		if in() {
			r.DestinationAddresses = append(slices.Clone(r.DestinationAddresses), dst.String())
		} else if len(r.DestinationAddresses) == 0 {
			r.DestinationAddresses = []string{other(dst.As4())}
		}
	}
	if r.PortsUnknown {
		r.PortsUnknown = false
		switch {
		case in():
			r.DestinationPorts = append(slices.Clone(r.DestinationPorts), "*")
		case len(r.DestinationPorts) == 0:
			r.DestinationPorts = []string{strconv.Itoa(int(f.DstPort%65535) + 1)}
		}
	}
	if r.ProtocolsUnknown {
		r.ProtocolsUnknown = false
		switch in := in(); {
		case in && f.Proto == ipproto.UDP:
			r.IPProtocols = append(slices.Clone(r.IPProtocols), firewall.ProtocolUDP)
		case in:
			r.IPProtocols = append(slices.Clone(r.IPProtocols), firewall.ProtocolTCP)
		case len(r.IPProtocols) == 0:
			r.IPProtocols = []firewall.Protocol{firewall.ProtocolTCP}
			if f.Proto == ipproto.TCP {
				r.IPProtocols = []firewall.Protocol{firewall.ProtocolUDP}
			}
		}
	}
	if r.TranslatedUnknown {
		r.TranslatedUnknown, r.TranslatedAddress, r.TranslatedFqdn, r.TranslatedPort = false, "10.9.9.9", "", "80"
	}
}
