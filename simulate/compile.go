package simulate

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// Compile builds the engine of a validated network: the network's route
// tables, NSG groups, scopes and firewall engines as they are, a classifier
// per NIC binding them, what owns each next-hop address, each route
// selection's action, and the egress choices of every NIC and firewall. It
// validates nothing: the network is valid. What the network was accepted
// with does not stop it: the flows whose answers depend on a resource Azure
// would reject or on one outside the input are Unknown, naming it
// ([Engine.Unknowns]); a NIC whose subnet is outside the input cannot be
// simulated ([Engine.NIC] says why).
//
// Compile keeps the network (immutable) and nothing of the model it was
// built from. It panics on a nil network, and never on what the network
// holds. Cost: a few microseconds per NIC (binding its classifier, its
// egress choice), plus, with [Options.Resolver], compiling the firewalls'
// rules again to resolve their FQDNs.
func Compile(n *topology.Network, opts Options) *Engine {
	opts.MaxHops = min(opts.MaxHops, 255) // Decision.Hops is a byte
	if opts.MaxHops <= 0 {
		opts.MaxHops = 16
	}
	c := &compiler{
		e: &Engine{opts: opts, net: n, nicByKey: map[string]int32{}, nicByName: map[string][]int32{},
			lbs: n.LoadBalancers(), gateways: n.Gateways(), routeServers: n.RouteServers()},
		n: n, groups: map[string]*nsg.Group{}, unknownNSG: map[string]string{}}
	c.vnets()
	c.subnets()
	c.nics()
	c.firewalls()
	c.loadBalancers()
	c.injected()
	c.peerTargets()
	c.egressChoices()
	c.routeActions()
	c.paas()
	c.injectedEgress()
	return c.e
}

// compiler holds the state of one Compile.
type compiler struct {
	e *Engine
	n *topology.Network
	// groups are the NSGs the NICs use by ID key (nil: none, unknown or
	// rejected); unknownNSG says why the rules of an NSG, or of a VNet's
	// admin rules ("admin:" + VNet key), are unknown: not in the input, or
	// Azure would reject them.
	groups     map[string]*nsg.Group
	unknownNSG map[string]string
	// injServices are, by subnet index, the delegations the injected
	// resources in the subnet need (see injectedServices).
	injServices map[int][]string
}

// vnets indexes the VNets: peers, the VNets whose forwarded traffic they
// accept, the address spaces of their peers outside the input, their
// StandardV2 NAT gateway.
func (c *compiler) vnets() {
	for i := range c.n.NumVNets() {
		v := c.n.VNet(i)
		vs := vnetState{v: v, targets: map[netip.Addr]target{}}
		for _, p := range v.Peers() {
			vs.peers = append(vs.peers, int32(p.Index()))
		}
		seen := map[int]bool{} // the first peering to a VNet decides, as a scan would
		for _, p := range v.Peerings() {
			if p.Remote >= 0 && !seen[p.Remote] && p.AllowForwardedTraffic {
				vs.fwdFrom = append(vs.fwdFrom, int32(p.Remote))
			}
			seen[p.Remote] = seen[p.Remote] || p.Remote >= 0
		}
		slices.Sort(vs.fwdFrom)
		for _, p := range v.ExternalPeerings() {
			for _, q := range p.RemoteAddressSpace {
				vs.external = append(vs.external, extSpace{q, p.RemoteID.Name()})
			}
		}
		for _, w := range append([]topology.VNetView{v}, v.Peers()...) {
			for _, s := range w.Subnets() {
				ds := s.Delegations()
				if len(ds) == 0 {
					ds = c.injectedServices(s) // a subnet holding an injected resource, though not delegated (a warning)
				}
				if len(ds) > 0 {
					for _, q := range s.Prefixes() {
						vs.delegated = append(vs.delegated, delegatedSpace{q, int32(s.Index()), w.Name() + "/" + s.Name(), strings.Join(ds, ", ")})
					}
				}
			}
		}
		if ref, ok := v.NATGateway(); ok {
			vs.nat, _ = c.n.NATGateway(ref)
		}
		c.e.vnets = append(c.e.vnets, vs)
	}
}

