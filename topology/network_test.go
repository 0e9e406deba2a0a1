package topology_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// richModels are models that use every field the loaders fill: the
// annotated native design, the default design, and a corpus export.
func richModels(t *testing.T) map[string]*topology.Model {
	t.Helper()
	out := map[string]*topology.Model{}
	data, err := os.ReadFile("testdata/annotated.yaml")
	require.NoError(t, err)
	m, err := topology.ParseNative("annotated.yaml", data)
	require.NoError(t, err)
	out["annotated"] = m
	m, err = topology.ParseNative(designs.HubSpokeFile, designs.HubSpoke)
	require.NoError(t, err)
	out["hubspoke"] = m
	m, err = topology.ParseFiles(topology.LoadOptions{}, "testdata/avnm.json", "testdata/forced-tunnel-default-site.json")
	require.NoError(t, err)
	out["arm"] = m
	return out
}

// TestCloneSharesNothing: a clone equals its model field by field, shares
// no pointer, slice or map with it (so that changing one never changes the
// other), and keeps its links (a subnet's VNet) inside the copy.
func TestCloneSharesNothing(t *testing.T) {
	for name, m := range richModels(t) {
		c := m.Clone()
		var shared []string
		walkShared(reflect.ValueOf(m).Elem(), reflect.ValueOf(c).Elem(), name, &shared, map[uintptr]bool{})
		assert.Empty(t, shared, "%s: memory shared with the clone", name)
		for _, field := range []string{"VNets", "NICs", "NSGs", "RouteTables", "Firewalls", "FirewallPolicies", "LoadBalancers", "Gateways", "AdminConfigs"} {
			a, b := reflect.ValueOf(m).Elem().FieldByName(field).Interface(), reflect.ValueOf(c).Elem().FieldByName(field).Interface()
			assert.True(t, reflect.DeepEqual(a, b), "%s: %s differs in the clone", name, field)
		}
		assert.Equal(t, m.Warnings(), c.Warnings(), name)
		for _, v := range c.VNets {
			for _, s := range v.Subnets {
				if s.VNet != nil {
					assert.Same(t, v, s.VNet, "%s: subnet %s links outside the clone", name, s.Name)
				}
			}
		}
		for _, n := range c.NICs {
			for _, ipc := range n.IPConfigs {
				if ipc.NIC != nil {
					assert.Same(t, n, ipc.NIC, "%s: IP configuration of %s links outside the clone", name, n.Name)
				}
			}
		}
	}
}

// walkShared records the paths where a and b (of one type) hold the same
// pointer, slice backing array or map; seen holds the pointers of a walked.
func walkShared(a, b reflect.Value, path string, out *[]string, seen map[uintptr]bool) {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || seen[a.Pointer()] {
			return
		}
		seen[a.Pointer()] = true
		if a.Pointer() == b.Pointer() {
			*out = append(*out, path)
			return
		}
		walkShared(a.Elem(), b.Elem(), path, out, seen)
	case reflect.Slice:
		if a.Len() == 0 {
			return
		}
		if a.Pointer() == b.Pointer() {
			*out = append(*out, path)
			return
		}
		for i := range a.Len() {
			walkShared(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i), out, seen)
		}
	case reflect.Map:
		if a.Len() == 0 {
			return
		}
		if a.Pointer() == b.Pointer() {
			*out = append(*out, path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				walkShared(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name, out, seen)
			}
		}
	}
}

