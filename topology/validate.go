package topology

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/snat"
	"github.com/gaissmai/bart"
)

// Azure limits checked by Validate, from
// https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#azure-resource-manager-virtual-networking-limits
// and https://learn.microsoft.com/azure/nat-gateway/nat-overview.
const (
	MaxSubnetsPerVNet  = 3000
	MaxPeeringsPerVNet = 500
	MaxNATGatewayIPs   = 16
	MaxIPConfigsPerNIC = 256
	MaxASGsPerIPConfig = 20
	minSubnetBits4     = 2  // largest IPv4 subnet: /2
	maxSubnetBits4     = 29 // smallest IPv4 subnet: /29
	ipv6SubnetBits     = 64 // IPv6 subnets are exactly /64
	firewallSubnetName = "AzureFirewallSubnet"
	gatewaySubnetName  = "GatewaySubnet"
	routeServerSubnet  = "RouteServerSubnet"
	firewallMgmtSubnet = "AzureFirewallManagementSubnet"
)

// Validate checks the whole model and returns every problem found, as a
// [*Problems];
// nil means the model is usable. It checks references, address plans (subnets
// inside and not overlapping within their VNet, peered address spaces not
// overlapping, NIC addresses inside their subnet and not reserved), Azure's
// placement rules (no NSG on AzureFirewallSubnet, no NAT gateway on
// GatewaySubnet, a NAT gateway in one VNet only, ASG members and a VM's NICs
// in one VNet), Azure's limits, that every route table compiles against each
// subnet using it and that every NSG, firewall policy and firewall's classic
// rules would compile (tags resolved through tags; nil resolves none), and
// that no firewall has both a policy and classic rules. The overlap checks
// cost O(n log n) in the prefixes of a VNet and its peers.
//
// References to resources the input does not contain are not errors: they
// are external (see [Model.Check]); [Model.ValidateStrict] makes them errors.
func (m *Model) Validate(tags route.TagResolver) error { return m.Check(tags).Err(false) }

// ValidateStrict is [Model.Validate] with references to resources outside
// the input, and the loaders' warnings ([Model.Warnings]), reported as
// errors too.
func (m *Model) ValidateStrict(tags route.TagResolver) error { return m.Check(tags).Err(true) }

// Check validates the model as [Model.Validate] does and sorts what it
// finds by consequence (see [Validation]).
func (m *Model) Check(tags route.TagResolver) *Validation { return m.check(tags, nil) }

// check is Check; with keep it also keeps what it compiles (a Network's
// route tables, NSG groups and firewall engines) instead of dropping it.
func (m *Model) check(tags route.TagResolver, keep *compiled) *Validation {
	var p, rej problems
	m.index(&p)
	m.validateVNets(&p)
	m.validateRefs(&p)
	m.validateNICs(&p)
	m.validateNSGBindings(&p)
	m.validateCompile(&p, &rej, tags, keep)
	m.validateFirewalls(&rej, tags, keep)
	m.validateClassic(&rej, tags, keep)
	var w warnList
	m.validatePaaS(&p, &w)
	m.validatePerimeters(&p, &w)
	m.validateFlowLogs(&p)
	m.validateInjected(&p, &w)
	v := newValidation(m, &p, &rej)
	for _, e := range w.list {
		v.Warnings = append(v.Warnings, e)
	}
	return v
}

