package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/snat"
	"github.com/egresslab/egress/topology"
)

// egressSet is one way out to the internet: the method, the public
// addresses (and prefixes) it may use, the protocols it carries, and why it
// was chosen.
type egressSet struct {
	method   Method
	ips      []netip.Addr
	prefixes []netip.Prefix
	why      string // the resource that provides it, or why there is none
	assume   string // an assumption the choice relies on, stated in results; "" for none
	unstable bool   // the IP may change or is chosen by the platform among several
	carry    carry  // what it carries beyond TCP and UDP
	// unsure marks the protocols for which the choice depends on a resource
	// the input does not contain (carryAll and the TCP/UDP bit: every flow):
	// flows of those protocols are Unknown, with the path shown.
	unsure carry
	// pool is the SNAT port inventory the method draws on
	// ([Engine.Capacity]); its Kind is snat.KindUnknown for methods
	// without Azure SNAT.
	pool snat.Pool
}

// carry says which protocols beyond TCP and UDP an egress method carries.
type carry uint8

const (
	carryICMP  carry = 1 << iota // ICMP echo (IPv4 and IPv6)
	carryOther                   // every other IP protocol (ESP, AH, GRE, ...)
	carryPorts                   // TCP and UDP: used only in unsure
	carryNoTCP                   // TCP is not carried: a load-balancer rule for UDP only
	carryNoUDP                   // UDP is not carried: a load-balancer rule for TCP only
	carryAll   = carryICMP | carryOther
)

// protoBit is the carry bit of protocol p.
func protoBit(p ipproto.Proto) carry {
	switch p {
	case ipproto.TCP, ipproto.UDP:
		return carryPorts
	case ipproto.ICMP, ipproto.ICMPv6:
		return carryICMP
	}
	return carryOther
}

// carries reports whether the method carries protocol p: a NAT gateway
// carries TCP and UDP, and ICMP echo if it is StandardV2 (nat-sku: "Other IP
// protocols aren't supported"); default outbound access carries no ICMP
// (default-outbound-access); a load-balancer rule carries its own protocol
// (see lbCarry); the other methods carry everything. An ICMP flow is taken
// as an echo request, the ICMP a StandardV2 NAT gateway carries.
func (es *egressSet) carries(p ipproto.Proto) bool {
	switch p {
	case ipproto.TCP:
		return es.carry&carryNoTCP == 0
	case ipproto.UDP:
		return es.carry&carryNoUDP == 0
	}
	return es.carry&protoBit(p) != 0
}

// lbCarry is what a load-balancer outbound rule or load-balancing rule of
// the given protocol ("Tcp", "Udp", "All") gives outbound SNAT to. Outbound
// rules choose "which protocols to provide outbound translation for"
// (https://learn.microsoft.com/azure/load-balancer/outbound-rules), and a
// load-balancing rule's "outbound SNAT programming depends on the transport
// protocol of the inbound load-balancing rule"
// (https://learn.microsoft.com/azure/load-balancer/skus). What "All" carries
// beyond TCP and UDP is undocumented: taken as everything.
func lbCarry(protocol string) carry {
	switch strings.ToLower(protocol) {
	case "tcp":
		return carryNoUDP
	case "udp":
		return carryNoTCP
	}
	return carryAll
}

func (e *Engine) intern(s egressSet) int32 {
	e.egress = append(e.egress, s)
	return int32(len(e.egress) - 1)
}

// publicIPs collects the addresses and prefixes of public IP resources of one
// family.
func (e *Engine) publicIPs(refs, prefixes []topology.Ref, v6 bool) ([]netip.Addr, []netip.Prefix) {
	var ips []netip.Addr
	var ps []netip.Prefix
	for _, r := range refs {
		if p, ok := e.net.PublicIP(r); ok && p.Address.IsValid() && p.Address.Is6() == v6 {
			ips = append(ips, p.Address)
		}
	}
	for _, r := range prefixes {
		if pp, ok := e.net.PublicIPPrefix(r); ok && pp.Prefix.IsValid() && pp.Prefix.Addr().Is6() == v6 {
			ps = append(ps, pp.Prefix)
		}
	}
	return ips, ps
}

// externalIPs names the public IPs and prefixes of refs and prefixes that
// are not in the input (their addresses, and families, are unknown).
func (e *Engine) externalIPs(refs, prefixes []topology.Ref) []string {
	var out []string
	for _, r := range refs {
		if _, ok := e.net.PublicIP(r); !ok {
			out = append(out, r.Name())
		}
	}
	for _, r := range prefixes {
		if _, ok := e.net.PublicIPPrefix(r); !ok {
			out = append(out, r.Name())
		}
	}
	return out
}

