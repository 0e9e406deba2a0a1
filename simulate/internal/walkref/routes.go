package walkref

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/internal/routeref"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// placeRoutes is what routing from one subnet needs: the reference table of
// its effective routes, the configuration it was made from, and whether
// routes the input does not contain could decide.
type placeRoutes struct {
	cfg   route.Config
	table *routeref.Table
	// unknown: the subnet's route table is not in the input or Azure would
	// reject it, or a peered VNet outside the input has no recorded address
	// space: every flow from the subnet depends on routes not known.
	unknown bool
	// transitUnknown: the VNet uses the gateway of a VNet outside the input,
	// whose propagated routes are not known.
	transitUnknown bool
	// unknownHops are the user routes, by lower-case name, whose next hop
	// IP address a Terraform plan knows only after apply: the flows they
	// route go where is unknown.
	unknownHops map[string]bool
}

// placeRoutes returns the routes of subnet s, from the twin's own route
// configuration (config.go: system routes, peerings, service and private
// endpoints, the route table; gateway and Route Server routes from
// topology).
func (t *Twin) placeRoutes(s *topology.Subnet) *placeRoutes {
	t.mu.Lock()
	defer t.mu.Unlock()
	if pr, ok := t.routes[s]; ok {
		return pr
	}
	pr := &placeRoutes{cfg: t.routeConfig(s)}
	if !s.RouteTable.IsZero() && (pr.cfg.RouteTable == nil || t.rejected[s.RouteTable.Key()]) {
		pr.cfg.RouteTable = nil // not in the input, or Azure would reject it: its routes are unknown
		pr.unknown = true
	}
	for _, p := range t.m.ExternalPeerings(s.VNet) {
		if len(p.RemoteAddressSpace) == 0 {
			pr.unknown = true
		}
		if p.UseRemoteGateways && (pr.cfg.RouteTable == nil || !pr.cfg.RouteTable.DisableBGPRoutePropagation) {
			pr.transitUnknown = true
		}
	}
	if rt := t.routeTable(s.RouteTable); rt != nil && pr.cfg.RouteTable != nil {
		for _, r := range rt.Routes {
			if topology.NextHopKnownAfterApply(r) {
				if pr.unknownHops == nil {
					pr.unknownHops = map[string]bool{}
				}
				pr.unknownHops[strings.ToLower(r.Name)] = true
			}
		}
	}
	pr.table = routeref.New(pr.cfg)
	t.routes[s] = pr
	return pr
}

// chosen is one route of a routing decision, as the configuration gives it.
type chosen struct {
	source   route.Source
	name     string // a user route's name
	origin   string // the gateway's name for a gateway route
	gwOrigin route.GatewayOrigin
	hops     []netip.Addr // in the order the route lists them
}

// selected returns the gateway and user routes a decision used, in
// configuration order (routeref names them by description).
func selected(cfg route.Config, a routeref.Answer) []chosen {
	var out []chosen
	if cfg.RouteTable == nil || !cfg.RouteTable.DisableBGPRoutePropagation {
		for _, g := range cfg.GatewayRoutes {
			if g.Prefix == a.Prefix && slices.Contains(a.Routes, routeref.Describe(route.SourceGateway, "", g.Gateway, g.Prefix)) {
				out = append(out, chosen{source: route.SourceGateway, origin: g.Gateway, gwOrigin: g.Origin, hops: g.NextHops})
			}
		}
	}
	if rt := cfg.RouteTable; rt != nil {
		for _, r := range rt.Routes {
			if !slices.Contains(a.Routes, routeref.Describe(route.SourceUser, r.Name, rt.Name, a.Prefix)) {
				continue
			}
			c := chosen{source: route.SourceUser, name: r.Name, origin: rt.Name}
			if r.NextHopIPAddress != "" {
				c.hops = append(c.hops, netip.MustParseAddr(r.NextHopIPAddress))
			}
			for _, s := range r.NextHopIPAddresses {
				c.hops = append(c.hops, netip.MustParseAddr(s))
			}
			out = append(out, c)
		}
	}
	return out
}