func (m *Model) validateVNets(p *problems) {
	for _, v := range m.VNets {
		if len(v.AddressSpace) == 0 {
			p.add(v.Pos, string(v.ID), "addressSpace", "", ErrMissing, "a virtual network needs at least one address range")
		}
		space := make([]ownedPrefix, len(v.AddressSpace))
		for i, a := range v.AddressSpace {
			space[i] = ownedPrefix{a, i}
		}
		spaceOverlaps := newOverlapFinder(space)
		for i, a := range v.AddressSpace {
			p.addOverlaps(spaceOverlaps, i, func(j int) {
				p.add(v.Pos, string(v.ID), "addressSpace", a.String(), ErrOverlap, "overlaps %v of the same VNet", v.AddressSpace[j])
			})
		}
		if len(v.Subnets) > MaxSubnetsPerVNet {
			p.add(v.Pos, string(v.ID), "subnets", "", ErrLimit, "%d subnets, at most %d", len(v.Subnets), MaxSubnetsPerVNet)
		}
		if len(v.Peerings) > MaxPeeringsPerVNet {
			p.add(v.Pos, string(v.ID), "virtualNetworkPeerings", "", ErrLimit, "%d peerings, at most %d", len(v.Peerings), MaxPeeringsPerVNet)
		}
		inSpace := spaceCover(v.AddressSpace)
		var prefixes []ownedPrefix
		for si, s := range v.Subnets {
			for _, sp := range s.Prefixes {
				prefixes = append(prefixes, ownedPrefix{sp, si})
			}
		}
		subnetOverlaps := newOverlapFinder(prefixes)
		names := map[string]bool{}
		item := 0 // index in prefixes of the subnet prefix at hand
		for _, s := range v.Subnets {
			if names[strings.ToLower(s.Name)] {
				p.add(s.Pos, string(s.ID), "name", s.Name, ErrDuplicate, "two subnets of one VNet share the name")
			}
			names[strings.ToLower(s.Name)] = true
			if len(s.Prefixes) == 0 {
				p.add(s.Pos, string(s.ID), "addressPrefix", "", ErrMissing, "")
			}
			for _, sp := range s.Prefixes {
				if !inSpace(sp) {
					p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrInvalid, "outside the VNet's address space %v", v.AddressSpace)
				}
				switch {
				case sp.Addr().Is4() && (sp.Bits() < minSubnetBits4 || sp.Bits() > maxSubnetBits4):
					p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrLimit, "IPv4 subnets are /%d to /%d", minSubnetBits4, maxSubnetBits4)
				case sp.Addr().Is6() && sp.Bits() != ipv6SubnetBits:
					p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrInvalid, "IPv6 subnets must be /64")
				}
				p.addOverlaps(subnetOverlaps, item, func(j int) {
					p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrOverlap, "overlaps subnet %q (%v)", v.Subnets[prefixes[j].owner].Name, prefixes[j].p)
				})
				item++
			}
			// https://learn.microsoft.com/azure/firewall/firewall-faq: NSGs are not supported on AzureFirewallSubnet.
			if strings.EqualFold(s.Name, firewallSubnetName) && !s.NSG.IsZero() {
				p.add(s.Pos, string(s.ID), "networkSecurityGroup", string(s.NSG), ErrNotAllowed, "Azure does not support an NSG on AzureFirewallSubnet")
			}
			// https://learn.microsoft.com/azure/nat-gateway/nat-overview: not on GatewaySubnet.
			if strings.EqualFold(s.Name, gatewaySubnetName) && !s.NATGateway.IsZero() {
				p.add(s.Pos, string(s.ID), "natGateway", string(s.NATGateway), ErrNotAllowed, "a NAT gateway cannot be associated with GatewaySubnet")
			}
		}
		m.validatePeerings(p, v)
	}
}

// validatePeerings checks v's peerings: each remote VNet exists, is not v and
// does not overlap v; at most one uses the remote gateway, and not when v has
// its own; the VNets v peers with do not overlap each other. The overlap
// checks cost O(n log n) in the address prefixes involved.
func (m *Model) validatePeerings(p *problems, v *VNet) {
	if len(v.Peerings) == 0 {
		return
	}
	peers := []*VNet{v}
	remotes := make([]*VNet, len(v.Peerings)) // nil when dangling
	seen := map[*VNet]bool{v: true}
	for i, pe := range v.Peerings {
		if r, ok := m.VNet(pe.Remote); ok {
			remotes[i] = r
			if !seen[r] {
				seen[r] = true
				peers = append(peers, r)
			}
		}
	}
	// The local check is needed per peering however many there are; the
	// check between peers only for as many as Azure allows (above that,
	// the limit is reported and the pairs would be meaningless).
	var rel map[*VNet]map[*VNet][]int
	if len(v.Peerings) <= MaxPeeringsPerVNet {
		rel = peerOverlaps(peers)
	}
	local := localOverlaps(v)
	for i, pe := range v.Peerings {
		remote := remotes[i]
		if remote == nil { // outside the input (external), or no reference
			checkRef[*VNet](m, p, pe.Pos, string(pe.ID), "remoteVirtualNetwork", pe.Remote, "virtual network")
			// What the peering says of a VNet outside the input.
			p.addEach(local.of(pe.RemoteAddressSpace), func(k int) {
				p.add(pe.Pos, string(pe.ID), "remoteAddressSpace", pe.RemoteAddressSpace[k].String(), ErrOverlap, "overlaps the local address space %v; Azure cannot peer overlapping VNets", v.AddressSpace)
			})
			continue
		}
		if remote == v {
			p.add(pe.Pos, string(pe.ID), "remoteVirtualNetwork", string(pe.Remote), ErrInvalid, "a VNet cannot peer with itself")
			continue
		}
		p.addEach(local.vnet(remote), func(k int) {
			p.add(pe.Pos, string(pe.ID), "remoteAddressSpace", remote.AddressSpace[k].String(), ErrOverlap, "overlaps the local address space %v; Azure cannot peer overlapping VNets", v.AddressSpace)
		})
	}
	// https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#create-a-peering:
	// "Only one peering for this virtual network can have this setting
	// enabled", and "you can't use remote gateways if you already have a
	// gateway configured in your virtual network".
	var remoteGW *Peering
	for _, pe := range v.Peerings {
		if !pe.UseRemoteGateways {
			continue
		}
		if remoteGW != nil {
			p.add(pe.Pos, string(pe.ID), "useRemoteGateways", "true", ErrNotAllowed,
				"peering %q already uses the remote gateway; Azure allows one such peering per virtual network", remoteGW.Name)
		} else {
			remoteGW = pe
		}
		for _, g := range m.Gateways {
			if g.VNet.Key() == v.ID.Key() {
				p.add(pe.Pos, string(pe.ID), "useRemoteGateways", "true", ErrNotAllowed,
					"the virtual network has its own gateway %q; it cannot use a remote one", g.Name)
			}
		}
	}
	if rel == nil {
		return
	}
	// Peers of one VNet must not overlap each other either: both would
	// be routed from v.
	for i, a := range v.Peerings {
		ra := remotes[i]
		if ra == nil {
			continue
		}
		for j := range i {
			rb := remotes[j]
			if rb == nil || rb == ra {
				continue
			}
			p.addEach(rel[ra][rb], func(k int) {
				p.add(a.Pos, string(a.ID), "remoteAddressSpace", ra.AddressSpace[k].String(), ErrOverlap, "overlaps the address space of %q, also peered with %q", rb.Name, v.Name)
			})
		}
	}
}