// withExternalIPs qualifies a way out whose public IPs include some not in
// the input: their addresses are unknown, and, unless the owner takes only
// IPv4 addresses (v4only) or an address of the flow's family is known, so is
// whether it carries the flow's family at all.
func withExternalIPs(es egressSet, owner string, ext []string, v4only bool) egressSet {
	if len(ext) == 0 {
		return es
	}
	es.assume = owner + ": public IP " + strings.Join(ext, ", ") + " not in the input: the addresses the flow may leave from are not all known"
	if len(es.ips)+len(es.prefixes) == 0 && !v4only {
		es.unsure = carryAll | carryPorts
	}
	return es
}

// natEgress is the way out through NAT gateway ng for one family, if it
// has addresses of that family; what it carries follows its SKU
// (https://learn.microsoft.com/azure/nat-gateway/nat-sku).
func (e *Engine) natEgress(ng *topology.NATGateway, where string, v6 bool) (egressSet, bool) {
	sku, _ := topology.LookupNATGatewaySKU(ng.SKU) // validated
	if v6 && !sku.IPv6 {
		return egressSet{}, false
	}
	ips, ps := e.publicIPs(ng.PublicIPs, ng.PublicIPPrefixes, v6)
	ext := e.externalIPs(ng.PublicIPs, ng.PublicIPPrefixes)
	if len(ips)+len(ps)+len(ext) == 0 {
		return egressSet{}, false
	}
	es := egressSet{method: MethodNATGateway, ips: ips, prefixes: ps, why: "NAT gateway " + ng.Name + where,
		unstable: len(ips)+len(ps)+len(ext) > 1 || len(ps) > 0,
		pool:     snat.Pool{Kind: snat.NATGateway, ID: string(ng.ID), Name: ng.Name, IPs: addrCount(ips, ps), IPsUnknown: len(ext) > 0}}
	if sku.ICMP {
		es.carry = carryICMP
	}
	return withExternalIPs(es, "NAT gateway "+ng.Name, ext, !sku.IPv6), true
}