// fingerprint renders everything a Network says through its API.
func fingerprint(n *topology.Network) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	for i := range n.NumVNets() {
		v := n.VNet(i)
		var peers []string
		for _, q := range v.Peers() {
			peers = append(peers, q.Name())
		}
		hub, transit := v.TransitHub()
		p("vnet %d %s %s %s %v peers=%v peerings=%+v gw=%+v admin=%s", v.Index(), v.Name(), v.ID(), v.Location(), v.AddressSpace(), peers, v.Peerings(),
			v.GatewayRoutes(), v.Admin().ID)
		if transit {
			p("  transit %s", hub.Name())
		}
		for _, s := range v.Subnets() {
			rt, rs := s.RouteTable()
			ng, gs := s.NSG()
			p("  subnet %s %s %v rt=%s/%v nsg=%s/%v", s.Name(), s.ID(), s.Prefixes(), rt, rs, ng, gs)
			if tb := s.Routes(); tb != nil {
				for j := range tb.Len() {
					p("    route %v", tb.Route(j))
				}
			}
			p("    scope %v", s.Scope().Context())
		}
	}
	for i := range n.NumNICs() {
		c := n.NIC(i)
		s, ok := c.Subnet()
		sub := ""
		if ok {
			sub = s.Name()
		}
		ng, gs := c.NSG()
		p("nic %s %s %+v subnet=%s nsg=%s/%v fwd=%v", c.Name(), c.ID(), c.IPConfigs(), sub, ng, gs, c.EnableIPForwarding())
	}
	for i := range n.NumNSGs() {
		g := n.NSG(i)
		p("nsg %s %+v %v", g.ID(), g.Rules(), g.Err())
		if grp := g.Group(); grp != nil {
			for _, r := range grp.Rules(nsg.Outbound) {
				p("  %s %d", r.Name, r.Priority)
			}
		}
	}
	for i := range n.NumRouteTables() {
		r := n.RouteTable(i)
		p("rt %s %+v %v", r.Name(), r.Routes(), r.Err())
	}
	for i := range n.NumFirewalls() {
		f := n.Firewall(i)
		eng, err := f.Engine()
		pol, ps := f.Policy()
		p("fw %s %v %q %v pol=%s/%v engine=%v err=%v", f.Name(), f.PrivateIP(), f.PrivateIPAssumed(), f.PublicIPs(), pol, ps, eng != nil, err)
	}
	for _, lb := range n.LoadBalancers() {
		p("lb %s %+v", lb.Name, *lb)
	}
	for _, g := range n.Gateways() {
		p("gw %+v", *g)
	}
	for _, fp := range n.FirewallPolicies() {
		p("policy %s %d", fp.Name, len(fp.RuleCollectionGroups))
	}
	p("warnings %v", n.Warnings())
	return b.String()
}

// TestNetworkUnchangedByModel: a Network built from a model keeps its own
// copy: changing the model afterwards, in place or by replacing its lists,
// changes nothing it says; neither does changing what it returns.
func TestNetworkUnchangedByModel(t *testing.T) {
	m, err := topology.ParseNative(designs.HubSpokeFile, designs.HubSpoke)
	require.NoError(t, err)
	n, err := m.Network(defaultTags(t))
	require.NoError(t, err)
	before := fingerprint(n)
	require.Contains(t, before, "vnet-hub")

	// Change the model everywhere it can be changed.
	for _, v := range m.VNets {
		v.Name += "-x"
		v.AddressSpace[0] = netip.MustParsePrefix("192.0.2.0/24")
		for _, s := range v.Subnets {
			s.Name += "-x"
			s.Prefixes[0] = netip.MustParsePrefix("192.0.2.0/28")
			s.RouteTable, s.NSG = "", ""
		}
		for _, pe := range v.Peerings {
			pe.AllowForwardedTraffic = !pe.AllowForwardedTraffic
			pe.Connected = false
		}
	}
	for _, c := range m.NICs {
		c.Name += "-x"
		c.IPConfigs[0].PrivateIP = netip.MustParseAddr("192.0.2.9")
		c.EnableIPForwarding = !c.EnableIPForwarding
	}
	for _, g := range m.NSGs {
		for k := range g.Rules {
			g.Rules[k].Name += "-x"
			g.Rules[k].Priority++
		}
	}
	for _, rt := range m.RouteTables {
		for k := range rt.Routes {
			rt.Routes[k].AddressPrefix = "198.51.100.0/24"
		}
	}
	for _, f := range m.Firewalls {
		f.PrivateIP = netip.MustParseAddr("192.0.2.10")
		f.PublicIPs = nil
	}
	for _, g := range m.Gateways {
		for k := range g.LearnedRoutes {
			g.LearnedRoutes[k].Prefix = netip.MustParsePrefix("198.51.100.0/24")
		}
	}
	for _, lb := range m.LoadBalancers {
		lb.Name += "-x"
	}
	m.NICs, m.VNets = m.NICs[:1], nil
	assert.Equal(t, before, fingerprint(n), "changing the model changed the network")

	// Change what the network returned.
	for _, lb := range n.LoadBalancers() {
		lb.Name += "-y"
		for _, f := range lb.Frontends {
			f.Name += "-y"
		}
	}
	for _, g := range n.Gateways() {
		g.LearnedRoutes = append(g.LearnedRoutes[:0], route.GatewayRoute{Gateway: "y"})
	}
	for i := range n.NumNSGs() {
		if rs := n.NSG(i).Rules(); len(rs) > 0 {
			rs[0].Name = "y"
			if len(rs[0].DestinationAddressPrefixes) > 0 {
				rs[0].DestinationAddressPrefixes[0] = "y"
			}
		}
	}
	for i := range n.NumNICs() {
		for _, c := range n.NIC(i).IPConfigs() {
			if len(c.ASGs) > 0 {
				c.ASGs[0] = "y"
			}
		}
	}
	for i := range n.NumVNets() {
		if ps := n.VNet(i).Peerings(); len(ps) > 0 {
			ps[0].RemoteAddressSpace = append(ps[0].RemoteAddressSpace[:0], netip.MustParsePrefix("198.51.100.0/24"))
		}
		if as := n.VNet(i).AddressSpace(); len(as) > 0 {
			as[0] = netip.MustParsePrefix("198.51.100.0/24")
		}
	}
	for _, mc := range []*topology.Model{n.Model()} {
		mc.VNets[0].Name = "y"
		mc.NSGs[0].Rules[0].Name = "y"
	}
	assert.Equal(t, before, fingerprint(n), "changing what the network returned changed it")
}

