package nsg_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// r builds a rule from "Direction Access Protocol src sport dst dport";
// a comma in an address or port field makes the plural ARM field, and an
// address starting with "asg:" lists ASG IDs.
func r(name string, prio int, spec string) nsg.Rule {
	f := strings.Fields(spec)
	if len(f) != 7 {
		panic("r: want 7 fields: " + spec)
	}
	out := nsg.Rule{Name: name, Priority: prio}
	must(out.Direction.UnmarshalText([]byte(f[0])))
	must(out.Access.UnmarshalText([]byte(f[1])))
	must(out.Protocol.UnmarshalText([]byte(f[2])))
	addr := func(s string, one *string, many, asgs *[]string) {
		switch {
		case strings.HasPrefix(s, "asg:"):
			*asgs = strings.Split(strings.TrimPrefix(s, "asg:"), ",")
		case strings.Contains(s, ","):
			*many = strings.Split(s, ",")
		default:
			*one = s
		}
	}
	ports := func(s string, one *string, many *[]string) {
		if strings.Contains(s, ",") {
			*many = strings.Split(s, ",")
		} else {
			*one = s
		}
	}
	addr(f[3], &out.SourceAddressPrefix, &out.SourceAddressPrefixes, &out.SourceApplicationSecurityGroups)
	ports(f[4], &out.SourcePortRange, &out.SourcePortRanges)
	addr(f[5], &out.DestinationAddressPrefix, &out.DestinationAddressPrefixes, &out.DestinationApplicationSecurityGroups)
	ports(f[6], &out.DestinationPortRange, &out.DestinationPortRanges)
	return out
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

const nsgPrefix = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/"

func group(t testing.TB, name string, rules ...nsg.Rule) *nsg.Group {
	t.Helper()
	g, err := nsg.Compile(nsg.SecurityGroup{ID: nsgPrefix + name, Rules: rules}, testRes)
	require.NoError(t, err)
	return g
}

var testRes = nsg.Resolvers{
	Tags: nsg.TagMap{
		"Storage":        {pfx("20.60.0.0/16"), pfx("52.239.0.0/16")},
		"Storage.EastUS": {pfx("20.60.0.0/24")},
		"Sql":            {pfx("40.78.0.0/17"), pfx("2603:1000::/40")},
	},
	ASGs: nsg.ASGMap{
		asgID(1): {VNet: vnetID, Members: []netip.Addr{ip("10.1.1.4"), ip("10.1.1.5")}},
		asgID(2): {VNet: vnetID, Members: []netip.Addr{ip("10.1.2.4")}},
		asgID(9): {VNet: otherID, Members: []netip.Addr{ip("10.9.0.4")}},
	},
}

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func ip(s string) netip.Addr    { return netip.MustParseAddr(s) }

// spokeCtx is a spoke VNet 10.1.0.0/16 peered with a hub 10.0.0.0/16 and
// learning 172.30.0.0/16 from on-premises.
var spokeCtx = nsg.Context{
	AddressSpace: []netip.Prefix{pfx("10.1.0.0/16")},
	Peered:       []netip.Prefix{pfx("10.0.0.0/16")},
	Gateway:      []netip.Prefix{pfx("172.30.0.0/16")},
}

const nicIP = "10.1.1.4"

func classifier(t testing.TB, ctx nsg.Context, nicNSG, subnetNSG, admin *nsg.Group) *nsg.Classifier {
	t.Helper()
	scope, err := nsg.CompileContext(ctx)
	require.NoError(t, err)
	c, err := nsg.NewClassifier(nsg.NIC{ID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic",
		SubnetID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/app",
		VNet:     vnetID, Addrs: []netip.Addr{ip(nicIP)}, NSG: nicNSG, SubnetNSG: subnetNSG, Admin: admin, Scope: scope})
	require.NoError(t, err)
	return c
}

// out and in make flows of the NIC at nicIP: "Tcp 8.8.8.8:443".
func out(spec string) nsg.Flow { return flow(nsg.Outbound, spec) }
func in(spec string) nsg.Flow  { return flow(nsg.Inbound, spec) }

func flow(d nsg.Direction, spec string) nsg.Flow {
	f := strings.Fields(spec)
	p, err := ipproto.Parse(f[0])
	must(err)
	ap := netip.MustParseAddrPort(f[1])
	fl := nsg.Flow{Direction: d, Proto: p}
	if d == nsg.Outbound {
		fl.Src, fl.SrcPort, fl.Dst, fl.DstPort = ip(nicIP), 50000, ap.Addr(), ap.Port()
	} else {
		fl.Src, fl.SrcPort, fl.Dst, fl.DstPort = ap.Addr(), 50000, ip(nicIP), ap.Port()
	}
	return fl
}

// decided returns "Access Reason rule-name" with the deciding rule in the
// IP-flow-verify spelling, or "-" when no rule decided.
func decided(c *nsg.Classifier, f nsg.Flow) string {
	v := c.Verdict(f)
	name := "-"
	if st, ok := v.Decider(f.Direction); ok {
		ri, _ := c.RuleOf(v, f.Direction, st)
		name = ri.DisplayName(nsg.ViewIPFlowVerify)
	}
	return v.Access.String() + " " + v.Reason.String() + " " + name
}