// localSpace answers which prefixes of a list, or of a VNet's address space,
// overlap v's address space; a VNet's answer is computed once.
type localSpace struct {
	t    bart.Lite
	memo map[*VNet][]int
}

func localOverlaps(v *VNet) *localSpace {
	l := &localSpace{memo: map[*VNet][]int{}}
	for _, a := range v.AddressSpace {
		l.t.Insert(a)
	}
	return l
}

// of returns the indexes of the prefixes of ps that overlap the space.
func (l *localSpace) of(ps []netip.Prefix) []int {
	var ks []int
	for k, a := range ps {
		if a.IsValid() && l.t.OverlapsPrefix(a) {
			ks = append(ks, k)
		}
	}
	return ks
}

// vnet is of for r's address space, computed once per VNet.
func (l *localSpace) vnet(r *VNet) []int {
	ks, ok := l.memo[r]
	if !ok {
		ks = l.of(r.AddressSpace)
		l.memo[r] = ks
	}
	return ks
}

// addEach reports one problem for each of items through report, in order;
// past the problem cap it only counts them.
func (p *problems) addEach(items []int, report func(int)) {
	for k, it := range items {
		if p.full() {
			p.extra += len(items) - k
			return
		}
		report(it)
	}
}

// spaceCover returns a function reporting whether a prefix lies inside one
// of the address ranges of space.
func spaceCover(space []netip.Prefix) func(netip.Prefix) bool {
	if len(space) <= 8 {
		return func(p netip.Prefix) bool { return insideAny(p, space) }
	}
	var t bart.Lite
	for _, a := range space {
		t.Insert(a)
	}
	return t.LookupPrefix
}