// subnets takes each subnet's route table and notes what is unknown of its
// routes: a route table outside the input or one Azure would reject, a
// peered VNet outside the input without its address space, a remote gateway
// outside the input.
func (c *compiler) subnets() {
	e := c.e
	for i := range c.n.NumSubnets() {
		s := c.n.Subnet(i)
		v := s.VNet()
		ss := subnetState{s: s, vnet: int32(v.Index()), table: s.Routes(), vpn: c.hasVPNGateway(v), site: c.defaultSite(v), unknown: -1, transit: -1, remoteGateway: -1}
		disableBGP := false
		switch rt, st := s.RouteTable(); st {
		case topology.RefInput:
			t, _ := c.n.LookupRouteTable(rt)
			if t.Err() != nil {
				// Azure would reject the route table: the subnet's other
				// routes stand, its flows are Unknown.
				ss.unknown = e.note(rejected("route table", t.Name(), nil) + " (see validate): its routes are unknown; the path shown ignores them")
			} else {
				disableBGP = t.DisableBGPRoutePropagation()
			}
		case topology.RefExternal:
			ss.unknown = e.note("route table " + rt.Name() + " of subnet " + s.Name() + " is not in the input: its routes are unknown; the path shown ignores them")
		}
		ext := v.ExternalPeerings()
		for _, p := range ext {
			if len(p.RemoteAddressSpace) == 0 && ss.unknown < 0 {
				ss.unknown = e.note("VNet " + p.RemoteID.Name() + ", peered by " + p.Name + ", is not in the input and the peering does not record its address space: which destinations it holds is unknown")
			}
		}
		if i := slices.IndexFunc(ext, func(p topology.PeeringInfo) bool { return p.UseRemoteGateways }); i >= 0 {
			remote := ext[i].RemoteID.Name()
			if !disableBGP {
				ss.transit = e.note("VNet " + v.Name() + " uses the gateway of VNet " + remote + ", which is not in the input: the routes that gateway propagates are unknown; the path shown assumes none of them covers the destination")
			}
			// disableBgpRoutePropagation drops the gateway's routes, not
			// the gateway: a user route to VirtualNetworkGateway still
			// goes to it (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#border-gateway-protocol).
			ss.remoteGateway = e.note("VNet " + v.Name() + " uses the gateway of VNet " + remote + ", which is not in the input: whether it is a VPN gateway, which a user route to VirtualNetworkGateway needs, is unknown; the path shown assumes it is")
		}
		ss.nat, ss.natWhere, ss.natExternal = c.natGateway(&ss)
		e.subnets = append(e.subnets, ss)
	}
}

// natGateway finds the NAT gateway that serves a subnet: its own, else a
// StandardV2 gateway attached to its whole VNet (sourceVirtualNetwork; not
// on GatewaySubnet, where a NAT gateway is not allowed). That a subnet's
// own gateway takes precedence over its VNet's is egress's reading: the
// documentation does not say. external: the subnet's own gateway is not in
// the input.
func (c *compiler) natGateway(ss *subnetState) (ng *topology.NATGateway, where string, external bool) {
	switch ref, st := ss.s.NATGateway(); st {
	case topology.RefInput:
		ng, _ = c.n.NATGateway(ref)
		return ng, "", false
	case topology.RefExternal:
		return nil, "", true // associated, but not in the input: see internetEgress
	}
	if ng := c.e.vnets[ss.vnet].nat; ng != nil && !strings.EqualFold(ss.s.Name(), "GatewaySubnet") {
		return ng, " (attached to VNet " + ss.s.VNet().Name() + ")", false
	}
	return nil, "", false
}

// group returns the compiled NSG with an ID (nil for none), noting why its
// rules are unknown when the NSG is not in the input or Azure would reject
// it.
func (c *compiler) group(id topology.Ref) *nsg.Group {
	if id.IsZero() {
		return nil
	}
	if g, ok := c.groups[id.Key()]; ok {
		return g
	}
	var g *nsg.Group
	switch v, ok := c.n.LookupNSG(id); {
	case !ok:
		c.unknownNSG[id.Key()] = "NSG " + id.Name() + " is not in the input"
	case v.Err() != nil:
		c.unknownNSG[id.Key()] = rejected("NSG", v.Name(), v.Err())
	default:
		g = v.Group()
	}
	c.groups[id.Key()] = g
	return g
}