// internetEgress decides how NIC h's internet-bound traffic of one family
// leaves, in Azure's precedence
// (https://learn.microsoft.com/azure/nat-gateway/nat-overview#outbound-connectivity,
// https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections):
// the subnet's NAT gateway (or its VNet's), then the IP configuration's
// public IP, then a public load balancer (outbound rule, else load-balancing
// rule SNAT unless disableOutboundSnat), then default outbound access unless
// the subnet is private and no NIC of the VM has a public IP (vmPIP finds
// one). IPv6 has no default outbound access (derived: "secure by default",
// spec §1.8).
func (e *Engine) internetEgress(h int32, v6 bool, vmPIPOf func(*nicState) (*vmPIP, bool)) egressSet {
	st, cold := &e.nics[h], &e.cold[h]
	ss := &e.subnets[st.subnet]
	s := ss.s
	ng, where := ss.nat, ss.natWhere
	if ng != nil {
		if es, ok := e.natEgress(ng, where, v6); ok {
			return es
		}
	} else if ss.natExternal {
		// The subnet's NAT gateway is not in the input: it takes the
		// internet traffic (nat-overview), from addresses and with a SKU
		// (which protocols, which families) that are unknown.
		ref, _ := s.NATGateway()
		name := ref.Name()
		return egressSet{method: MethodNATGateway, why: "NAT gateway " + name + " (not in the input)", carry: carryAll, unsure: carryICMP | carryOther,
			assume: "NAT gateway " + name + " of subnet " + s.Name() + " is not in the input: its public IPs are unknown, and so is whether its SKU carries ICMP or IPv6",
			pool:   snat.Pool{Kind: snat.NATGateway, ID: string(ref), Name: name, IPsUnknown: true}}
	}
	ipc := &cold.ipcs[cold.primary]
	if v6 {
		k := slices.IndexFunc(cold.ipcs, func(c topology.IPConfigInfo) bool { return c.PrivateIP.Is6() })
		if k < 0 {
			return egressSet{why: "the NIC has no IPv6 address"}
		}
		ipc = &cold.ipcs[k]
	}
	if p, ok := e.net.PublicIP(ipc.PublicIP); ok && p.Address.IsValid() && p.Address.Is6() == v6 {
		return egressSet{method: MethodInstancePublicIP, ips: []netip.Addr{p.Address}, why: "public IP " + p.Name, carry: carryAll,
			pool: snat.Pool{Kind: snat.InstancePublicIP, ID: string(p.ID), Name: p.Name, IPs: 1}}
	} else if !ok && !ipc.PublicIP.IsZero() {
		// A public IP of this configuration's family (an IP configuration's
		// public IP has its private address's version), not in the input.
		return egressSet{method: MethodInstancePublicIP, why: "public IP " + ipc.PublicIP.Name() + " (not in the input)", carry: carryAll,
			assume: "public IP " + ipc.PublicIP.Name() + " is not in the input: the address the flow leaves from is unknown",
			pool:   snat.Pool{Kind: snat.InstancePublicIP, ID: string(ipc.PublicIP), Name: ipc.PublicIP.Name(), IPs: 1}}
	}
	breaks := "" // a NAT gateway on the subnet that disrupts IPv6 through outbound rules
	if ng != nil {
		if sku, _ := topology.LookupNATGatewaySKU(ng.SKU); v6 && sku.BreaksLBIPv6 { // validated SKU
			breaks = sku.Name + " NAT gateway " + ng.Name + where
		}
	}
	set, ok, byIP := e.lbEgress(ipc, v6, breaks)
	if ok {
		return set
	}
	if byIP != "" {
		byIP = "; " + byIP
	}
	if v6 {
		return egressSet{why: "no NAT gateway, public IP or load-balancer outbound rule for IPv6; Azure has no IPv6 default outbound access" + byIP}
	}
	// defaultOutboundAccess has three states: true, false, and unset (inputs
	// from API versions before 2025-07-01, which omit it: such subnets keep
	// default outbound access, while VNets created with 2025-07-01 and later
	// are private by default;
	// https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access).
	private, state, assume := false, "sets defaultOutboundAccess true", ""
	doa, set6 := s.DefaultOutboundAccess()
	switch {
	case set6 && !doa:
		private, state = true, "sets defaultOutboundAccess false"
	case !set6 && e.opts.PrivateByDefault:
		private, state = true, "does not set defaultOutboundAccess"
		assume = "subnet " + s.Name() + " does not set defaultOutboundAccess: taken as private, as in VNets created with API version 2025-07-01 or later (Options.PrivateByDefault)"
	case !set6:
		state = "does not set defaultOutboundAccess"
		assume = "subnet " + s.Name() + " does not set defaultOutboundAccess (inputs from API versions before 2025-07-01 omit it): taken as a subnet with default outbound access, created before private subnets became the default; Options.PrivateByDefault asks what if it is private"
	}
	if private {
		return egressSet{why: fmt.Sprintf("subnet %s is private (it %s) and has no NAT gateway, public IP or load-balancer outbound%s", s.Name(), state, byIP), assume: assume}
	}
	if c, ok := vmPIPOf(st); ok {
		// "If there are multiple network interfaces, having a single one with
		// a public IP will prevent default outbound access for the virtual
		// machine" (https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access).
		where := "NIC " + c.nicName + " of the same VM"
		if c.nic == st.v.Index() {
			where = "the NIC's IP configuration " + c.ipc.Name
		}
		return egressSet{why: fmt.Sprintf("no default outbound access: %s has public IP %s, which turns it off for the whole VM, and this IP configuration has no NAT gateway, public IP or load-balancer outbound%s",
			where, c.ipc.PublicIP.Name(), byIP)}
	}
	return egressSet{method: MethodDefaultOutbound, why: "default outbound access (implicit Microsoft-owned IP; subnet " + s.Name() + " " + state + ")" + byIP,
		unstable: true, assume: assume, carry: carryOther,
		pool: snat.Pool{Kind: snat.DefaultOutbound, ID: string(s.ID()), Name: "default outbound access of subnet " + s.Name()}}
}