func insideAny(p netip.Prefix, in []netip.Prefix) bool {
	for _, o := range in {
		if o.Bits() <= p.Bits() && o.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

// checkRef checks one reference: a resource of the input, or external (a
// reference to a resource the input does not contain, recorded apart from
// the errors). ok is false for both the zero Ref and an external one.
func checkRef[T any](m *Model, p *problems, pos Pos, res, field string, r Ref, kind string) (T, bool) {
	var zero T
	if r.IsZero() {
		return zero, false
	}
	t, ok := lookup[T](m, r)
	if !ok {
		p.external = append(p.external, &Error{Pos: pos, Resource: res, Field: field, Value: string(r), Kind: ErrExternal,
			Detail: fmt.Sprintf("no %s with this ID in the input", kind)})
	}
	return t, ok
}

func (m *Model) validateRefs(p *problems) {
	natVNet := map[string]*VNet{}
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			checkRef[*RouteTable](m, p, s.Pos, string(s.ID), "routeTable", s.RouteTable, "route table")
			checkRef[*NSG](m, p, s.Pos, string(s.ID), "networkSecurityGroup", s.NSG, "network security group")
			if ng, ok := checkRef[*NATGateway](m, p, s.Pos, string(s.ID), "natGateway", s.NATGateway, "NAT gateway"); ok {
				if prev, ok := natVNet[ng.ID.Key()]; ok && prev != v {
					p.add(s.Pos, string(s.ID), "natGateway", string(s.NATGateway), ErrNotAllowed, "NAT gateway %q already serves VNet %q; a NAT gateway serves one VNet", ng.Name, prev.Name)
				}
				natVNet[ng.ID.Key()] = v
			}
		}
	}
	vnetNAT := map[string]*NATGateway{} // VNet key → the NAT gateway attached to all of it
	for _, n := range m.NATGateways {
		m.validateNATGateway(p, n, natVNet)
		if k := n.SourceVirtualNetwork.Key(); k != "" {
			if prev, ok := vnetNAT[k]; ok {
				p.add(n.Pos, string(n.ID), "sourceVirtualNetwork", string(n.SourceVirtualNetwork), ErrNotAllowed,
					"NAT gateway %q is already attached to this virtual network", prev.Name)
			} else {
				vnetNAT[k] = n
			}
		}
	}
	for _, lb := range m.LoadBalancers {
		for _, f := range lb.Frontends {
			checkRef[*PublicIP](m, p, f.Pos, string(f.ID), "publicIPAddress", f.PublicIP, "public IP")
			checkRef[*Subnet](m, p, f.Pos, string(f.ID), "subnet", f.Subnet, "subnet")
		}
		for _, r := range lb.Rules {
			checkRef[*Frontend](m, p, r.Pos, string(r.ID), "frontendIPConfiguration", r.Frontend, "frontend")
			checkRef[*BackendPool](m, p, r.Pos, string(r.ID), "backendAddressPool", r.BackendPool, "backend pool")
		}
		for _, r := range lb.OutboundRules {
			for _, f := range r.Frontends {
				checkRef[*Frontend](m, p, r.Pos, string(r.ID), "frontendIPConfigurations", f, "frontend")
			}
			checkRef[*BackendPool](m, p, r.Pos, string(r.ID), "backendAddressPool", r.BackendPool, "backend pool")
			m.validateAllocatedPorts(p, r)
		}
	}
	for _, g := range m.Gateways {
		if v, ok := checkRef[*VNet](m, p, g.Pos, string(g.ID), "vnet", g.VNet, "virtual network"); ok && !hasSubnet(v, gatewaySubnetName) {
			p.add(g.Pos, string(g.ID), "vnet", string(g.VNet), ErrInvalid, "the VNet has no GatewaySubnet")
		}
		for _, r := range g.PublicIPs {
			checkRef[*PublicIP](m, p, g.Pos, string(g.ID), "ipConfigurations.publicIPAddress", r, "public IP")
		}
		checkRef[*LocalNetworkGateway](m, p, g.Pos, string(g.ID), "gatewayDefaultSite", g.DefaultSite, "local network gateway")
		if g.Type != GatewayVpn && !g.DefaultSite.IsZero() {
			// https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling: a default site is a VPN gateway setting.
			p.add(g.Pos, string(g.ID), "gatewayDefaultSite", string(g.DefaultSite), ErrNotAllowed, "only a VPN gateway has a default site")
		}
	}
	for _, c := range m.Connections {
		checkRef[*Gateway](m, p, c.Pos, string(c.ID), "virtualNetworkGateway1", c.Gateway, "gateway")
		checkRef[*LocalNetworkGateway](m, p, c.Pos, string(c.ID), "localNetworkGateway2", c.LocalGateway, "local network gateway")
		checkRef[*Gateway](m, p, c.Pos, string(c.ID), "virtualNetworkGateway2", c.Peer, "gateway")
	}
	for _, r := range m.RouteServers {
		checkRef[*VNet](m, p, r.Pos, string(r.ID), "vnet", r.VNet, "virtual network")
	}
	for _, pe := range m.PrivateEndpoints {
		if s, ok := checkRef[*Subnet](m, p, pe.Pos, string(pe.ID), "subnet", pe.Subnet, "subnet"); ok {
			for _, ip := range pe.IPs {
				if !containsAddr(s.Prefixes, ip) {
					p.add(pe.Pos, string(pe.ID), "privateIPAddress", ip.String(), ErrInvalid, "outside its subnet %v", s.Prefixes)
				}
			}
		}
	}
	for _, f := range m.Firewalls {
		if v, ok := checkRef[*VNet](m, p, f.Pos, string(f.ID), "vnet", f.VNet, "virtual network"); ok {
			s := subnetNamed(v, firewallSubnetName)
			switch {
			case s == nil:
				p.add(f.Pos, string(f.ID), "vnet", string(f.VNet), ErrInvalid, "the VNet has no AzureFirewallSubnet")
			case f.PrivateIP.IsValid() && !containsAddr(s.Prefixes, f.PrivateIP):
				p.add(f.Pos, string(f.ID), "privateIPAddress", f.PrivateIP.String(), ErrInvalid, "outside AzureFirewallSubnet %v", s.Prefixes)
			}
		}
		for _, r := range f.PublicIPs {
			checkRef[*PublicIP](m, p, f.Pos, string(f.ID), "publicIPAddress", r, "public IP")
		}
		checkRef[*FirewallPolicy](m, p, f.Pos, string(f.ID), "firewallPolicy", f.Policy, "firewall policy")
	}
	for _, fp := range m.FirewallPolicies {
		checkRef[*FirewallPolicy](m, p, fp.Pos, string(fp.ID), "basePolicy", fp.Parent, "firewall policy")
	}
	for _, ac := range m.AdminConfigs {
		for _, v := range ac.VNets {
			checkRef[*VNet](m, p, ac.Pos, string(ac.ID), "vnets", v, "virtual network")
		}
	}
}