// rulesUnknown returns which rules of the compiled NSG g (ID id) have
// values known only after apply, or nil when none has.
func (c *compiler) rulesUnknown(id topology.Ref, g *nsg.Group) *rulesUnknown {
	if g == nil {
		return nil
	}
	v, ok := c.n.LookupNSG(id)
	if !ok {
		return nil
	}
	var u *rulesUnknown
	for d, dir := range []nsg.Direction{nsg.Inbound, nsg.Outbound} {
		for i := range g.Len(dir) {
			ri := g.Rule(dir, i)
			why := ""
			if !ri.Default {
				why = v.RuleKnownAfterApply(ri.Name)
			}
			if why == "" {
				continue
			}
			if u == nil {
				u = &rulesUnknown{}
			}
			if u.notes[d] == nil {
				u.notes[d] = make([]int32, g.Len(dir))
			}
			u.notes[d][i] = 1 + c.e.note("NSG "+v.Name()+" rule "+ri.Name+": "+why+": taken as matching any value there, so where it decides, the answer is unknown")
		}
	}
	return u
}

// admin returns the compiled admin rules of VNet v (nil for none), noting
// why they are unknown when Azure would reject them.
func (c *compiler) admin(v topology.VNetView) *nsg.Group {
	a := v.Admin()
	if a.Err != nil {
		c.unknownNSG["admin:"+v.ID().Key()] = rejected("security admin configuration", topology.Ref(a.ID).Name(), a.Err)
	}
	return a.Group
}

// nics binds each NIC with a primary IP configuration in a subnet of the
// network to its NSGs, admin rules and scope, and indexes its addresses in
// its VNet.
func (c *compiler) nics() {
	e := c.e
	for i := range c.n.NumNICs() {
		nv := c.n.NIC(i)
		_, primary, ok := nv.Primary()
		if !ok {
			continue
		}
		sv, ok := nv.Subnet()
		if !ok {
			// The NIC's subnet is not in the input: where it sits, and so
			// every answer about it, is unknown.
			ipcs := nv.IPConfigs()
			e.skipped = append(e.skipped, skippedNIC{i, fmt.Sprintf("NIC %s: its subnet %s is not in the input, so it cannot be simulated", nv.Name(), ipcs[primary].SubnetID)})
			continue
		}
		ss := &e.subnets[sv.Index()]
		cold := nicCold{ipcs: nv.IPConfigs(), primary: primary}
		st := nicState{v: nv, addr: cold.ipcs[primary].PrivateIP, subnet: int32(sv.Index()), forward: nv.EnableIPForwarding(), unknown: -1, addrUnknown: -1}
		if why := cold.ipcs[primary].PrivateIPUnknown; why != "" && !cold.ipcs[primary].PrivateIP.IsValid() {
			st.addrUnknown = e.note("NIC " + nv.Name() + ": " + why)
		}
		for k, ipc := range cold.ipcs {
			if a := ipc.PrivateIP; a.IsValid() {
				if k == primary {
					st.addrIdx = len(cold.addrs)
				}
				cold.addrs = append(cold.addrs, a)
				if a.Is6() && !st.addr6.IsValid() {
					st.addr6 = a
				}
			}
		}
		nicRef, _ := nv.NSG()
		subnetRef, _ := sv.NSG()
		nicNSG, subnetNSG := c.group(nicRef), c.group(subnetRef)
		cold.rulesUnknown = [2]*rulesUnknown{c.rulesUnknown(nicRef, nicNSG), c.rulesUnknown(subnetRef, subnetNSG)}
		if !nv.PrivateEndpoint().IsZero() {
			// Private endpoints: NSGs apply only with NSG network policies
			// (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
			st.isPE = true
			st.peSubnet = sv.PrivateEndpointPolicies().NSGs()
			if !st.peSubnet {
				nicNSG, subnetNSG = nil, nil
				cold.rulesUnknown = [2]*rulesUnknown{}
			}
		}
		vnet := sv.VNet()
		adminNSG := c.admin(vnet)
		var unk []string // the security stages whose rules are unknown: taken as allowing
		for i, k := range []string{"admin:" + vnet.ID().Key(), nicRef.Key(), subnetRef.Key()} {
			if why, ok := c.unknownNSG[k]; ok && (!st.isPE || st.peSubnet) {
				unk = append(unk, why)
				switch nsg.Stage(i) {
				case nsg.StageNIC:
					st.unknownNSG[nsg.StageNIC] = nicRef.Name()
				case nsg.StageSubnet:
					st.unknownNSG[nsg.StageSubnet] = subnetRef.Name()
				}
			}
		}
		if len(unk) > 0 {
			st.unknown = e.note(strings.Join(unk, "; ") + ": its rules are unknown for " + nv.Name() + "; the path shown is what happens if they allow")
		}
		cls, err := nsg.NewClassifier(nsg.NIC{ID: string(nv.ID()), SubnetID: string(sv.ID()), VNet: string(vnet.ID()), Addrs: cold.addrs,
			NSG: nicNSG, SubnetNSG: subnetNSG, Admin: adminNSG, Scope: sv.Scope()})
		if err != nil {
			// Not reachable on a validated network (validation refuses
			// what binding refuses); the NIC is left out, saying why.
			e.skipped = append(e.skipped, skippedNIC{i, fmt.Sprintf("NIC %s cannot be simulated: %v", nv.Name(), err)})
			continue
		}
		st.cls = cls
		st.out = cls.OutPath(st.addrIdx)
		h := int32(len(e.nics))
		e.nicByKey[nv.ID().Key()] = h
		name := strings.ToLower(nv.Name())
		e.nicByName[name] = append(e.nicByName[name], h)
		e.nics = append(e.nics, st)
		e.cold = append(e.cold, cold)
		for _, a := range cold.addrs {
			e.vnets[ss.vnet].targets[a] = target{targetNIC, h}
		}
	}
}

