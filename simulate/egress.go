package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/topology"
)

// egressSet is one way out to the internet: the method, the public
// addresses (and prefixes) it may use, and why it was chosen.
type egressSet struct {
	method   Method
	ips      []netip.Addr
	prefixes []netip.Prefix
	why      string // the resource that provides it, or why there is none
	unstable bool   // the IP may change or is chosen by the platform among several
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
		if p, ok := e.model.PublicIP(r); ok && p.Address.IsValid() && p.Address.Is6() == v6 {
			ips = append(ips, p.Address)
		}
	}
	for _, r := range prefixes {
		for _, pp := range e.model.PublicIPPrefixes {
			if pp.ID.Key() == r.Key() && pp.Prefix.IsValid() && pp.Prefix.Addr().Is6() == v6 {
				ps = append(ps, pp.Prefix)
			}
		}
	}
	return ips, ps
}

// internetEgress decides how a NIC's internet-bound traffic of one family
// leaves, in Azure's precedence
// (https://learn.microsoft.com/azure/nat-gateway/nat-overview#outbound-connectivity,
// https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections):
// the subnet's NAT gateway, then the IP configuration's public IP, then a
// public load balancer (outbound rule, else load-balancing rule SNAT unless
// disableOutboundSnat), then default outbound access unless the subnet is
// private and no NIC of the VM has a public IP (vmPIP finds one). IPv6 has no
// default outbound access (derived: "secure by default", spec §1.8).
func (e *Engine) internetEgress(st *nicState, v6 bool, vmPIP func(*topology.NIC) (*topology.IPConfig, bool)) egressSet {
	s := e.subnets[st.subnet].s
	if ng, ok := e.model.NATGateway(s.NATGateway); ok && (!v6 || strings.EqualFold(ng.SKU, "StandardV2")) {
		ips, ps := e.publicIPs(ng.PublicIPs, ng.PublicIPPrefixes, v6)
		if len(ips)+len(ps) > 0 {
			return egressSet{method: MethodNATGateway, ips: ips, prefixes: ps, why: "NAT gateway " + ng.Name,
				unstable: len(ips)+len(ps) > 1 || len(ps) > 0}
		}
	}
	ipc := st.ipc
	if v6 {
		ipc = nil
		for _, c := range st.nic.IPConfigs {
			if c.PrivateIP.Is6() {
				ipc = c
				break
			}
		}
		if ipc == nil {
			return egressSet{why: "the NIC has no IPv6 address"}
		}
	}
	if p, ok := e.model.PublicIP(ipc.PublicIP); ok && p.Address.IsValid() && p.Address.Is6() == v6 {
		return egressSet{method: MethodInstancePublicIP, ips: []netip.Addr{p.Address}, why: "public IP " + p.Name}
	}
	if set, ok := e.lbEgress(ipc, v6); ok {
		return set
	}
	if v6 {
		return egressSet{why: "no NAT gateway, public IP or load-balancer outbound rule for IPv6; Azure has no IPv6 default outbound access"}
	}
	private := e.opts.PrivateByDefault
	if s.DefaultOutboundAccess != nil {
		private = !*s.DefaultOutboundAccess
	}
	if private {
		return egressSet{why: fmt.Sprintf("subnet %s is private (defaultOutboundAccess false) and has no NAT gateway, public IP or load-balancer outbound", s.Name)}
	}
	if c, ok := vmPIP(st.nic); ok {
		// "If there are multiple network interfaces, having a single one with
		// a public IP will prevent default outbound access for the virtual
		// machine" (https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access).
		where := "NIC " + c.NIC.Name + " of the same VM"
		if c.NIC == st.nic {
			where = "the NIC's IP configuration " + c.Name
		}
		return egressSet{why: fmt.Sprintf("no default outbound access: %s has public IP %s, which turns it off for the whole VM, and this IP configuration has no NAT gateway, public IP or load-balancer outbound",
			where, c.PublicIP.Name())}
	}
	return egressSet{method: MethodDefaultOutbound, why: "default outbound access (implicit Microsoft-owned IP)", unstable: true}
}

