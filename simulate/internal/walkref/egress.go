package walkref

import (
	"net/netip"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/topology"
)

// egress is a way out to the internet for one flow.
type egress struct {
	method  Method // "": no way out
	ips     []netip.Addr
	carries bool // the method carries the flow's protocol
	// unsure: the way out depends on a resource the input does not contain
	// (whether it carries the flow, or has an address of its family).
	unsure bool
}

func tcpUDP(p ipproto.Proto) bool { return p == ipproto.TCP || p == ipproto.UDP }

func icmp(p ipproto.Proto) bool { return p == ipproto.ICMP || p == ipproto.ICMPv6 }

// nicEgress is how NIC n's internet-bound traffic of one family and
// protocol leaves, in the precedence of
// https://learn.microsoft.com/azure/nat-gateway/nat-overview#outbound-connectivity
// (spec §3.1): the subnet's NAT gateway, the IP configuration's public IP, a
// public load balancer, then default outbound access.
func (t *Twin) nicEgress(n *topology.NIC, v6 bool, p ipproto.Proto) egress {
	s := t.nicSubnet(n)
	ng, external := t.natGatewayOf(s)
	if external {
		// The subnet's NAT gateway takes its internet traffic; its SKU (what
		// it carries beyond TCP and UDP) and addresses are unknown.
		return egress{method: MethodNATGateway, carries: true, unsure: !tcpUDP(p)}
	}
	if ng != nil {
		if way, ok := t.natEgress(ng, v6, p); ok {
			return way
		}
	}
	ipc := n.Primary()
	if v6 {
		ipc = nil
		for _, c := range n.IPConfigs {
			if c.PrivateIP.Is6() {
				ipc = c
				break
			}
		}
		if ipc == nil {
			return egress{}
		}
	}
	if !ipc.PublicIP.IsZero() {
		// Instance-level public IP: 1:1 NAT for every protocol.
		pip, ok := t.m.PublicIP(ipc.PublicIP)
		switch {
		case !ok:
			return egress{method: MethodInstancePublicIP, carries: true} // its address is not in the input
		case pip.Address.IsValid() && pip.Address.Is6() == v6:
			return egress{method: MethodInstancePublicIP, ips: []netip.Addr{pip.Address}, carries: true}
		}
	}
	breaksV6 := false // a StandardV2 NAT gateway disrupts IPv6 through outbound rules (nat-sku, known issues)
	if ng != nil {
		sku, _ := topology.LookupNATGatewaySKU(ng.SKU)
		breaksV6 = v6 && sku.BreaksLBIPv6
	}
	if way, ok := t.lbEgress(ipc, v6, p, breaksV6); ok {
		return way
	}
	if v6 {
		return egress{} // no IPv6 default outbound access (spec §1.8)
	}
	// Default outbound access: not for a private subnet
	// (defaultOutboundAccess false, or unset with PrivateByDefault), and
	// not for a VM any of whose NICs has a public IP
	// (https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access).
	if doa := s.DefaultOutboundAccess; (doa != nil && !*doa) || (doa == nil && t.opts.PrivateByDefault) {
		return egress{}
	}
	if t.vmHasPublicIP(n) {
		return egress{}
	}
	return egress{method: MethodDefaultOutbound, carries: !icmp(p)} // no ICMP (default-outbound-access)
}

// injEgress is how a container group's internet-bound IPv4 traffic leaves
// subnet s: "you must use a NAT gateway for outbound connectivity. This is
// the only supported configuration"
// (https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts).
// Without one, a private subnet has no way out, and any other's default
// outbound access is the way if there is one at all, which is undocumented
// unsure).
func (t *Twin) injEgress(s *topology.Subnet, p ipproto.Proto) egress {
	ng, external := t.natGatewayOf(s)
	if external {
		return egress{method: MethodNATGateway, carries: true, unsure: !tcpUDP(p)}
	}
	if ng != nil {
		if way, ok := t.natEgress(ng, false, p); ok {
			return way
		}
	}
	if doa := s.DefaultOutboundAccess; (doa != nil && !*doa) || (doa == nil && t.opts.PrivateByDefault) {
		return egress{}
	}
	return egress{method: MethodDefaultOutbound, carries: !icmp(p), unsure: true}
}