// firewalls takes the engine of each Azure Firewall that has its
// AzureFirewallSubnet and private address in the network, and indexes the
// address in its VNet.
func (c *compiler) firewalls() {
	e := c.e
	for i := range c.n.NumFirewalls() {
		f := c.n.Firewall(i)
		v, ok := f.VNet()
		if !ok {
			continue
		}
		s, ok := f.Subnet()
		if !ok || !f.PrivateIP().IsValid() {
			continue
		}
		fs := fwState{fw: f, name: f.Name(), addr: f.PrivateIP(), subnet: int32(s.Index())}
		var err error
		if fs.eng, err = c.firewallEngine(f); err != nil {
			// Its policy is not in the input, or Azure would reject what
			// decides it: the firewall's verdicts are Unknown.
			fs.eng, fs.why = nil, firewallUnknown(f, err)
		}
		fi := int32(len(e.firewalls))
		e.firewalls = append(e.firewalls, fs)
		e.vnets[v.Index()].targets[fs.addr] = target{targetFirewall, fi}
	}
}

// firewallEngine returns what decides a firewall's traffic: the network's
// engine (its policy's, else its classic rules'), compiled again with the
// DNS of Options.Resolver when there is one. It returns nil and no error
// for a firewall with neither: its verdicts are Unknown.
func (c *compiler) firewallEngine(f topology.FirewallView) (*firewall.Engine, error) {
	var eng *firewall.Engine
	var err error
	if c.e.opts.Resolver != nil {
		eng, err = f.CompileWith(dnsAdapter{c.e.opts.Resolver})
	} else {
		eng, err = f.Engine()
	}
	if err == nil && eng != nil && eng.Len() >= maxFirewallRules {
		what := "its classic rules"
		if pol, _ := f.Policy(); !pol.IsZero() {
			what = "policy " + string(pol)
		}
		err = fmt.Errorf("firewall %s: %s has %d rules; egress handles at most %d", f.ID(), what, eng.Len(), maxFirewallRules-1)
	}
	return eng, err
}

// loadBalancers indexes the internal load balancers' frontend addresses in
// their VNets.
func (c *compiler) loadBalancers() {
	for li, lb := range c.e.lbs {
		for _, fe := range lb.Frontends {
			if !fe.PrivateIP.IsValid() {
				continue
			}
			if s, ok := c.n.LookupSubnet(fe.Subnet); ok {
				c.e.vnets[s.VNet().Index()].targets[fe.PrivateIP] = target{targetLBFrontend, int32(li)}
			}
		}
	}
}

