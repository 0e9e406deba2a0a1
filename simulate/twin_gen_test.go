package simulate_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// twinNetwork is a generated network for the walk-twin differential and the
// destinations worth sending flows to in it.
type twinNetwork struct {
	m    *topology.Model
	dsts []netip.Addr
}

// genTwinNetwork is genNetwork (a hub with an Azure Firewall, NVAs, a VPN
// gateway and Route Server, spokes with route tables, NAT gateways, public
// IPs, private subnets and NSGs) plus what the walk twin must also be held
// to: public and internal load balancers (outbound rules and load-balancing
// rules of each protocol, pools by IP address, an internal frontend as next
// hop and as destination), private endpoints under each network policy,
// service endpoints, security admin rules (Allow, AlwaysAllow, Deny), an
// ECMP route, a route table on AzureFirewallSubnet (forced tunnelling, a
// route back to an NVA, a route to the firewall itself), firewall rules that
// cannot be decided offline, a dual-stack spoke, and resources outside the
// input or that Azure would reject (a peered VNet and the address space
// its peering records, NSGs, route tables, public IPs, NAT gateways,
// backend pools and a firewall policy that are missing, an NSG with an
// invalid priority). storage is an address of the Storage.EastUS tag.
func genTwinNetwork(r *rand.Rand, spokes, nicsPerSubnet int, storage netip.Addr) twinNetwork {
	m := genNetwork(r, spokes, nicsPerSubnet)
	const sub = "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/"
	id := func(kind, name string) topology.Ref { return topology.Ref(sub + kind + "/" + name) }
	chance := func(p float64) bool { return r.Float64() < p }
	pipN := 0
	newPIP := func(a netip.Addr) topology.Ref {
		pipN++
		name := fmt.Sprintf("tpip%d", pipN)
		m.PublicIPs = append(m.PublicIPs, &topology.PublicIP{Meta: topology.Meta{ID: id("publicIPAddresses", name), Name: name}, Address: a, SKU: "Standard"})
		return id("publicIPAddresses", name)
	}
	v4pip := func() topology.Ref { return newPIP(netip.AddrFrom4([4]byte{52, 0, byte(pipN >> 8), byte(pipN)})) }
	hub := m.VNets[0]
	var nvaSub, fwSub *topology.Subnet
	for _, s := range hub.Subnets {
		switch s.Name {
		case "nva":
			nvaSub = s
		case "AzureFirewallSubnet":
			fwSub = s
		}
	}
	nicsIn := func(s *topology.Subnet) []*topology.NIC {
		var out []*topology.NIC
		for _, n := range m.NICs {
			if n.IPConfigs[0].Subnet.Key() == s.ID.Key() {
				out = append(out, n)
			}
		}
		return out
	}
	routeTable := func(s *topology.Subnet) *topology.RouteTable {
		for _, rt := range m.RouteTables {
			if rt.ID.Key() == s.RouteTable.Key() {
				return rt
			}
		}
		return nil
	}
	dsts := []netip.Addr{storage, netip.MustParseAddr("10.0.2.100"), netip.MustParseAddr("10.0.3.4"), netip.MustParseAddr("10.0.3.5"),
		netip.MustParseAddr("10.250.0.9"), netip.MustParseAddr("9.7.1.1"), netip.MustParseAddr("9.6.1.1"), netip.MustParseAddr("9.5.1.1"),
		netip.MustParseAddr("9.4.1.1"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("10.0.1.4"), netip.MustParseAddr("10.0.4.4")}

	// A hub subnet delegated to a service whose resources (container
	// groups) are not in the input: 10.0.4.4 is theirs, so a flow to it is
	// Unknown, not dropped as if nobody held it
	// (https://learn.microsoft.com/azure/virtual-network/subnet-delegation-overview).
	aciSub := &topology.Subnet{Meta: topology.Meta{ID: hub.ID + "/subnets/aci", Name: "aci", Location: "eastus"}, VNet: hub,
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.4.0/24")}, Delegations: []string{"Microsoft.ContainerInstance/containerGroups"}}
	hub.Subnets = append(hub.Subnets, aciSub)

	// Injected resources (issue 13 item 4): a container group at 10.0.4.5
	// in that subnet, a destination behind the subnet's NSG (sometimes one
	// of the generated NSGs, sometimes one not in the input) and, by a
	// spoke's route to 9.3.0.0/16, a next hop that forwards nothing; a
	// PostgreSQL flexible server, whose address is never in the input, in
	// a subnet of its own, which is sometimes not delegated (a warning).
	switch {
	case chance(0.5):
		aciSub.NSG = m.NSGs[r.IntN(len(m.NSGs))].ID
	case chance(0.1):
		aciSub.NSG = id("networkSecurityGroups", "missing-aci") // not in the input
	}
	// As sources (walked from the subnet): a NAT gateway of its own, a
	// private subnet, or neither; sometimes a spoke's route table.
	switch {
	case chance(0.4):
		aciSub.NATGateway = id("natGateways", "nat-aci")
		m.NATGateways = append(m.NATGateways, &topology.NATGateway{Meta: topology.Meta{ID: aciSub.NATGateway, Name: "nat-aci"}, PublicIPs: []topology.Ref{v4pip()}})
	case chance(0.4):
		aciSub.DefaultOutboundAccess = new(bool)
	}
	if chance(0.5) && len(m.RouteTables) > 0 {
		aciSub.RouteTable = m.RouteTables[r.IntN(len(m.RouteTables))].ID
	}
	cg := func(name, ip string) *topology.InjectedResource {
		c := &topology.InjectedResource{Meta: topology.Meta{ID: topology.Ref("/subscriptions/0/resourceGroups/gen/providers/Microsoft.ContainerInstance/containerGroups/" + name), Name: name},
			Kind: topology.InjectedContainerGroup, Subnets: []topology.Ref{aciSub.ID}, AddressType: topology.IPAddressPrivate}
		if ip != "" {
			c.IP = netip.MustParseAddr(ip)
		}
		return c
	}
	m.Injected = append(m.Injected, cg("aci1", "10.0.4.5"), cg("aci2", "")) // aci2: its address not in the input
	pgSub := &topology.Subnet{Meta: topology.Meta{ID: hub.ID + "/subnets/pg", Name: "pg", Location: "eastus"}, VNet: hub,
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.5.0/24")}}
	if chance(0.7) {
		pgSub.Delegations = []string{"Microsoft.DBforPostgreSQL/flexibleServers"}
	}
	hub.Subnets = append(hub.Subnets, pgSub)
	m.Injected = append(m.Injected, &topology.InjectedResource{Meta: topology.Meta{ID: topology.Ref("/subscriptions/0/resourceGroups/gen/providers/Microsoft.DBforPostgreSQL/flexibleServers/pg1"), Name: "pg1"},
		Kind: topology.InjectedPostgreSQL, Subnets: []topology.Ref{pgSub.ID}})
	dsts = append(dsts, netip.MustParseAddr("10.0.4.5"), netip.MustParseAddr("10.0.5.4"), netip.MustParseAddr("9.3.1.1"))

	// An internal load balancer in the hub: next hop of 9.7.0.0/16 and a
	// destination.
	ilb := &topology.LoadBalancer{Meta: topology.Meta{ID: id("loadBalancers", "ilb"), Name: "ilb"}, SKU: "Standard"}
	ilb.Frontends = []*topology.Frontend{{Meta: topology.Meta{ID: ilb.ID + "/frontendIPConfigurations/fe", Name: "fe"}, PrivateIP: netip.MustParseAddr("10.0.2.100"), Subnet: nvaSub.ID}}
	ilb.BackendPools = []*topology.BackendPool{{Meta: topology.Meta{ID: ilb.ID + "/backendAddressPools/pool", Name: "pool"}}}
	m.LoadBalancers = append(m.LoadBalancers, ilb)

	// Private endpoints in the hub, in a subnet with a random network
	// policy; their NICs as Azure creates them.
	peSub := &topology.Subnet{Meta: topology.Meta{ID: hub.ID + "/subnets/pe", Name: "pe", Location: "eastus"}, VNet: hub,
		Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.3.0/24")}, PrivateEndpointPolicies: topology.PrivateEndpointPolicy(r.IntN(4))}
	if chance(0.5) {
		peSub.NSG = m.NSGs[r.IntN(len(m.NSGs))].ID
	}
	hub.Subnets = append(hub.Subnets, peSub)
	for i := range 2 {
		name := fmt.Sprintf("pe%d", i)
		pe := &topology.PrivateEndpoint{Meta: topology.Meta{ID: id("privateEndpoints", name), Name: name}, Subnet: peSub.ID,
			IPs: []netip.Addr{netip.AddrFrom4([4]byte{10, 0, 3, byte(4 + i)})}, Service: "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Storage/storageAccounts/st", GroupID: "blob"}
		n := &topology.NIC{Meta: topology.Meta{ID: id("networkInterfaces", name+".nic"), Name: name + ".nic"}, PrivateEndpoint: pe.ID}
		if chance(0.5) {
			n.NSG = m.NSGs[r.IntN(len(m.NSGs))].ID
		}
		n.IPConfigs = []*topology.IPConfig{{Meta: topology.Meta{ID: n.ID + "/ipConfigurations/ip", Name: "ip"}, NIC: n, Primary: true, PrivateIP: pe.IPs[0], Subnet: peSub.ID}}
		pe.NIC = n.ID
		m.PrivateEndpoints = append(m.PrivateEndpoints, pe)
		m.NICs = append(m.NICs, n)
	}

	// The firewall: rules that cannot be decided offline (web categories),
	// application rules on host names, a route table on its subnet, a
	// missing policy.
	fw := m.Firewalls[0]
	for _, p := range m.FirewallPolicies {
		if p.ID.Key() != fw.Policy.Key() {
			continue
		}
		app := &topology.RuleCollection{Name: "app", Priority: 300, Kind: "FirewallPolicyFilterRuleCollection", Action: "Allow",
			Rules: []*topology.FirewallRule{{Name: "partner", Type: "ApplicationRule", Protocols: []string{"Https:443", "Http:80"}, SourceAddresses: []string{"*"}, TargetFqdns: []string{"*.partner.example"}}}}
		if chance(0.5) {
			app.Rules = append(app.Rules, &topology.FirewallRule{Name: "news", Type: "ApplicationRule", Protocols: []string{"Https:443"}, SourceAddresses: []string{"*"}, WebCategories: []string{"News"}})
		}
		p.RuleCollectionGroups = append(p.RuleCollectionGroups, &topology.RuleCollectionGroup{Meta: topology.Meta{Name: "apps"}, Priority: 300, Collections: []*topology.RuleCollection{app}})
	}
	if chance(0.15) {
		fw.Policy, fw.NetworkRuleCollections = id("firewallPolicies", "missing"), nil // not in the input
	}
	if chance(0.6) {
		rt := &topology.RouteTable{Meta: topology.Meta{ID: id("routeTables", "rt-fw"), Name: "rt-fw"}}
		rt.Routes = append(rt.Routes, route.UserRoute{Name: "out", AddressPrefix: "0.0.0.0/0", NextHopType: "Internet"},
			route.UserRoute{Name: "via-nva", AddressPrefix: "9.5.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.2.4"},
			route.UserRoute{Name: "to-self", AddressPrefix: "9.4.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"})
		m.RouteTables = append(m.RouteTables, rt)
		fwSub.RouteTable = rt.ID
	}
	// The NVAs' routes: 9.5/16 comes back to the firewall (a loop through it).
	if rt := routeTable(nvaSub); rt != nil {
		rt.Routes = append(rt.Routes, route.UserRoute{Name: "back-to-fw", AddressPrefix: "9.5.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"})
	}

	// Security admin rules on some spokes.
	admin := &topology.AdminConfig{Meta: topology.Meta{ID: "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/networkManagers/avnm/securityAdminConfigurations/sec", Name: "sec"}}
	for i, acc := range []nsg.Access{nsg.Deny, nsg.AlwaysAllow, nsg.Allow, nsg.Deny} {
		dst := []string{"9.9.9.9", "1.1.1.0/24", "8.8.0.0/16", "10.0.3.0/24"}[i]
		dir := nsg.Outbound
		if i == 3 {
			dir = nsg.Inbound
		}
		admin.Rules = append(admin.Rules, nsg.AdminRule{Name: fmt.Sprintf("a%d", i), Collection: "coll", Priority: 10 + i, Direction: dir, Access: acc,
			Protocol: nsg.ProtocolAny, Sources: []string{"*"}, Destinations: []string{dst}})
	}
	m.AdminConfigs = append(m.AdminConfigs, admin)

	// An NSG Azure would reject (priority below 100).
	bad := &topology.NSG{Meta: topology.Meta{ID: id("networkSecurityGroups", "bad"), Name: "bad"},
		Rules: []nsg.Rule{{Name: "low", Priority: 5, Direction: nsg.Outbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP,
			SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "22"}}}
	m.NSGs = append(m.NSGs, bad)

	lbN := 0
	for si, v := range m.VNets[1:] {
		if chance(0.5) {
			admin.VNets = append(admin.VNets, v.ID)
		}
		if si == 0 {
			// One spoke peers with a VNet outside the input (in another
			// subscription), which holds 10.250.0.0/16.
			ext := &topology.Peering{Meta: topology.Meta{ID: v.ID + "/virtualNetworkPeerings/to-ext", Name: "to-ext"}, Local: v,
				Remote: "/subscriptions/1/resourceGroups/other/providers/Microsoft.Network/virtualNetworks/ext", AllowVirtualNetworkAccess: true,
				AllowForwardedTraffic: true, Connected: true, RemoteAddressSpace: []netip.Prefix{netip.MustParsePrefix("10.250.0.0/16")}}
			// ... and may use its gateway (whose routes are then unknown).
			ext.UseRemoteGateways = !v.Peerings[0].UseRemoteGateways && chance(0.7)
			v.Peerings = append(v.Peerings, ext)
		}
		if si >= 2 && chance(0.2) {
			// A peering that does not allow access to the remote VNet: the
			// peer leaves the VirtualNetwork service tag, so the default
			// rules no longer allow its traffic
			// (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#create-a-peering).
			v.Peerings[0].AllowVirtualNetworkAccess = false
		}
		if si >= 2 && chance(0.1) {
			// A peering that is not connected (Initiated, or Disconnected
			// once the other side was deleted): no routes between the two.
			v.Peerings[0].Connected = false
			for _, p := range hub.Peerings {
				if p.Remote.Key() == v.ID.Key() {
					p.Connected = false
				}
			}
		}
		if si == 1 && chance(0.5) {
			// A dual-stack spoke.
			v6 := netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0, 0, byte(si)}), 48)
			v.AddressSpace = append(v.AddressSpace, v6)
			for k, s := range v.Subnets {
				b := v6.Addr().As16()
				b[7] = byte(k)
				s.Prefixes = append(s.Prefixes, netip.PrefixFrom(netip.AddrFrom16(b), 64))
				for j, n := range nicsIn(s) {
					b[15] = byte(4 + j)
					c := &topology.IPConfig{Meta: topology.Meta{ID: n.ID + "/ipConfigurations/ip6", Name: "ip6"}, NIC: n, PrivateIP: netip.AddrFrom16(b), Subnet: s.ID}
					if chance(0.3) {
						c.PublicIP = newPIP(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, byte(pipN)}))
					}
					n.IPConfigs = append(n.IPConfigs, c)
					dsts = append(dsts, c.PrivateIP)
				}
				if chance(0.5) {
					nat := &topology.NATGateway{Meta: topology.Meta{ID: id("natGateways", fmt.Sprintf("nat6-%d", k)), Name: fmt.Sprintf("nat6-%d", k)}, SKU: "StandardV2"}
					nat.PublicIPs = []topology.Ref{newPIP(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0xee, 0, 0, byte(pipN)}))}
					m.PublicIPs[len(m.PublicIPs)-1].SKU = "StandardV2"
					if chance(0.5) {
						nat.PublicIPs = append(nat.PublicIPs, v4pip())
						m.PublicIPs[len(m.PublicIPs)-1].SKU = "StandardV2"
					}
					m.NATGateways = append(m.NATGateways, nat)
					s.NATGateway = nat.ID
				}
			}
		}
		for _, s := range v.Subnets {
			nics := nicsIn(s)
			rt := routeTable(s)
			switch {
			case chance(0.3):
				// Service endpoint for Storage: its prefixes route to the
				// service directly.
				s.ServiceEndpoints = append(s.ServiceEndpoints, topology.ServiceEndpoint{Service: "Microsoft.Storage", Locations: []string{"eastus"}})
			case chance(0.1):
				s.RouteTable = id("routeTables", "missing-"+s.Name) // not in the input
				rt = nil
			case chance(0.1):
				s.NATGateway = id("natGateways", "missing-"+s.Name) // not in the input
			}
			if rt != nil {
				rt.Routes = append(rt.Routes, route.UserRoute{Name: "to-ilb", AddressPrefix: "9.7.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.2.100"},
					route.UserRoute{Name: "ecmp", AddressPrefix: "9.6.0.0/16", NextHopType: "VirtualApplianceEcmp", NextHopIPAddresses: []string{"10.0.2.5", "10.0.2.4"}},
					route.UserRoute{Name: "fw-back", AddressPrefix: "9.5.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"},
					route.UserRoute{Name: "fw-self", AddressPrefix: "9.4.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"})
				if chance(0.3) {
					rt.Routes = append(rt.Routes, route.UserRoute{Name: "pe-net", AddressPrefix: "10.0.3.0/24", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.2.4"})
				}
				if chance(0.3) {
					rt.Routes = append(rt.Routes, route.UserRoute{Name: "via-aci", AddressPrefix: "9.3.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.4.5"})
				}
				if chance(0.3) {
					rt.Routes = append(rt.Routes, route.UserRoute{Name: "ext-via-nva", AddressPrefix: "10.250.0.0/16", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.250.0.4"})
				}
			}
			// A public load balancer for the subnet's NICs: an outbound rule
			// or load-balancing rules, each for one protocol or all.
			if chance(0.4) && len(nics) > 0 {
				lbN++
				lb := &topology.LoadBalancer{Meta: topology.Meta{ID: id("loadBalancers", fmt.Sprintf("lb%d", lbN)), Name: fmt.Sprintf("lb%d", lbN)}, SKU: "Standard"}
				fe := &topology.Frontend{Meta: topology.Meta{ID: lb.ID + "/frontendIPConfigurations/fe", Name: "fe"}, PublicIP: v4pip()}
				if chance(0.1) {
					fe.PublicIP = id("publicIPAddresses", fmt.Sprintf("missing-lb%d", lbN)) // not in the input
				}
				pool := &topology.BackendPool{Meta: topology.Meta{ID: lb.ID + "/backendAddressPools/pool", Name: "pool"}, ByIPAddress: chance(0.15)}
				lb.Frontends, lb.BackendPools = []*topology.Frontend{fe}, []*topology.BackendPool{pool}
				proto := []string{"Tcp", "Udp", "All"}[r.IntN(3)]
				if chance(0.5) {
					lb.OutboundRules = []*topology.OutboundRule{{Meta: topology.Meta{ID: lb.ID + "/outboundRules/out", Name: "out"}, Frontends: []topology.Ref{fe.ID}, BackendPool: pool.ID, Protocol: proto}}
				} else {
					lb.Rules = []*topology.LBRule{{Meta: topology.Meta{ID: lb.ID + "/loadBalancingRules/web", Name: "web"}, Frontend: fe.ID, BackendPool: pool.ID, Protocol: proto, DisableOutboundSnat: chance(0.2)}}
				}
				m.LoadBalancers = append(m.LoadBalancers, lb)
				for _, n := range nics {
					if chance(0.7) {
						n.IPConfigs[0].BackendPools = append(n.IPConfigs[0].BackendPools, pool.ID)
					}
				}
			}
			for _, n := range nics {
				switch {
				case chance(0.04):
					n.NSG = id("networkSecurityGroups", "missing") // not in the input
				case chance(0.04):
					n.NSG = bad.ID // Azure would reject it
				case chance(0.03):
					n.IPConfigs[0].PublicIP = id("publicIPAddresses", "missing-"+n.Name) // not in the input
				case chance(0.03) && len(n.IPConfigs[0].BackendPools) == 0:
					// (Not with a pool of the input: which of two load
					// balancers' rules serves which protocol is not modelled.)
					n.IPConfigs[0].BackendPools = append(n.IPConfigs[0].BackendPools, id("loadBalancers", "missing")+"/backendAddressPools/pool")
				}
			}
		}
	}
	return twinNetwork{m: m, dsts: dsts}
}