// allHops returns the distinct next hops of the chosen routes, in order.
func allHops(cs []chosen) []netip.Addr {
	var out []netip.Addr
	for _, c := range cs {
		for _, h := range c.hops {
			if !slices.Contains(out, h) {
				out = append(out, h)
			}
		}
	}
	return out
}

// serviceTag names the service tag of a service-endpoint decision: the
// first service endpoint of the configuration whose tag holds the prefix.
func serviceTag(cfg route.Config, a routeref.Answer) string {
	for _, se := range cfg.ServiceEndpoints {
		if !slices.Contains(a.Routes, routeref.Describe(route.SourceDefault, "", se.Service, a.Prefix)) {
			continue
		}
		ps, _, _ := cfg.Tags.ServiceTag(se.Tag)
		if slices.Contains(ps, a.Prefix) {
			return se.Tag
		}
	}
	return ""
}

// vpnServes reports whether v can use a VPN gateway: its own, or that of
// the VNet it uses over gateway transit (useRemoteGateways on v's peering,
// allowGatewayTransit on the hub's peering back;
// https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview#gateways-and-on-premises-connectivity).
func (t *Twin) vpnServes(v *topology.VNet) bool {
	if t.hasVPN(v.ID) {
		return true
	}
	for _, p := range v.Peerings {
		if !p.Connected || !p.UseRemoteGateways {
			continue
		}
		hub, ok := t.m.VNet(p.Remote)
		if !ok {
			continue
		}
		for _, back := range hub.Peerings {
			if back.Connected && back.AllowGatewayTransit && back.Remote.Key() == v.ID.Key() && t.hasVPN(hub.ID) {
				return true
			}
		}
	}
	return false
}

func (t *Twin) hasVPN(vnet topology.Ref) bool {
	for _, g := range t.m.Gateways {
		if g.Type == topology.GatewayVpn && g.VNet.Key() == vnet.Key() {
			return true
		}
	}
	return false
}

// externalTransit reports whether v uses the gateway of a VNet the input
// does not contain.
func (t *Twin) externalTransit(v *topology.VNet) bool {
	for _, p := range t.m.ExternalPeerings(v) {
		if p.UseRemoteGateways {
			return true
		}
	}
	return false
}

type ownerKind uint8

const (
	ownerNone ownerKind = iota
	ownerNIC
	ownerFirewall
	ownerLB
	ownerInjected // a container group's address in its subnet
)

// owner is what holds an address.
type owner struct {
	kind ownerKind
	nic  *topology.NIC
	fw   *topology.Firewall
	lb   *topology.LoadBalancer
	inj  *topology.InjectedResource
	// subnet is the injected resource's subnet.
	subnet *topology.Subnet
}

// reach returns v and the VNets peered with it in both directions
// (peering is not transitive).
func (t *Twin) reach(v *topology.VNet) []*topology.VNet {
	return append([]*topology.VNet{v}, t.peers(v)...)
}