// peerTargets makes the peers' addresses reachable from each VNet too
// (validation keeps them disjoint).
func (c *compiler) peerTargets() {
	e := c.e
	own := make([]map[netip.Addr]target, len(e.vnets))
	for i := range e.vnets {
		own[i] = maps.Clone(e.vnets[i].targets)
	}
	for i := range e.vnets {
		for _, p := range e.vnets[i].peers {
			for a, t := range own[p] {
				e.vnets[i].targets[a] = t
			}
		}
	}
}

// egressChoices decides how each NIC's and each firewall's internet-bound
// traffic leaves.
func (c *compiler) egressChoices() {
	e := c.e
	first := map[vmID]bool{} // VMs whose NIC with a public IP is listed
	for i := range c.n.NumNICs() {
		nv := c.n.NIC(i)
		k := vmKey(nv)
		if first[k] {
			continue
		}
		for _, ipc := range nv.IPConfigs() {
			if !ipc.PublicIP.IsZero() {
				e.vmPIPs = append(e.vmPIPs, vmPIP{vm: nv.VirtualMachine(), nic: i, nicName: nv.Name(), ipc: ipc})
				first[k] = true
				break
			}
		}
	}
	byVM := map[vmID]*vmPIP{}
	for k := range e.vmPIPs {
		byVM[vmKey(c.n.NIC(e.vmPIPs[k].nic))] = &e.vmPIPs[k]
	}
	vmPIPOf := func(st *nicState) (*vmPIP, bool) { p, ok := byVM[vmKey(st.v)]; return p, ok }
	for h := range e.nics {
		st := &e.nics[h]
		st.egress4 = e.intern(e.internetEgress(int32(h), false, vmPIPOf))
		st.egress6 = e.intern(e.internetEgress(int32(h), true, vmPIPOf))
		ss := &e.subnets[st.subnet]
		st.unsure = st.unknown >= 0 || ss.unknown >= 0 || ss.transit >= 0 || e.egress[st.egress4].unsure != 0 ||
			e.cold[h].rulesUnknown != [2]*rulesUnknown{}
	}
	for i := range e.firewalls {
		e.firewalls[i].egress4 = e.intern(e.firewallEgress(&e.firewalls[i]))
	}
}

// routeActions resolves what each route selection of each subnet does.
func (c *compiler) routeActions() {
	e := c.e
	for i := range e.subnets {
		ss := &e.subnets[i]
		ss.actions = make([]action, ss.table.NumSelections())
		unk := c.unknownHops(ss)
		for i := range ss.actions {
			m := ss.table.Selection(i)
			a := action{typ: actionType(m)}
			if m.NumNextHops() > 0 && (a.typ == route.VirtualAppliance || a.typ == route.VirtualApplianceEcmp) {
				a.target, a.ok = e.vnets[ss.vnet].targets[m.NextHop(0)]
				_, _, a.external = e.vnets[ss.vnet].externalOf(m.NextHop(0))
			}
			a.noGateway = userRouteWithoutGateway(m, ss.vpn)
			if unk != nil {
				a.unknownHop = c.unknownHop(unk, m)
			}
			ss.actions[i] = a
		}
	}
	for h := range e.nics {
		st := &e.nics[h]
		st.table, st.actions = e.subnets[st.subnet].table, e.subnets[st.subnet].actions
	}
}

// unknownHops returns the user routes of a subnet's route table whose next
// hop IP address a Terraform plan knows only after apply, by lower-case
// name, each with its note; nil when there is none.
func (c *compiler) unknownHops(ss *subnetState) map[string]string {
	urs, t := unknownHopRoutes(c.n, ss.s)
	var out map[string]string
	for _, ur := range urs {
		if out == nil {
			out = map[string]string{}
		}
		out[strings.ToLower(ur.Name)] = "route " + ur.Name + " (" + ur.AddressPrefix + ") of route table " + t.Name() +
			": its next hop IP address is known only after apply (Terraform plan), so where the flows it routes go is unknown"
	}
	return out
}

// unknownHop returns 1 + the note on the user route of selection m that
// unk holds (unknownHops), or 0.
func (c *compiler) unknownHop(unk map[string]string, m route.Match) int32 {
	for k := range m.NumRoutes() {
		if r := m.Route(k); r.Source() == route.SourceUser {
			if note, ok := unk[strings.ToLower(r.Name())]; ok {
				return 1 + c.e.note(note)
			}
		}
	}
	return 0
}

