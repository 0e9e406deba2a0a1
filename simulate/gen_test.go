package simulate_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// genNetwork builds a random, valid hub-and-spoke network: a hub with an
// Azure Firewall (decided by a policy or by classic rule collections, some
// never SNATing), NVAs (some without IP forwarding, some routing to each
// other to make loops), a VPN gateway (active-standby or active-active, with
// or without a default site) and a Route Server route to an NVA; spokes
// whose subnets route to the firewall, to NVAs, to None or straight out,
// with NAT gateways (Standard or StandardV2, on subnets or on the whole
// VNet), public IPs, private subnets and NSGs with random rules.
func genNetwork(r *rand.Rand, spokes, nicsPerSubnet int) *topology.Model {
	const sub = "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/"
	id := func(kind, name string) topology.Ref { return topology.Ref(sub + kind + "/" + name) }
	m := &topology.Model{}
	pip := func(name string, a netip.Addr) topology.Ref {
		m.PublicIPs = append(m.PublicIPs, &topology.PublicIP{Meta: topology.Meta{ID: id("publicIPAddresses", name), Name: name}, Address: a, SKU: "Standard"})
		return id("publicIPAddresses", name)
	}
	pipN := 0
	newPIP := func() topology.Ref {
		pipN++
		return pip(fmt.Sprintf("pip%d", pipN), netip.AddrFrom4([4]byte{20, byte(pipN >> 16), byte(pipN >> 8), byte(pipN)}))
	}
	// newNAT makes a NAT gateway, Standard or StandardV2 (with StandardV2
	// public IPs, nat-sku).
	newNAT := func(name string) *topology.NATGateway {
		nat := &topology.NATGateway{Meta: topology.Meta{ID: id("natGateways", name), Name: name}, PublicIPs: []topology.Ref{newPIP()}}
		if r.IntN(2) == 0 {
			nat.SKU = "StandardV2"
			m.PublicIPs[len(m.PublicIPs)-1].SKU = "StandardV2"
		}
		m.NATGateways = append(m.NATGateways, nat)
		return nat
	}
	// NSGs: a small pool shared by subnets and NICs.
	var nsgs []topology.Ref
	for i := range 6 {
		g := &topology.NSG{Meta: topology.Meta{ID: id("networkSecurityGroups", fmt.Sprintf("nsg%d", i)), Name: fmt.Sprintf("nsg%d", i)}}
		for j := range 1 + r.IntN(12) {
			dir := nsg.Outbound
			if r.IntN(2) == 0 {
				dir = nsg.Inbound
			}
			acc := nsg.Allow
			if r.IntN(2) == 0 {
				acc = nsg.Deny
			}
			dst := []string{"*", "Internet", "VirtualNetwork", "10.0.0.0/8", "8.8.0.0/16", "10.1.0.0/16", "Storage"}[r.IntN(7)]
			ports := []string{"*", "443", "80-90", "22", "1000-2000"}[r.IntN(5)]
			proto := []string{"*", "Tcp", "Udp", "Icmp"}[r.IntN(4)]
			var p nsg.Protocol
			_ = p.UnmarshalText([]byte(proto))
			g.Rules = append(g.Rules, nsg.Rule{Name: fmt.Sprintf("r%d", j), Priority: 100 + 10*j, Direction: dir, Access: acc, Protocol: p,
				SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: dst, DestinationPortRange: ports})
		}
		m.NSGs = append(m.NSGs, g)
		nsgs = append(nsgs, g.ID)
	}
	pickNSG := func() topology.Ref {
		if r.IntN(3) == 0 {
			return ""
		}
		return nsgs[r.IntN(len(nsgs))]
	}
	// Hub.
	hub := &topology.VNet{Meta: topology.Meta{ID: id("virtualNetworks", "hub"), Name: "hub", Location: "eastus"},
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}
	fwSub := &topology.Subnet{Meta: topology.Meta{ID: hub.ID + "/subnets/AzureFirewallSubnet", Name: "AzureFirewallSubnet", Location: "eastus"},
		VNet: hub, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.1.0/26")}}
	nvaSub := &topology.Subnet{Meta: topology.Meta{ID: hub.ID + "/subnets/nva", Name: "nva", Location: "eastus"},
		VNet: hub, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.2.0/24")}}
	gwSub := &topology.Subnet{Meta: topology.Meta{ID: hub.ID + "/subnets/GatewaySubnet", Name: "GatewaySubnet", Location: "eastus"},
		VNet: hub, Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.255.0/27")}}
	hub.Subnets = []*topology.Subnet{fwSub, nvaSub, gwSub}
	m.VNets = append(m.VNets, hub)
	if r.IntN(2) == 0 {
		fwSub.NATGateway = newNAT("nat-fw").ID
	}
	fw := &topology.Firewall{Meta: topology.Meta{ID: id("azureFirewalls", "fw"), Name: "fw"}, VNet: hub.ID,
		PrivateIP: netip.MustParseAddr("10.0.1.4"), PublicIPs: []topology.Ref{newPIP(), newPIP()}}
	{ // a policy (a firewall without one is Unknown: TestHubFirewall)
		pol := &topology.FirewallPolicy{Meta: topology.Meta{ID: id("firewallPolicies", "fwpol"), Name: "fwpol"}}
		if r.IntN(2) == 0 { // never SNAT: the firewall cannot reach the internet directly (snat-private-range)
			pol.SNATPrivateRanges = []string{"0.0.0.0/0"}
		}
		rc := &topology.RuleCollection{Name: "net", Priority: 110, Kind: "FirewallPolicyFilterRuleCollection", Action: "Allow"}
		for j := range 1 + r.IntN(6) {
			rc.Rules = append(rc.Rules, &topology.FirewallRule{Name: fmt.Sprintf("n%d", j), Type: "NetworkRule",
				Protocols:            []string{[]string{"TCP", "UDP", "Any", "ICMP"}[r.IntN(4)]},
				SourceAddresses:      []string{[]string{"*", "10.0.0.0/8", "10.1.0.0/16"}[r.IntN(3)]},
				DestinationAddresses: []string{[]string{"*", "8.8.0.0/16", "1.1.1.0/24", "10.0.0.0/8"}[r.IntN(4)]},
				DestinationPorts:     []string{[]string{"*", "443", "53", "80-90"}[r.IntN(4)]}})
		}
		deny := &topology.RuleCollection{Name: "deny", Priority: 100, Kind: "FirewallPolicyFilterRuleCollection", Action: "Deny",
			Rules: []*topology.FirewallRule{{Name: "no-22", Type: "NetworkRule", Protocols: []string{"TCP"}, SourceAddresses: []string{"*"},
				DestinationAddresses: []string{"*"}, DestinationPorts: []string{"22"}}}}
		if r.IntN(2) == 0 { // the same rules as the firewall's classic rule collections (rule-processing, classic rules)
			deny.Kind, rc.Kind = "", ""
			fw.NetworkRuleCollections = []*topology.RuleCollection{deny, rc}
			fw.SNATPrivateRanges = pol.SNATPrivateRanges
		} else {
			pol.RuleCollectionGroups = []*topology.RuleCollectionGroup{{Meta: topology.Meta{Name: "rcg"}, Priority: 200, Collections: []*topology.RuleCollection{deny, rc}}}
			m.FirewallPolicies = append(m.FirewallPolicies, pol)
			fw.Policy = pol.ID
		}
	}
	m.Firewalls = append(m.Firewalls, fw)
	gw := &topology.Gateway{Meta: topology.Meta{ID: id("virtualNetworkGateways", "gw"), Name: "gw"}, VNet: hub.ID,
		PrivateIPs: []netip.Addr{netip.MustParseAddr("10.0.255.4"), netip.MustParseAddr("10.0.255.5")}, ActiveActive: r.IntN(2) == 0,
		PublicIPs:     []topology.Ref{newPIP()},
		LearnedRoutes: []route.GatewayRoute{{Gateway: "gw", Prefix: netip.MustParsePrefix("192.168.0.0/16"), NextHops: []netip.Addr{netip.MustParseAddr("10.0.255.4")}}}}
	if r.IntN(2) == 0 { // forced tunnelling to a default site (site-to-site-tunneling)
		lng := &topology.LocalNetworkGateway{Meta: topology.Meta{ID: id("localNetworkGateways", "hq"), Name: "hq"},
			GatewayIP: netip.MustParseAddr("203.0.113.1"), AddressPrefixes: []netip.Prefix{netip.MustParsePrefix("172.20.0.0/16")}}
		m.LocalNetworkGateways = append(m.LocalNetworkGateways, lng)
		m.Connections = append(m.Connections, &topology.Connection{Meta: topology.Meta{ID: id("connections", "hq"), Name: "hq"}, Gateway: gw.ID, LocalGateway: lng.ID})
		gw.DefaultSite = lng.ID
	}
	m.Gateways = append(m.Gateways, gw)
	// Route Server: nva0 advertises 9.8.0.0/16 (the hub's subnets and the
	// spokes using the hub's gateway learn it, next hop nva0).
	m.RouteServers = append(m.RouteServers, &topology.RouteServer{Meta: topology.Meta{ID: id("virtualHubs", "rs"), Name: "rs"}, VNet: hub.ID,
		Advertised: []route.GatewayRoute{{Gateway: "rs", Prefix: netip.MustParsePrefix("9.8.0.0/16"), NextHops: []netip.Addr{netip.MustParseAddr("10.0.2.4")}, ASPathLength: 1}}})
	// NVAs: a1 forwards, a2 forwards and routes back to a1 (loop), a3 has no forwarding.
	nvaRT := &topology.RouteTable{Meta: topology.Meta{ID: id("routeTables", "rt-nva"), Name: "rt-nva"}}
	nvaRT.Routes = []route.UserRoute{{Name: "loop", AddressPrefix: "9.9.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.2.5"},
		{Name: "rs-out", AddressPrefix: "9.8.0.0/16", NextHopType: "Internet"}} // what nva0 advertises to Route Server, it sends out
	nvaSub.RouteTable = nvaRT.ID
	m.RouteTables = append(m.RouteTables, nvaRT)
	for i, fwd := range []bool{true, true, false} {
		n := &topology.NIC{Meta: topology.Meta{ID: id("networkInterfaces", fmt.Sprintf("nva%d", i)), Name: fmt.Sprintf("nva%d", i)}, EnableIPForwarding: fwd, NSG: pickNSG()}
		n.IPConfigs = []*topology.IPConfig{{Meta: topology.Meta{ID: n.ID + "/ipConfigurations/ip"}, NIC: n, Primary: true,
			PrivateIP: netip.AddrFrom4([4]byte{10, 0, 2, byte(4 + i)}), Subnet: nvaSub.ID}}
		if r.IntN(2) == 0 {
			n.IPConfigs[0].PublicIP = newPIP()
		}
		m.NICs = append(m.NICs, n)
	}
	// The loop: a2 (10.0.2.5) sends 9.9/16 back to... a2 is in the same subnet, so rt-nva sends 9.9/16 to itself.
	nvaHops := []string{"10.0.2.4", "10.0.2.5", "10.0.2.6", "10.0.1.4", "10.0.9.9" /* nobody */}
	for s := range spokes {
		v := &topology.VNet{Meta: topology.Meta{ID: id("virtualNetworks", fmt.Sprintf("spoke%d", s)), Name: fmt.Sprintf("spoke%d", s), Location: "eastus"},
			AddressSpace: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(1 + s/250), byte(s % 250), 0}), 24)}}
		base := v.AddressSpace[0].Addr().As4()
		v.Peerings = []*topology.Peering{{Meta: topology.Meta{ID: v.ID + "/virtualNetworkPeerings/to-hub", Name: "to-hub"}, Local: v, Remote: hub.ID,
			AllowVirtualNetworkAccess: true, AllowForwardedTraffic: r.IntN(4) != 0, UseRemoteGateways: r.IntN(2) == 0, Connected: true}}
		hub.Peerings = append(hub.Peerings, &topology.Peering{Meta: topology.Meta{ID: hub.ID + topology.Ref("/virtualNetworkPeerings/to-"+v.Name), Name: "to-" + v.Name},
			Local: hub, Remote: v.ID, AllowVirtualNetworkAccess: true, AllowForwardedTraffic: true, AllowGatewayTransit: true, Connected: true})
		if r.IntN(4) == 0 { // a StandardV2 NAT gateway for the whole spoke (sourceVirtualNetwork)
			nat := newNAT(fmt.Sprintf("nat-vnet-%d", s))
			nat.SKU, nat.SourceVirtualNetwork = "StandardV2", v.ID
			m.PublicIPs[len(m.PublicIPs)-1].SKU = "StandardV2"
		}
		for k := range 2 {
			sn := &topology.Subnet{Meta: topology.Meta{ID: v.ID + topology.Ref(fmt.Sprintf("/subnets/s%d", k)), Name: fmt.Sprintf("s%d", k), Location: "eastus"},
				VNet: v, Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{base[0], base[1], base[2], byte(128 * k)}), 25)}, NSG: pickNSG()}
			if r.IntN(4) == 0 {
				f := false
				sn.DefaultOutboundAccess = &f
			}
			if r.IntN(4) == 0 {
				sn.NATGateway = newNAT(fmt.Sprintf("nat-%d-%d", s, k)).ID
			}
			switch r.IntN(4) {
			case 0: // no route table
			default:
				rt := &topology.RouteTable{Meta: topology.Meta{ID: id("routeTables", fmt.Sprintf("rt-%d-%d", s, k))}, DisableBGPRoutePropagation: r.IntN(2) == 0}
				rt.Routes = append(rt.Routes, route.UserRoute{Name: "default", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIPAddress: nvaHops[r.IntN(len(nvaHops))]})
				if r.IntN(2) == 0 {
					rt.Routes = append(rt.Routes, route.UserRoute{Name: "drop", AddressPrefix: "8.8.4.0/24", NextHopType: "None"})
				}
				if r.IntN(2) == 0 { // east-west between spokes through an appliance
					rt.Routes = append(rt.Routes, route.UserRoute{Name: "east-west", AddressPrefix: "10.0.0.0/8", NextHopType: "VirtualAppliance", NextHopIPAddress: nvaHops[r.IntN(len(nvaHops))]})
				}
				if r.IntN(2) == 0 {
					rt.Routes = append(rt.Routes, route.UserRoute{Name: "direct", AddressPrefix: "1.1.1.0/24", NextHopType: "Internet"})
				}
				if r.IntN(3) == 0 {
					rt.Routes = append(rt.Routes, route.UserRoute{Name: "onprem", AddressPrefix: "172.16.0.0/12", NextHopType: "VirtualNetworkGateway"})
				}
				m.RouteTables = append(m.RouteTables, rt)
				sn.RouteTable = rt.ID
			}
			v.Subnets = append(v.Subnets, sn)
			for n := range nicsPerSubnet {
				nic := &topology.NIC{Meta: topology.Meta{ID: id("networkInterfaces", fmt.Sprintf("nic-%d-%d-%d", s, k, n)), Name: fmt.Sprintf("nic-%d-%d-%d", s, k, n)}, NSG: pickNSG()}
				nic.IPConfigs = []*topology.IPConfig{{Meta: topology.Meta{ID: nic.ID + "/ipConfigurations/ip"}, NIC: nic, Primary: true,
					PrivateIP: netip.AddrFrom4([4]byte{base[0], base[1], base[2], byte(128*k + 4 + n)}), Subnet: sn.ID}}
				if r.IntN(5) == 0 {
					nic.IPConfigs[0].PublicIP = newPIP()
				}
				if r.IntN(2) == 0 { // NICs n and n+1 of a subnet may share a VM
					nic.VirtualMachine = topology.Ref(fmt.Sprintf("/subscriptions/0/resourceGroups/gen/providers/Microsoft.Compute/virtualMachines/vm-%d-%d-%d", s, k, n/2))
				}
				m.NICs = append(m.NICs, nic)
			}
		}
		m.VNets = append(m.VNets, v)
	}
	return m
}
