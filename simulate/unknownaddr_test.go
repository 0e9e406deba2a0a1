package simulate_test

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/simulate/internal/walkref"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnknownSourceAddress: a NIC whose private address the input says is
// not known yet (a Terraform plan's "known after apply") answers Unknown,
// not Dropped, for IPv4 flows, in the engine and its twin alike.
func TestUnknownSourceAddress(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 11))
	n := genTwinNetwork(r, 2, 6, storageAddr(t))
	nic := n.m.NICs[0]
	c := nic.Primary()
	c.PrivateIP, c.PrivateIPUnknown = netip.Addr{}, "private IP address known after apply (test)"
	e, err := compile(n.m, tags(t), simulate.Options{})
	require.NoError(t, err)
	w := &twinWorld{m: n.m, e: e, tw: walkref.New(n.m, twinOptions(simulate.Options{}, tags(t))), dsts: n.dsts}
	h, err := e.NIC(nic.Name)
	require.NoError(t, err)
	var dis disagreements
	for _, dst := range []netip.Addr{netip.MustParseAddr("52.1.2.3"), n.dsts[0]} {
		want := w.compare(t, twinFlow{h: h, dst: dst, proto: ipproto.TCP, port: 443}, &dis)
		assert.Equal(t, walkref.Unknown, want.Verdict)
		res, err := e.Trace(simulate.Flow{From: nic.Name, To: dst, Port: 443})
		require.NoError(t, err)
		assert.Equal(t, simulate.Unknown, res.Verdict, "%s", res)
		assert.Contains(t, res.Assumptions, "NIC "+nic.Name+": private IP address known after apply (test)")
	}
	assert.Zero(t, dis.total(), "%s", &dis)
}

// TestUnknownNextHopRoute: a user route whose next hop IP address a
// Terraform plan knows only after apply (topology.NextHopKnownAfterApply)
// makes Unknown (ReasonNextHopUnknown) only the flows that route takes;
// the other flows of the subnets using the table are answered as before.
// The engine, its trace and the walk twin agree flow for flow.
func TestUnknownNextHopRoute(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 12))
	n := genTwinNetwork(r, 3, 4, storageAddr(t))
	var changed int
	for _, rt := range n.m.RouteTables {
		for i := range rt.Routes {
			if rt.Routes[i].NextHopType == "VirtualAppliance" && rt.Routes[i].NextHopIPAddress != "" && changed < 2 {
				rt.Routes[i].NextHopIPAddress = "(known after apply)"
				require.True(t, topology.NextHopKnownAfterApply(rt.Routes[i]))
				changed++
			}
		}
	}
	require.Positive(t, changed, "the generated network has appliance routes")
	e, err := compile(n.m, tags(t), simulate.Options{})
	require.NoError(t, err)
	w := &twinWorld{m: n.m, e: e, tw: walkref.New(n.m, twinOptions(simulate.Options{}, tags(t))), dsts: n.dsts}
	var dis disagreements
	unknown, other := 0, 0
	flows := 3000
	if testing.Short() {
		flows = 600
	}
	for range flows {
		f := w.randomFlow(r)
		want := w.compare(t, f, &dis)
		if want.Reason == walkref.ReasonNextHopUnknown {
			unknown++
			assert.Equal(t, walkref.Unknown, want.Verdict)
		} else {
			other++
		}
	}
	assert.Zero(t, dis.total(), "%s", &dis)
	assert.Positive(t, unknown, "some flows take the unknown routes")
	assert.Positive(t, other, "the other flows are answered")

	// The NIC's effective routes mark those routes and hold no placeholder
	// address; every other record is the compiled table's own.
	marked := 0
	for _, h := range e.NICs() {
		recs, compiled := h.EffectiveRoutes(), h.Routes().Records()
		require.Len(t, recs, len(compiled))
		for i, rec := range recs {
			if !rec.NextHopKnownAfterApply {
				assert.Equal(t, compiled[i], rec.EffectiveRoute)
				continue
			}
			marked++
			assert.Equal(t, route.SourceUser, rec.Source)
			assert.Empty(t, rec.NextHopIPAddress, "no placeholder address: %v", compiled[i].NextHopIPAddress)
			assert.NotEmpty(t, compiled[i].NextHopIPAddress, "the compiled table holds the placeholder")
		}
	}
	assert.Positive(t, marked, "NICs of the subnets using the tables list the unknown next hops")
}

// TestUnknownNSGRuleValues: an NSG rule with values a Terraform plan knows
// only after apply (topology.NSG.KnownAfterApply, the values widened to
// "*") makes Unknown the flows it decides, and only those; the engine, its
// trace and the walk twin agree flow for flow.
func TestUnknownNSGRuleValues(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 13))
	n := genTwinNetwork(r, 3, 4, storageAddr(t))
	marked := 0
	for _, g := range n.m.NSGs {
		for i := range g.Rules {
			rule := &g.Rules[i]
			if marked < 4 && rule.Direction == nsg.Outbound && len(rule.DestinationApplicationSecurityGroups) == 0 {
				rule.DestinationAddressPrefix, rule.DestinationAddressPrefixes = "*", nil
				if g.KnownAfterApply == nil {
					g.KnownAfterApply = map[string]string{}
				}
				g.KnownAfterApply[strings.ToLower(rule.Name)] = "destination_address_prefix known after apply (test)"
				marked++
			}
		}
	}
	require.Positive(t, marked, "the generated network has outbound rules")
	e, err := compile(n.m, tags(t), simulate.Options{})
	require.NoError(t, err)
	w := &twinWorld{m: n.m, e: e, tw: walkref.New(n.m, twinOptions(simulate.Options{}, tags(t))), dsts: n.dsts}
	var dis disagreements
	byRule, other := 0, 0
	flows := 3000
	if testing.Short() {
		flows = 800
	}
	for range flows {
		f := w.randomFlow(r)
		want := w.compare(t, f, &dis)
		res, err := e.Trace(simulate.Flow{From: f.h.ID(), To: f.dst, Protocol: f.proto, Port: f.port, Host: f.host})
		require.NoError(t, err)
		if strings.Contains(strings.Join(res.Assumptions, "\n"), "known after apply (test)") {
			byRule++
			assert.Equal(t, walkref.Unknown, want.Verdict, "%s", res)
		} else if want.Verdict != walkref.Unknown {
			other++
		}
	}
	assert.Zero(t, dis.total(), "%s", &dis)
	assert.Positive(t, byRule, "some flows meet the widened rules")
	assert.Positive(t, other, "the other flows are answered")
}