// actionType is what a route selection does: its next-hop type, except that a
// route an NVA advertised to Route Server (listed as VirtualNetworkGateway,
// next hop the NVA's address) sends the traffic to that NVA
// (https://learn.microsoft.com/azure/route-server/route-server-faq: "the
// next hop is the NVA's IP address").
func actionType(m route.Match) route.NextHopType {
	if r := m.Route(0); r.Source() == route.SourceGateway && r.GatewayOrigin() == route.OriginRouteServer && m.NumNextHops() > 0 {
		return route.VirtualAppliance
	}
	return m.NextHopType()
}

// note records a text saying what is unknown and why, once, and returns its
// index.
func (e *Engine) note(s string) int32 {
	if i, ok := e.noteIdx[s]; ok {
		return i
	}
	if e.noteIdx == nil {
		e.noteIdx = map[string]int32{}
	}
	e.notes = append(e.notes, s)
	e.noteIdx[s] = int32(len(e.notes) - 1)
	return int32(len(e.notes) - 1)
}

// rejected says that Azure would reject a resource, quoting the first of its
// problems (validate lists them all).
func rejected(kind, name string, err error) string {
	s := "Azure would reject " + kind + " " + name
	if errs := unjoin(err); len(errs) > 0 {
		s += " (" + errs[0].Error() + ")"
	}
	return s
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

// firewallUnknown says why a firewall's rules are unknown: its policy is not
// in the input, or what decides it does not compile.
func firewallUnknown(f topology.FirewallView, err error) string {
	if pol, st := f.Policy(); !pol.IsZero() {
		switch {
		case st == topology.RefExternal:
			return "its firewall policy " + pol.Name() + " is not in the input"
		case errors.Is(err, topology.ErrDangling):
			return "the base policy of its firewall policy " + pol.Name() + " is not in the input"
		}
		return rejected("firewall policy", pol.Name(), err)
	}
	return rejected("the classic rules of firewall", f.Name(), err)
}

// vpnVNet is the VNet whose VPN gateway v uses: its own, or its transit
// hub's over a peering with gateway transit.
func vpnVNet(v topology.VNetView) topology.VNetView {
	if hub, ok := v.TransitHub(); ok {
		return hub
	}
	return v
}

// hasVPNGateway reports whether v can use a VPN gateway: its own, or its
// transit hub's.
func (c *compiler) hasVPNGateway(v topology.VNetView) bool {
	src := vpnVNet(v).ID().Key()
	for _, g := range c.e.gateways {
		if g.Type == topology.GatewayVpn && g.VNet.Key() == src {
			return true
		}
	}
	return false
}

// defaultSite names the default site of the VPN gateway v uses (its own, or
// its transit hub's), or "".
func (c *compiler) defaultSite(v topology.VNetView) string {
	src := vpnVNet(v).ID().Key()
	for _, g := range c.e.gateways {
		if g.Type == topology.GatewayVpn && g.VNet.Key() == src && !g.DefaultSite.IsZero() {
			if l, ok := c.n.LocalNetworkGateway(g.DefaultSite); ok {
				return l.Name
			}
		}
	}
	return ""
}

// userRouteWithoutGateway reports a selection that sends traffic to the
// VirtualNetworkGateway by a user route when no VPN gateway serves the VNet:
// a UDR to VirtualNetworkGateway needs a VPN gateway (not ExpressRoute,
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#user-defined).
// What Azure does then is not documented (spec §7.2); the simulator drops
// the traffic and says why. Gateway-learned routes always have a gateway.
func userRouteWithoutGateway(m route.Match, vpn bool) bool {
	return m.NextHopType() == route.VirtualNetworkGateway && m.Route(0).Source() == route.SourceUser && !vpn
}

// dnsAdapter lets Options.Resolver answer the firewall's DNS proxy.
type dnsAdapter struct{ r Resolver }

func (d dnsAdapter) LookupFQDN(name string) ([]netip.Addr, bool) {
	if d.r == nil {
		return nil, false
	}
	addrs, err := d.r.LookupHost(name)
	return addrs, err == nil && len(addrs) > 0
}