// validateNATGateway checks a NAT gateway against its SKU's row of
// https://learn.microsoft.com/azure/nat-gateway/nat-sku (LookupNATGatewaySKU):
// address families and counts, the public IPs' SKU, and the attachment to a
// whole VNet. natVNet holds the VNet its subnets are in.
func (m *Model) validateNATGateway(p *problems, n *NATGateway, natVNet map[string]*VNet) {
	res := string(n.ID)
	sku, ok := LookupNATGatewaySKU(n.SKU)
	if !ok {
		p.add(n.Pos, res, "sku.name", n.SKU, ErrInvalid, "want Standard or StandardV2")
		return
	}
	v4, v6 := 0, 0
	count := func(field, ref, pipSKU string, a netip.Addr, bits int) {
		size := 1
		if bits >= 0 && a.IsValid() {
			size = 1 << min(max(a.BitLen()-bits, 0), 30)
		}
		if a.Is6() {
			v6 += size
			if !sku.IPv6 {
				p.add(n.Pos, res, field, ref, ErrNotAllowed, "a %s NAT gateway uses IPv4 public IPs only; IPv6 needs StandardV2", sku.Name)
			}
		} else {
			v4 += size
		}
		if sku.PublicIPSKU != "" && pipSKU != "" && !strings.EqualFold(pipSKU, sku.PublicIPSKU) {
			p.add(n.Pos, res, field, ref, ErrNotAllowed, "a %s NAT gateway requires %s public IPs and prefixes, not %s", sku.Name, sku.PublicIPSKU, pipSKU)
		}
	}
	for _, r := range n.PublicIPs {
		if ip, ok := checkRef[*PublicIP](m, p, n.Pos, res, "publicIpAddresses", r, "public IP"); ok {
			count("publicIpAddresses", string(r), ip.SKU, ip.Address, -1)
		} else {
			v4++
		}
	}
	for _, r := range n.PublicIPPrefixes {
		if pp, ok := checkRef[*PublicIPPrefix](m, p, n.Pos, res, "publicIpPrefixes", r, "public IP prefix"); ok {
			count("publicIpPrefixes", string(r), pp.SKU, pp.Prefix.Addr(), pp.Prefix.Bits())
		} else {
			v4++
		}
	}
	if v4 > sku.MaxIPv4 {
		p.add(n.Pos, res, "publicIpAddresses", "", ErrLimit, "%d public IPv4 addresses (prefixes counted in full), at most %d", v4, sku.MaxIPv4)
	}
	if sku.IPv6 && v6 > sku.MaxIPv6 {
		p.add(n.Pos, res, "publicIpAddressesV6", "", ErrLimit, "%d public IPv6 addresses (prefixes counted in full), at most %d", v6, sku.MaxIPv6)
	}
	if n.SourceVirtualNetwork.IsZero() {
		return
	}
	if !sku.VNetAttach {
		p.add(n.Pos, res, "sourceVirtualNetwork", string(n.SourceVirtualNetwork), ErrNotAllowed, "only a StandardV2 NAT gateway attaches to a whole virtual network")
	}
	if v, ok := checkRef[*VNet](m, p, n.Pos, res, "sourceVirtualNetwork", n.SourceVirtualNetwork, "virtual network"); ok {
		if prev, ok := natVNet[n.ID.Key()]; ok && prev != v {
			p.add(n.Pos, res, "sourceVirtualNetwork", string(n.SourceVirtualNetwork), ErrNotAllowed, "the NAT gateway also serves subnets of VNet %q; a NAT gateway serves one VNet", prev.Name)
		}
	}
}