// lbEgress finds a public load balancer that gives the IP configuration
// outbound connectivity: only the primary IPv4 configuration gets it
// (https://learn.microsoft.com/azure/load-balancer/outbound-rules#limitations).
// When the configuration is in a backend pool defined by IP address, which
// gives none (a known issue), byIP says which. breaks names a NAT gateway on
// the subnet that disrupts IPv6 through outbound rules (nat-sku, known
// issues: "A StandardV2 NAT gateway disrupts outbound connections made with
// load balancer outbound rules for IPv6 traffic only"), or is "".
func (e *Engine) lbEgress(ipc *topology.IPConfigInfo, v6 bool, breaks string) (set egressSet, ok bool, byIP string) {
	if !v6 && !ipc.Primary {
		return egressSet{}, false, ""
	}
	for _, lb := range e.lbs {
		for _, pool := range lb.BackendPools {
			if !refIn(pool.ID, ipc.BackendPools) {
				continue
			}
			if pool.ByIPAddress {
				// Known issue: a backend pool defined by IP address gives no
				// load-balancer outbound; the VM behaves as with default
				// outbound access (spec §3.1, from https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections).
				if byIP == "" {
					byIP = "load balancer " + lb.Name + "'s backend pool " + pool.Name + " is defined by IP address, which gives no outbound connectivity (a known issue, https://learn.microsoft.com/azure/load-balancer/backend-pool-management#limitations)"
				}
				continue
			}
			for _, or := range lb.OutboundRules {
				if or.BackendPool.Key() != pool.ID.Key() {
					continue
				}
				var ips []netip.Addr
				var ps []netip.Prefix
				var ext []string
				for _, f := range lb.Frontends {
					if refIn(f.ID, or.Frontends) {
						i, p := e.publicIPs(nonZero(f.PublicIP), nonZero(f.PublicIPPrefix), v6)
						ips, ps = append(ips, i...), append(ps, p...)
						ext = append(ext, e.externalIPs(nonZero(f.PublicIP), nonZero(f.PublicIPPrefix))...)
					}
				}
				if len(ips)+len(ps)+len(ext) > 0 && breaks != "" {
					return egressSet{why: fmt.Sprintf("load balancer %s outbound rule %s would carry IPv6, but %s (no IPv6 address of its own) disrupts IPv6 through load-balancer outbound rules (https://learn.microsoft.com/azure/nat-gateway/nat-sku, known issues)",
						lb.Name, or.Name, breaks)}, true, ""
				}
				if len(ips)+len(ps)+len(ext) > 0 {
					es := egressSet{method: MethodLoadBalancer, ips: ips, prefixes: ps, why: "load balancer " + lb.Name + " outbound rule " + or.Name,
						unstable: len(ips)+len(ps)+len(ext) > 1, carry: lbCarry(or.Protocol),
						pool: snat.Pool{Kind: snat.LoadBalancerOutbound, ID: string(or.ID), Name: lb.Name + "/" + or.Name, IPs: addrCount(ips, ps),
							IPsUnknown: len(ext) > 0, Allocated: or.AllocatedOutboundPorts, Backends: e.poolSize(pool.ID)}}
					return withExternalIPs(es, "load balancer "+lb.Name, ext, false), true, ""
				}
			}
			for _, r := range lb.Rules {
				if r.BackendPool.Key() != pool.ID.Key() || r.DisableOutboundSnat {
					continue
				}
				for _, f := range lb.Frontends {
					if f.ID.Key() != r.Frontend.Key() {
						continue
					}
					ips, ps := e.publicIPs(nonZero(f.PublicIP), nonZero(f.PublicIPPrefix), v6)
					ext := e.externalIPs(nonZero(f.PublicIP), nonZero(f.PublicIPPrefix))
					if len(ips)+len(ps)+len(ext) > 0 {
						es := egressSet{method: MethodLoadBalancer, ips: ips, prefixes: ps, why: "load balancer " + lb.Name + " rule " + r.Name + " (implicit SNAT)", carry: lbCarry(r.Protocol),
							pool: snat.Pool{Kind: snat.LoadBalancerRule, ID: string(r.ID), Name: lb.Name + "/" + r.Name, IPs: addrCount(ips, ps),
								IPsUnknown: len(ext) > 0, Backends: e.poolSize(pool.ID)}}
						return withExternalIPs(es, "load balancer "+lb.Name, ext, false), true, ""
					}
				}
			}
		}
	}
	for _, r := range ipc.BackendPools {
		if !e.knownPool(r) {
			// The pool's load balancer is not in the input: whether it is
			// public and gives outbound connectivity, and from which IP, is
			// unknown; every flow that would use it is Unknown.
			return egressSet{method: MethodLoadBalancer, why: "load balancer backend pool " + r.Name() + " (not in the input)", carry: carryAll, unsure: carryAll | carryPorts,
				assume: "the load balancer of backend pool " + r.Name() + " is not in the input: whether it gives outbound connectivity, and from which IP, is unknown",
				pool:   snat.Pool{Kind: snat.LoadBalancerOutbound, ID: string(r), Name: "backend pool " + r.Name(), IPsUnknown: true}}, true, ""
		}
	}
	return egressSet{}, false, byIP
}

// knownPool reports whether a backend pool is one of the network's load
// balancers'.
func (e *Engine) knownPool(r topology.Ref) bool {
	for _, lb := range e.lbs {
		for _, p := range lb.BackendPools {
			if p.ID.Key() == r.Key() {
				return true
			}
		}
	}
	return false
}