// natGatewayOf returns the NAT gateway that serves subnet s: its own, else
// a StandardV2 gateway attached to its whole VNet (not on GatewaySubnet);
// external when the subnet's own gateway is not in the input.
func (t *Twin) natGatewayOf(s *topology.Subnet) (ng *topology.NATGateway, external bool) {
	if !s.NATGateway.IsZero() {
		ng, ok := t.m.NATGateway(s.NATGateway)
		return ng, !ok
	}
	if strings.EqualFold(s.Name, "GatewaySubnet") {
		return nil, false
	}
	for _, g := range t.m.NATGateways {
		if !g.SourceVirtualNetwork.IsZero() && g.SourceVirtualNetwork.Key() == s.VNet.ID.Key() {
			return g, false
		}
	}
	return nil, false
}

// addresses returns the known addresses of one family of public IPs and
// prefixes, whether any prefix of that family is known, and whether some
// are not in the input.
func (t *Twin) addresses(pips, prefixes []topology.Ref, v6 bool) (ips []netip.Addr, anyPrefix, external bool) {
	for _, r := range pips {
		p, ok := t.m.PublicIP(r)
		switch {
		case !ok:
			external = true
		case p.Address.IsValid() && p.Address.Is6() == v6:
			ips = append(ips, p.Address)
		}
	}
	for _, r := range prefixes {
		found := false
		for _, pp := range t.m.PublicIPPrefixes {
			if pp.ID.Key() == r.Key() {
				found = true
				if pp.Prefix.IsValid() && pp.Prefix.Addr().Is6() == v6 {
					anyPrefix = true
				}
			}
		}
		external = external || !found
	}
	return ips, anyPrefix, external
}

// natEgress is the way out through NAT gateway ng, if it has addresses of
// the flow's family; what it carries follows its SKU
// (https://learn.microsoft.com/azure/nat-gateway/nat-sku: Standard TCP and
// UDP over IPv4; StandardV2 also ICMP echo, and IPv6).
func (t *Twin) natEgress(ng *topology.NATGateway, v6 bool, p ipproto.Proto) (egress, bool) {
	sku, _ := topology.LookupNATGatewaySKU(ng.SKU)
	if v6 && !sku.IPv6 {
		return egress{}, false
	}
	ips, anyPrefix, external := t.addresses(ng.PublicIPs, ng.PublicIPPrefixes, v6)
	if len(ips) == 0 && !anyPrefix && !external {
		return egress{}, false
	}
	way := egress{method: MethodNATGateway, ips: ips, carries: tcpUDP(p) || (icmp(p) && sku.ICMP)}
	// With only addresses outside the input, whether one is of the flow's
	// family is unknown (a Standard gateway has IPv4 addresses only).
	way.unsure = len(ips) == 0 && !anyPrefix && external && sku.IPv6
	return way, true
}

// lbProtocol reports whether a load-balancer rule of protocol proto
// ("Tcp", "Udp", "All") gives outbound SNAT to a flow of protocol p:
// outbound rules choose "which protocols to provide outbound translation
// for" (https://learn.microsoft.com/azure/load-balancer/outbound-rules),
// and a load-balancing rule programs SNAT for its own transport protocol
// (https://learn.microsoft.com/azure/load-balancer/skus, "Outbound SNAT
// programming depends on the transport protocol of the inbound
// load-balancing rule"). What "All" carries beyond TCP and UDP is not
// documented: taken as everything, as simulate does.
func lbProtocol(proto string, p ipproto.Proto) bool {
	switch strings.ToLower(proto) {
	case "tcp":
		return p == ipproto.TCP
	case "udp":
		return p == ipproto.UDP
	}
	return true
}