// lbEgress finds a public load balancer that gives the IP configuration
// outbound connectivity: only the primary IPv4 configuration gets it
// (https://learn.microsoft.com/azure/load-balancer/outbound-rules#limitations).
func (e *Engine) lbEgress(ipc *topology.IPConfig, v6 bool) (egressSet, bool) {
	if !v6 && !ipc.Primary {
		return egressSet{}, false
	}
	for _, lb := range e.model.LoadBalancers {
		for _, pool := range lb.BackendPools {
			if !refIn(pool.ID, ipc.BackendPools) {
				continue
			}
			if pool.ByIPAddress {
				// Known issue: a backend pool defined by IP address gives no
				// load-balancer outbound; the VM behaves as with default
				// outbound access (spec §3.1, from https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections).
				continue
			}
			for _, or := range lb.OutboundRules {
				if or.BackendPool.Key() != pool.ID.Key() {
					continue
				}
				var ips []netip.Addr
				var ps []netip.Prefix
				for _, f := range lb.Frontends {
					if refIn(f.ID, or.Frontends) {
						i, p := e.publicIPs(nonZero(f.PublicIP), nonZero(f.PublicIPPrefix), v6)
						ips, ps = append(ips, i...), append(ps, p...)
					}
				}
				if len(ips)+len(ps) > 0 {
					return egressSet{method: MethodLoadBalancer, ips: ips, prefixes: ps, why: "load balancer " + lb.Name + " outbound rule " + or.Name,
						unstable: len(ips)+len(ps) > 1}, true
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
					if len(ips)+len(ps) > 0 {
						return egressSet{method: MethodLoadBalancer, ips: ips, prefixes: ps, why: "load balancer " + lb.Name + " rule " + r.Name + " (implicit SNAT)"}, true
					}
				}
			}
		}
	}
	return egressSet{}, false
}

// vmPublicIPs maps each VM (by vmKey) to an IP configuration of one of its
// NICs that has a public IP, in model order. A NIC whose VM is unknown is a
// VM of its own.
func vmPublicIPs(nics []*topology.NIC) map[string]*topology.IPConfig {
	out := map[string]*topology.IPConfig{}
	for _, n := range nics {
		k := vmKey(n)
		if _, seen := out[k]; seen {
			continue
		}
		if i := slices.IndexFunc(n.IPConfigs, func(c *topology.IPConfig) bool { return !c.PublicIP.IsZero() }); i >= 0 {
			out[k] = n.IPConfigs[i]
		}
	}
	return out
}

// scanVMPublicIP is vmPublicIPs for one NIC by a scan of the model: the
// reference twin's lookup.
func (e *Engine) scanVMPublicIP(n *topology.NIC) (*topology.IPConfig, bool) {
	for _, o := range e.model.NICs {
		sameVM := o == n || (!n.VirtualMachine.IsZero() && strings.EqualFold(string(o.VirtualMachine), string(n.VirtualMachine)))
		if !sameVM {
			continue
		}
		for _, c := range o.IPConfigs {
			if !c.PublicIP.IsZero() {
				return c, true
			}
		}
	}
	return nil, false
}

// vmKey names the VM a NIC belongs to: its VM's ID, or the NIC's own when the
// VM is unknown.
func vmKey(n *topology.NIC) string {
	if n.VirtualMachine.IsZero() {
		return "nic:" + n.ID.Key()
	}
	return "vm:" + n.VirtualMachine.Key()
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
	s := e.subnets[fs.subnet].s
	if ng, ok := e.model.NATGateway(s.NATGateway); ok {
		ips, ps := e.publicIPs(ng.PublicIPs, ng.PublicIPPrefixes, false)
		if len(ips)+len(ps) > 0 {
			return egressSet{method: MethodNATGateway, ips: ips, prefixes: ps, why: "NAT gateway " + ng.Name + " on AzureFirewallSubnet",
				unstable: len(ips)+len(ps) > 1 || len(ps) > 0}
		}
	}
	ips, _ := e.publicIPs(fs.fw.PublicIPs, nil, false)
	if len(ips) == 0 {
		return egressSet{why: "firewall " + fs.fw.Name + " has no public IP"}
	}
	return egressSet{method: MethodAzureFirewall, ips: ips, why: "firewall " + fs.fw.Name + " public IPs", unstable: len(ips) > 1}
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