// owner finds what holds address a among the NICs, Azure Firewalls and
// internal load-balancer frontends of VNet v and its peers, by scanning the
// model.
func (t *Twin) owner(v *topology.VNet, a netip.Addr) owner {
	reach := t.reach(v)
	for _, n := range t.m.NICs {
		ipc := n.Primary()
		if ipc == nil {
			continue
		}
		s, ok := t.m.Subnet(ipc.Subnet)
		if !ok || !slices.Contains(reach, s.VNet) {
			continue
		}
		for _, c := range n.IPConfigs {
			if c.PrivateIP.IsValid() && c.PrivateIP == a {
				return owner{kind: ownerNIC, nic: n}
			}
		}
	}
	for _, f := range t.m.Firewalls {
		fv, ok := t.m.VNet(f.VNet)
		if !ok || !slices.Contains(reach, fv) || f.PrivateIP != a || !f.PrivateIP.IsValid() || t.firewallSubnet(f) == nil {
			continue
		}
		return owner{kind: ownerFirewall, fw: f}
	}
	for _, lb := range t.m.LoadBalancers {
		for _, fe := range lb.Frontends {
			if !fe.PrivateIP.IsValid() || fe.PrivateIP != a {
				continue
			}
			if s, ok := t.m.Subnet(fe.Subnet); ok && slices.Contains(reach, s.VNet) {
				return owner{kind: ownerLB, lb: lb}
			}
		}
	}
	// A container group's ipAddress.ip, in the subnet of its subnetIds
	// that holds it
	// (https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts).
	for _, r := range t.m.Injected {
		if r.Kind != topology.InjectedContainerGroup || !r.IP.IsValid() || r.IP != a {
			continue
		}
		if s := t.injectedSubnet(r); s != nil && slices.Contains(reach, s.VNet) {
			return owner{kind: ownerInjected, inj: r, subnet: s}
		}
	}
	return owner{}
}

// injectedSubnet returns the subnet of the model an injected resource is
// in: of its subnets, the one whose prefixes hold its address, else the
// first the model has; nil for none.
func (t *Twin) injectedSubnet(r *topology.InjectedResource) *topology.Subnet {
	var first *topology.Subnet
	for _, ref := range r.Subnets {
		s, ok := t.m.Subnet(ref)
		if !ok || ref.IsZero() {
			continue
		}
		if first == nil {
			first = s
		}
		for _, p := range s.Prefixes {
			if r.IP.IsValid() && p.Contains(r.IP) {
				return s
			}
		}
	}
	return first
}

// holdsInjected reports whether an injected resource of the model is in
// subnet s.
func (t *Twin) holdsInjected(s *topology.Subnet) bool {
	for _, r := range t.m.Injected {
		if t.injectedSubnet(r) == s {
			return true
		}
	}
	return false
}

// firewallSubnet returns the AzureFirewallSubnet of the firewall's VNet, or
// nil.
func (t *Twin) firewallSubnet(f *topology.Firewall) *topology.Subnet {
	v, ok := t.m.VNet(f.VNet)
	if !ok {
		return nil
	}
	for _, s := range v.Subnets {
		if strings.EqualFold(s.Name, "AzureFirewallSubnet") {
			return s
		}
	}
	return nil
}

// externalOf returns the name of the peered VNet outside the input whose
// recorded address space holds a.
func (t *Twin) externalOf(v *topology.VNet, a netip.Addr) (string, bool) {
	for _, p := range t.m.ExternalPeerings(v) {
		for _, q := range p.RemoteAddressSpace {
			if q.Contains(a) {
				return p.Remote.Name(), true
			}
		}
	}
	return "", false
}

// delegatedOf returns the subnet, of v or a VNet peered with it, that is
// delegated to a service and holds address a, as VNET/SUBNET.
func (t *Twin) delegatedOf(v *topology.VNet, a netip.Addr) (string, bool) {
	for _, w := range t.reach(v) {
		for _, s := range w.Subnets {
			// Delegated, or holding an injected resource though not
			// delegated (a warning: the input is probably stale).
			if len(s.Delegations) == 0 && !t.holdsInjected(s) {
				continue
			}
			for _, p := range s.Prefixes {
				if p.Contains(a) {
					return w.Name + "/" + s.Name, true
				}
			}
		}
	}
	return "", false
}

// allowsForwarded reports whether VNet to accepts traffic that an appliance
// in VNet from forwards: to's peering with from sets allowForwardedTraffic
// (the first such peering decides).
func (t *Twin) allowsForwarded(to, from *topology.VNet) bool {
	for _, p := range to.Peerings {
		if p.Remote.Key() == from.ID.Key() {
			return p.AllowForwardedTraffic
		}
	}
	return false
}