// TestNetworkKeepsWhatValidationBuilt: the network holds the compiled
// values validation built, and keeps what it was accepted with: an NSG
// Azure would reject has no group and says why; a reference to a resource
// outside the input is external. Errors refuse the network.
func TestNetworkKeepsWhatValidationBuilt(t *testing.T) {
	m, err := topology.ParseFiles(topology.LoadOptions{}, "testdata/corpus/snapshot-nsg/vnet.json",
		"testdata/corpus/snapshot-nsg/nsg-subnet2.json", "testdata/corpus/snapshot-nsg/vm2-nic.json")
	require.NoError(t, err)
	n, err := m.Network(defaultTags(t))
	require.NoError(t, err)
	v := n.Validation()
	require.NotEmpty(t, v.Rejected)
	assert.Empty(t, v.Errors)
	rejected := 0
	for i := range n.NumNSGs() {
		g := n.NSG(i)
		if g.Err() != nil {
			rejected++
			assert.Nil(t, g.Group(), g.Name())
			assert.Contains(t, g.Err().Error(), "invalid priority")
		} else {
			assert.NotNil(t, g.Group(), g.Name())
		}
	}
	assert.Equal(t, 1, rejected)
	assert.Equal(t, slices.Concat(v.Rejected, v.External, v.Warnings), n.Warnings())
	for i := range n.NumSubnets() {
		assert.NotNil(t, n.Subnet(i).Routes(), n.Subnet(i).Name())
		assert.NotNil(t, n.Subnet(i).Scope(), n.Subnet(i).Name())
	}

	// A reference outside the input is external; an error refuses.
	m, err = topology.ParseNative("d.yaml", []byte(`egress: v1
vnets:
  - name: v
    addressSpace: [10.0.0.0/16]
    subnets: [{name: s, prefix: 10.0.1.0/24, nsg: /subscriptions/0/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/elsewhere}]
`))
	require.NoError(t, err)
	n, err = m.Network(nil)
	require.NoError(t, err)
	ref, st := n.Subnet(0).NSG()
	assert.Equal(t, topology.RefExternal, st, ref)
	require.Len(t, n.Validation().External, 1)
	assert.ErrorIs(t, n.Validation().External[0], topology.ErrExternal)

	m.VNets[0].Subnets[0].Prefixes[0] = netip.MustParsePrefix("10.9.0.0/24")
	n, err = m.Network(nil)
	assert.Nil(t, n)
	var probs *topology.Problems
	require.True(t, errors.As(err, &probs), "%v", err)
	assert.Contains(t, probs.Error(), "outside the VNet's address space")
}