// lbEgress finds a public load balancer that gives the IP configuration
// outbound connectivity for the flow's protocol: an outbound rule of its
// backend pool, else a load-balancing rule without disableOutboundSnat.
// Only the primary IPv4 configuration gets it
// (https://learn.microsoft.com/azure/load-balancer/outbound-rules#limitations);
// a backend pool defined by IP address gives none (a known issue,
// https://learn.microsoft.com/azure/load-balancer/backend-pool-management#limitations).
// ok is false when no load balancer gives the configuration outbound
// connectivity at all; a way that does not carry the protocol when one does
// for other protocols only (the VM then has an explicit outbound method and
// no default outbound access).
func (t *Twin) lbEgress(ipc *topology.IPConfig, v6 bool, p ipproto.Proto, breaksV6 bool) (egress, bool) {
	if !v6 && !ipc.Primary {
		return egress{}, false
	}
	// otherProtocol: a rule gives outbound to other protocols only;
	// otherUnsure: one of those has only addresses outside the input, so
	// whether it serves the flow's family at all is unknown.
	otherProtocol, otherUnsure := false, false
	for _, lb := range t.m.LoadBalancers {
		for _, pool := range lb.BackendPools {
			if !refIn(pool.ID, ipc.BackendPools) || pool.ByIPAddress {
				continue
			}
			for _, or := range lb.OutboundRules {
				if or.BackendPool.Key() != pool.ID.Key() {
					continue
				}
				var ips []netip.Addr
				anyPrefix, external := false, false
				for _, f := range lb.Frontends {
					if refIn(f.ID, or.Frontends) {
						i, ap, ext := t.addresses(nonZero(f.PublicIP), nonZero(f.PublicIPPrefix), v6)
						ips, anyPrefix, external = append(ips, i...), anyPrefix || ap, external || ext
					}
				}
				if len(ips) == 0 && !anyPrefix && !external {
					continue
				}
				if breaksV6 {
					return egress{}, true
				}
				if !lbProtocol(or.Protocol, p) {
					otherProtocol, otherUnsure = true, otherUnsure || (len(ips) == 0 && !anyPrefix)
					continue
				}
				return egress{method: MethodLoadBalancer, ips: ips, carries: true, unsure: len(ips) == 0 && !anyPrefix}, true
			}
			for _, r := range lb.Rules {
				if r.BackendPool.Key() != pool.ID.Key() || r.DisableOutboundSnat {
					continue
				}
				for _, f := range lb.Frontends {
					if f.ID.Key() != r.Frontend.Key() {
						continue
					}
					ips, anyPrefix, external := t.addresses(nonZero(f.PublicIP), nonZero(f.PublicIPPrefix), v6)
					if len(ips) == 0 && !anyPrefix && !external {
						continue
					}
					if !lbProtocol(r.Protocol, p) {
						otherProtocol, otherUnsure = true, otherUnsure || (len(ips) == 0 && !anyPrefix)
						continue
					}
					return egress{method: MethodLoadBalancer, ips: ips, carries: true, unsure: len(ips) == 0 && !anyPrefix}, true
				}
			}
		}
	}
	for _, r := range ipc.BackendPools {
		if !t.knownPool(r) {
			// The pool's load balancer is not in the input: whether it gives
			// outbound connectivity, and from where, is unknown.
			return egress{method: MethodLoadBalancer, carries: true, unsure: true}, true
		}
	}
	if otherProtocol {
		return egress{method: MethodLoadBalancer, carries: false, unsure: otherUnsure}, true
	}
	return egress{}, false
}

func (t *Twin) knownPool(r topology.Ref) bool {
	for _, lb := range t.m.LoadBalancers {
		for _, p := range lb.BackendPools {
			if p.ID.Key() == r.Key() {
				return true
			}
		}
	}
	return false
}

// vmHasPublicIP reports whether NIC n, or another NIC of its VM, has an IP
// configuration with a public IP: "having a single one with a public IP
// will prevent default outbound access for the virtual machine"
// (default-outbound-access). A NIC whose VM is unknown is a VM of its own.
func (t *Twin) vmHasPublicIP(n *topology.NIC) bool {
	for _, o := range t.m.NICs {
		if o != n && (n.VirtualMachine.IsZero() || o.VirtualMachine.Key() != n.VirtualMachine.Key()) {
			continue
		}
		for _, c := range o.IPConfigs {
			if !c.PublicIP.IsZero() {
				return true
			}
		}
	}
	return false
}

// firewallEgress is how an Azure Firewall's internet traffic leaves: a NAT
// gateway on AzureFirewallSubnet takes it all; otherwise the firewall's
// public IPs (https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway).
// Azure Firewall is IPv4-only.
func (t *Twin) firewallEgress(f *topology.Firewall, p ipproto.Proto) egress {
	s := t.firewallSubnet(f)
	ng, external := t.natGatewayOf(s)
	if external {
		return egress{method: MethodNATGateway, carries: true, unsure: !tcpUDP(p)}
	}
	if ng != nil {
		if way, ok := t.natEgress(ng, false, p); ok {
			return way
		}
	}
	ips, _, ext := t.addresses(f.PublicIPs, nil, false)
	if len(ips) == 0 && !ext {
		return egress{}
	}
	return egress{method: MethodAzureFirewall, ips: ips, carries: true}
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