func hasSubnet(v *VNet, name string) bool { return subnetNamed(v, name) != nil }

func subnetNamed(v *VNet, name string) *Subnet {
	for _, s := range v.Subnets {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

func containsAddr(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// reservedInSubnet reports whether a is one of the five addresses Azure
// reserves in every IPv4 subnet: the network address, .1 (gateway), .2 and .3
// (DNS), and the broadcast address
// (https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets).
func reservedInSubnet(p netip.Prefix, a netip.Addr) bool {
	if !a.Is4() {
		return false
	}
	first := p.Masked().Addr()
	if a == first || a == first.Next() || a == first.Next().Next() || a == first.Next().Next().Next() {
		return true
	}
	last := first
	b := last.As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return a == netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func (m *Model) validateNICs(p *problems) {
	type owner struct {
		nic *NIC
		vn  *VNet
	}
	addrs := map[netip.Addr][]owner{}
	asgVNet := map[string]*VNet{}
	vmVNet := map[string]owner{} // a VM's first NIC seen, and its VNet
	for _, n := range m.NICs {
		checkRef[*NSG](m, p, n.Pos, string(n.ID), "networkSecurityGroup", n.NSG, "network security group")
		if len(n.IPConfigs) > MaxIPConfigsPerNIC {
			p.add(n.Pos, string(n.ID), "ipConfigurations", "", ErrLimit, "%d IP configurations, at most %d", len(n.IPConfigs), MaxIPConfigsPerNIC)
		}
		var nicVNet *VNet
		for _, c := range n.IPConfigs {
			res := string(c.ID)
			if res == "" {
				res = string(n.ID)
			}
			s, ok := checkRef[*Subnet](m, p, c.Pos, res, "subnet", c.Subnet, "subnet")
			if c.Subnet.IsZero() {
				p.add(c.Pos, res, "subnet", "", ErrMissing, "")
			}
			checkRef[*PublicIP](m, p, c.Pos, res, "publicIPAddress", c.PublicIP, "public IP")
			for _, bp := range c.BackendPools {
				checkRef[*BackendPool](m, p, c.Pos, res, "loadBalancerBackendAddressPools", bp, "load balancer backend pool")
			}
			if len(c.ASGs) > MaxASGsPerIPConfig {
				p.add(c.Pos, res, "applicationSecurityGroups", "", ErrLimit, "%d ASGs, at most %d per IP configuration", len(c.ASGs), MaxASGsPerIPConfig)
			}
			if !ok {
				continue
			}
			if nicVNet != nil && nicVNet != s.VNet {
				p.add(c.Pos, res, "subnet", string(c.Subnet), ErrInvalid, "all IP configurations of a NIC must be in one VNet")
			}
			nicVNet = s.VNet
			if !c.PrivateIP.IsValid() {
				continue
			}
			if !containsAddr(s.Prefixes, c.PrivateIP) {
				p.add(c.Pos, res, "privateIPAddress", c.PrivateIP.String(), ErrInvalid, "outside its subnet %v", s.Prefixes)
			} else {
				for _, sp := range s.Prefixes {
					if sp.Contains(c.PrivateIP) && reservedInSubnet(sp, c.PrivateIP) {
						p.add(c.Pos, res, "privateIPAddress", c.PrivateIP.String(), ErrInvalid, "Azure reserves the first four and the last address of subnet %v", sp)
					}
				}
			}
			for _, o := range addrs[c.PrivateIP] {
				if o.vn == s.VNet && o.nic != n {
					p.add(c.Pos, res, "privateIPAddress", c.PrivateIP.String(), ErrDuplicate, "also the address of NIC %q", o.nic.Name)
				}
			}
			addrs[c.PrivateIP] = append(addrs[c.PrivateIP], owner{n, s.VNet})
			// https://learn.microsoft.com/azure/virtual-network/application-security-groups:
			// all members of an ASG must be in one VNet.
			for _, a := range c.ASGs {
				if _, ok := checkRef[*ASG](m, p, c.Pos, res, "applicationSecurityGroups", a, "application security group"); !ok {
					continue
				}
				if prev, ok := asgVNet[a.Key()]; ok && prev != s.VNet {
					p.add(c.Pos, res, "applicationSecurityGroups", string(a), ErrInvalid, "the ASG already has members in VNet %q; an ASG's members must share one VNet", prev.Name)
				}
				asgVNet[a.Key()] = s.VNet
			}
		}
		// The NICs of a VM may be in different subnets but must be in one
		// VNet (https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface-vm#constraints).
		if !n.VirtualMachine.IsZero() && nicVNet != nil {
			if o, ok := vmVNet[n.VirtualMachine.Key()]; !ok {
				vmVNet[n.VirtualMachine.Key()] = owner{n, nicVNet}
			} else if o.vn != nicVNet {
				p.add(n.Pos, string(n.ID), "virtualMachine", string(n.VirtualMachine), ErrInvalid,
					"the VM's NIC %q is in VNet %q, this one in %q: a VM's NICs must share one VNet", o.nic.Name, o.vn.Name, nicVNet.Name)
			}
		}
	}
}

// validateNSGBindings checks that the NSGs that apply to a NIC (its own and
// its subnet's; a private endpoint's only with NSG network policies) name
// only ASGs of the NIC's VNet, which Azure requires of the NICs an NSG
// applies to (https://learn.microsoft.com/azure/virtual-network/application-security-groups#allow-database-businesslogic;
// package nsg refuses to bind such an NSG to the NIC).
func (m *Model) validateNSGBindings(p *problems) {
	if len(m.ASGs) == 0 {
		return
	}
	asgs := newASGIndex(m)
	vnetsOf := map[*NSG][]string{} // an NSG's ASGs' VNets
	vnets := func(g *NSG) []string {
		vs, ok := vnetsOf[g]
		if ok {
			return vs
		}
		for _, r := range g.Rules {
			for _, id := range slices.Concat(r.SourceApplicationSecurityGroups, r.DestinationApplicationSecurityGroups) {
				if v := asgs[strings.ToLower(id)].vnet; v != "" && !slices.ContainsFunc(vs, func(w string) bool { return strings.EqualFold(v, w) }) {
					vs = append(vs, v)
				}
			}
		}
		vnetsOf[g] = vs
		return vs
	}
	for _, n := range m.NICs {
		ipc := n.Primary()
		if ipc == nil {
			continue
		}
		s, ok := m.Subnet(ipc.Subnet)
		if !ok || !n.PrivateEndpoint.IsZero() && !s.PrivateEndpointPolicies.NSGs() {
			continue
		}
		check := func(ref Ref, field, value, whose string) {
			g, ok := m.NSG(ref)
			if !ok {
				return
			}
			for _, v := range vnets(g) {
				if !strings.EqualFold(v, string(s.VNet.ID)) {
					p.add(n.Pos, string(n.ID), field, value, ErrNotAllowed, "%s NSG %q names an ASG of virtual network %q, the NIC is in %q: the ASGs of an NSG's rules must be in the VNet of the NICs it applies to",
						whose, g.Name, Ref(v).Name(), s.VNet.Name)
					return
				}
			}
		}
		check(n.NSG, "networkSecurityGroup", string(n.NSG), "its")
		check(s.NSG, "subnet", string(ipc.Subnet), "its subnet's")
	}
}

// validateCompile compiles each route table against each subnet using it,
// and checks each NSG (nsg.Check: every problem Compile would report,
// without building the tables), so that rule-level problems surface at load
// time with the rule's position. A route table's or an NSG's own problems
// make it a resource Azure would reject (rej); a subnet's, an error (p).
// With keep, the NSGs are compiled (on every core, sharing tag expansions)
// and the subnets' tables, the groups and the problems kept.
func (m *Model) validateCompile(p, rej *problems, tags route.TagResolver, keep *compiled) {
	if len(p.errs) > 0 {
		return // broken references would only repeat themselves here
	}
	rejected := map[*RouteTable]bool{}
	// Route tables on their own, once each: the problems of the table itself.
	placeholder := []netip.Prefix{netip.MustParsePrefix("198.18.0.0/15")} // RFC 2544 benchmarking range
	for _, rt := range m.RouteTables {
		_, err := route.Compile(route.Config{Name: string(rt.ID), AddressSpace: placeholder, Tags: tags,
			RouteTable: &route.RouteTable{Name: string(rt.ID), Routes: CompilableRoutes(rt.Routes), DisableBGPRoutePropagation: rt.DisableBGPRoutePropagation}})
		for _, e := range unjoin(err) {
			pos := rt.Pos
			var re *route.Error
			if errors.As(e, &re) && inRange(re.Index("routes"), len(rt.RoutePos)) {
				pos = rt.RoutePos[re.Index("routes")]
			}
			rej.addErr(pos, string(rt.ID), e)
			rejected[rt] = true
		}
		if keep != nil && err != nil {
			keep.routeTableErr[rt] = err
		}
	}
	// Then each subnet: what its peerings, gateways and endpoints add (a
	// rejected table left out: its problems are reported once).
	gr := m.Graph()
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			cfg := m.RouteConfig(s, gr, tags)
			if rt, ok := m.RouteTable(s.RouteTable); ok && rejected[rt] {
				cfg.RouteTable = nil
			}
			tb, err := route.Compile(cfg)
			for _, e := range unjoin(err) {
				p.addErr(s.Pos, string(s.ID), e)
			}
			if keep != nil {
				keep.routes[s] = tb
			}
		}
	}
	res := nsg.Resolvers{Tags: tags, ASGs: newASGIndex(m)}
	errs := make([]error, len(m.NSGs))
	if keep == nil {
		for i, g := range m.NSGs {
			errs[i] = nsg.Check(nsg.SecurityGroup{ID: string(g.ID), Rules: g.Rules}, res)
		}
	} else {
		// Compiled on every core: nsg.Compile is pure, and with the shared
		// cache each service tag is expanded, and each partition of the
		// address space built, once for the whole network. Results are
		// stored by position, so nothing depends on the schedule.
		res.Cache = &nsg.Cache{}
		keep.res = res
		keep.groups = make([]*nsg.Group, len(m.NSGs))
		parallel(len(m.NSGs), func(i int) {
			g := m.NSGs[i]
			keep.groups[i], errs[i] = nsg.Compile(nsg.SecurityGroup{ID: string(g.ID), Rules: g.Rules}, res)
		})
		keep.nsgErr = errs
	}
	for i, g := range m.NSGs {
		err := errs[i]
		for _, e := range unjoin(err) {
			pos := g.Pos
			var ne *nsg.Error
			if errors.As(e, &ne) && inRange(ne.Index("securityRules"), len(g.RulePos)) {
				pos = g.RulePos[ne.Index("securityRules")]
			}
			rej.addErr(pos, string(g.ID), e)
		}
	}
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// addErr records an engine's error (route, nsg, firewall) at the model's
// position: the engine's own [Error] with the position and the resource's ID
// filled in (the items, field, value, kind and detail are the engine's).
func (p *problems) addErr(pos Pos, resource string, err error) {
	e, ok := err.(*Error)
	if !ok {
		p.add(pos, resource, "", "", err, "")
		return
	}
	c := *e
	c.Pos, c.Resource = pos, resource
	p.addError(&c)
}

// validateAllocatedPorts checks an outbound rule's allocatedOutboundPorts
// as Azure does when it accepts the rule
// (https://learn.microsoft.com/azure/load-balancer/outbound-rules, "Modify
// SNAT port allocation"): a multiple of 8, at most 64,000, and no more
// ports for the backend pool than its frontend IPs hold. The pool's size
// is counted from the IP configurations of the input, and the frontends'
// addresses from their public IPs and prefixes; when a frontend's public
// IP is not in the input the last check is skipped.
func (m *Model) validateAllocatedPorts(p *problems, r *OutboundRule) {
	if r.AllocatedOutboundPorts == 0 {
		return
	}
	ips, known := m.FrontendAddresses(r.Frontends)
	if !known {
		ips = 0
	}
	if msg := snat.CheckAllocation(r.AllocatedOutboundPorts, ips, m.BackendPoolSize(r.BackendPool)); msg != "" {
		p.add(r.Pos, string(r.ID), "allocatedOutboundPorts", fmt.Sprint(r.AllocatedOutboundPorts), ErrInvalid, "%s", msg)
	}
}

// BackendPoolSize is the number of IP configurations of the model in the
// load balancer backend pool pool.
func (m *Model) BackendPoolSize(pool Ref) int {
	n := 0
	for _, nic := range m.NICs {
		for _, c := range nic.IPConfigs {
			for _, bp := range c.BackendPools {
				if bp.Key() == pool.Key() {
					n++
				}
			}
		}
	}
	return n
}

// FrontendAddresses counts the IPv4 addresses of the load-balancer frontends refs:
// one per public IP, every address of a public IP prefix. known is false
// when a frontend or its public IP or prefix is not in the model.
func (m *Model) FrontendAddresses(refs []Ref) (n int, known bool) {
	known = true
	for _, ref := range refs {
		fe, ok := lookup[*Frontend](m, ref)
		if !ok {
			known = false
			continue
		}
		if !fe.PublicIP.IsZero() {
			if pip, ok := lookup[*PublicIP](m, fe.PublicIP); !ok || !pip.Address.IsValid() {
				known = false
			} else if pip.Address.Is4() {
				n++
			}
		}
		if !fe.PublicIPPrefix.IsZero() {
			if pp, ok := lookup[*PublicIPPrefix](m, fe.PublicIPPrefix); !ok || !pp.Prefix.IsValid() {
				known = false
			} else if pp.Prefix.Addr().Is4() {
				n += 1 << (32 - pp.Prefix.Bits())
			}
		}
	}
	return n, known
}