// vmPIP is the first IP configuration with a public IP of the first NIC of
// a VM that has one (a NIC whose VM is unknown is a VM of its own).
type vmPIP struct {
	vm      topology.Ref
	nic     int // network index
	nicName string
	ipc     topology.IPConfigInfo
}

// scanVMPublicIP is the compiled VM lookup by a scan of the network's NICs
// with a public IP, in network order: the reference twin's lookup.
func (e *Engine) scanVMPublicIP(st *nicState) (*vmPIP, bool) {
	vm := st.v.VirtualMachine()
	for k := range e.vmPIPs {
		o := &e.vmPIPs[k]
		if o.nic == st.v.Index() || (!vm.IsZero() && strings.EqualFold(string(o.vm), string(vm))) {
			return o, true
		}
	}
	return nil, false
}

// vmID names the VM a NIC belongs to: its VM's ID key, or the NIC itself
// (by network index) when the VM is unknown.
type vmID struct {
	vm  string
	nic int
}

func vmKey(n topology.NICView) vmID {
	if vm := n.VirtualMachine(); !vm.IsZero() {
		return vmID{vm: vm.Key(), nic: -1}
	}
	return vmID{nic: n.Index()}
}

func refIn(r topology.Ref, list []topology.Ref) bool {
	for _, x := range list {
		if x.Key() == r.Key() {
			return true
		}
	}
	return false
}

func nonZero(r topology.Ref) []topology.Ref {
	if r.IsZero() {
		return nil
	}
	return []topology.Ref{r}
}

// firewallEgress is how an Azure Firewall's internet traffic leaves: a NAT
// gateway on AzureFirewallSubnet takes it all; otherwise the firewall's
// public IPs, chosen per connection
// (https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway).
func (e *Engine) firewallEgress(fs *fwState) egressSet {
	ss := &e.subnets[fs.subnet]
	if ng, where := ss.nat, ss.natWhere; ng != nil {
		if es, ok := e.natEgress(ng, where, false); ok {
			es.why += " on AzureFirewallSubnet"
			return es
		}
	} else if ss.natExternal {
		ref, _ := ss.s.NATGateway()
		name := ref.Name()
		return egressSet{method: MethodNATGateway, why: "NAT gateway " + name + " on AzureFirewallSubnet (not in the input)", carry: carryAll, unsure: carryICMP | carryOther,
			assume: "NAT gateway " + name + " of AzureFirewallSubnet is not in the input: its public IPs are unknown, and so is whether its SKU carries ICMP",
			pool:   snat.Pool{Kind: snat.NATGateway, ID: string(ref), Name: name, IPsUnknown: true}}
	}
	pips := fs.fw.PublicIPs()
	ips, _ := e.publicIPs(pips, nil, false)
	ext := e.externalIPs(pips, nil)
	if len(ips)+len(ext) == 0 {
		return egressSet{why: "firewall " + fs.name + " has no public IP"}
	}
	es := egressSet{method: MethodAzureFirewall, ips: ips, why: "firewall " + fs.name + " public IPs", unstable: len(ips)+len(ext) > 1, carry: carryAll,
		pool: snat.Pool{Kind: snat.AzureFirewall, ID: string(fs.fw.ID()), Name: fs.name, IPs: len(ips), IPsUnknown: len(ext) > 0}}
	return withExternalIPs(es, "firewall "+fs.name, ext, true) // Azure Firewall is IPv4-only
}

// ianaPrivate is Azure Firewall's default SNAT exemption (IANAPrivateRanges:
// RFC 1918 and RFC 6598), per https://learn.microsoft.com/azure/firewall/snat-private-range.
var ianaPrivate = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

func isPrivate(a netip.Addr) bool {
	for _, p := range ianaPrivate {
		if p.Contains(a) {
			return true
		}
	}
	return a.Is6() && (a.IsPrivate() || a.IsLinkLocalUnicast())
}

// addrCount is the number of addresses of ips and the prefixes ps (a
// prefix's every address provides SNAT ports).
func addrCount(ips []netip.Addr, ps []netip.Prefix) int {
	n := len(ips)
	for _, p := range ps {
		if bits := p.Addr().BitLen() - p.Bits(); bits < 31 {
			n += 1 << bits
		}
	}
	return n
}

// poolSize is the number of IP configurations of the input in load
// balancer backend pool pool: the size the default SNAT allocation table
// is read with.
func (e *Engine) poolSize(pool topology.Ref) int {
	n := 0
	for i := range e.cold {
		for _, c := range e.cold[i].ipcs {
			if refIn(pool, c.BackendPools) {
				n++
			}
		}
	}
	return n
}
