package simulate

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// NVAMode says what the simulator assumes a third-party network virtual
// appliance does with traffic it receives.
type NVAMode uint8

// NVA assumptions.
const (
	// NVAForward: the appliance forwards everything (SNATing internet-bound
	// traffic to its own address). The result lists the assumption.
	NVAForward NVAMode = iota
	// NVAUnknown: the verdict of any flow through an NVA is Unknown; the path
	// beyond it is still computed, as what would happen if it forwarded.
	NVAUnknown
)

var nvaModeNames = [...]string{"forward", "unknown"}

// String returns the mode's name as the CLI spells it: "forward" or
// "unknown".
func (m NVAMode) String() string { return nameOf(nvaModeNames[:], int(m), "NVAMode") }

// MarshalText implements [encoding.TextMarshaler].
func (m NVAMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], in any letter case.
func (m *NVAMode) UnmarshalText(b []byte) error {
	i, err := parseName(nvaModeNames[:], b, "NVA mode")
	if err == nil {
		*m = NVAMode(i)
	}
	return err
}

// FirewallMode says how the simulator treats Azure Firewalls.
type FirewallMode uint8

// Firewall modes.
const (
	// FirewallEvaluate (the default): the firewall's policy, or its classic
	// rule collections, decide, through package firewall. A firewall with
	// neither in the model, or a rule that cannot be decided offline (web
	// categories, FQDN tags without a list, unresolved names), gives Unknown.
	FirewallEvaluate FirewallMode = iota
	// FirewallUnknown: a flow through an Azure Firewall has verdict Unknown;
	// the path beyond it (and the egress IP if allowed) is still computed.
	FirewallUnknown
	// FirewallAllow: the firewall allows everything (what-if exploration of
	// the network path alone). The result lists the assumption.
	FirewallAllow
)

var firewallModeNames = [...]string{"evaluate", "unknown", "allow"}

// String returns the mode's name as the CLI spells it: "evaluate",
// "unknown" or "allow".
func (m FirewallMode) String() string { return nameOf(firewallModeNames[:], int(m), "FirewallMode") }

// MarshalText implements [encoding.TextMarshaler].
func (m FirewallMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], in any letter case.
func (m *FirewallMode) UnmarshalText(b []byte) error {
	i, err := parseName(firewallModeNames[:], b, "firewall mode")
	if err == nil {
		*m = FirewallMode(i)
	}
	return err
}

// SMTPMode says what Azure does with TCP port 25 leaving for the internet,
// which depends on the subscription's type: Azure blocks it from VMs and
// Azure Firewalls except in Enterprise Agreement and MCA-E subscriptions and
// in subscriptions exempted on request
// (https://learn.microsoft.com/azure/virtual-network/troubleshoot-outbound-smtp-connectivity).
// Traffic to on-premises, to service endpoints and inside Azure is not
// concerned.
type SMTPMode uint8

// SMTP modes.
const (
	// SMTPUnknown (the default): the subscription type is not known, so a
	// TCP/25 flow that would leave Azure is Unknown, with the path it takes
	// if allowed and the assumption stated.
	SMTPUnknown SMTPMode = iota
	// SMTPAllowed: an Enterprise Agreement, MCA-E or exempted subscription.
	SMTPAllowed
	// SMTPBlocked: any other subscription type: the flow ends NoEgress.
	SMTPBlocked
)

var smtpModeNames = [...]string{"unknown", "allowed", "blocked"}

// String returns the mode's name as the CLI spells it: "unknown", "allowed"
// or "blocked".
func (m SMTPMode) String() string { return nameOf(smtpModeNames[:], int(m), "SMTPMode") }

// MarshalText implements [encoding.TextMarshaler].
func (m SMTPMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], in any letter case.
func (m *SMTPMode) UnmarshalText(b []byte) error {
	i, err := parseName(smtpModeNames[:], b, "SMTP mode")
	if err == nil {
		*m = SMTPMode(i)
	}
	return err
}

// Resolver resolves a host name to addresses, for flows given by FQDN.
type Resolver interface {
	LookupHost(name string) ([]netip.Addr, error)
}

// StaticResolver is a [Resolver] backed by a map from lower-case host name to
// addresses, for tests and offline designs.
type StaticResolver map[string][]netip.Addr

// LookupHost implements [Resolver].
func (s StaticResolver) LookupHost(name string) ([]netip.Addr, error) {
	if a, ok := s[strings.ToLower(strings.TrimSuffix(name, "."))]; ok && len(a) > 0 {
		return a, nil
	}
	return nil, fmt.Errorf("%s: no such host in the static resolver", name)
}

// Options configure [Compile].
type Options struct {
	// Tags resolves service tags; nil resolves none.
	Tags route.TagResolver
	// NVA is the assumption about third-party appliances.
	NVA NVAMode
	// Firewall is the assumption about Azure Firewalls.
	Firewall FirewallMode
	// PrivateByDefault decides what a subnet whose defaultOutboundAccess is
	// unset means. False (the default) keeps Azure's behaviour for subnets
	// created before 2026-03-31 (default outbound access on); true applies the
	// behaviour of VNets created since (private subnets). Per
	// https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access.
	PrivateByDefault bool
	// SMTP is what Azure does with TCP port 25 to the internet.
	SMTP SMTPMode
	// Resolver resolves flows given by FQDN; nil means such flows fail.
	Resolver Resolver
	// MaxHops bounds the number of appliances a flow may cross; zero means
	// 16, and more than 255 means 255.
	MaxHops int
}

// Engine is a network compiled for simulation: per subnet an effective route
// table, per NSG a compiled group, per NIC a classifier, and the indexes that
// turn next-hop addresses into places.
//
// An Engine is immutable after [Compile] and safe for concurrent use; it must
// not be copied. It keeps a reference to the model for explanations: do not
// modify the model after compiling it.
type Engine struct {
	_ [0]sync.Mutex

	opts  Options
	model *topology.Model

	nics      []nicState
	nicByKey  map[string]int32   // ID key → handle
	nicByName map[string][]int32 // lower-case name → handles
	subnets   []subnetState
	vnets     []vnetState
	firewalls []fwState
	egress    []egressSet // interned egress choices
	notes     []string    // why parts of the network are unknown (external or rejected resources), by index
	noteIdx   map[string]int32
	skipped   []skippedNIC
}

// skippedNIC is a NIC the engine cannot simulate, and why.
type skippedNIC struct {
	nic *topology.NIC
	why string
}

type nicState struct {
	nic      *topology.NIC
	ipc      *topology.IPConfig // primary IP configuration
	addr     netip.Addr         // primary private address
	addrIdx  int                // index of addr in the classifier's addresses
	addr6    netip.Addr         // first IPv6 private address, if any
	subnet   int32
	cls      *nsg.Classifier
	forward  bool
	egress4  int32 // index into Engine.egress for IPv4 internet traffic
	egress6  int32
	isPE     bool
	peSubnet bool  // NSGs apply (private endpoint with NSG network policies)
	unknown  int32 // a note (Engine.notes) on security rules that are unknown for this NIC, or -1
	// unsure: some answer from this NIC depends on what the input does not
	// contain (unknown rules, routes or egress): the first-hop fast path
	// leaves such NICs to the walker.
	unsure bool
}

type subnetState struct {
	s       *topology.Subnet
	vnet    int32
	table   *route.Table
	actions []action // per route selection (route.Match.Index)
	vpn     bool     // the VNet has a VPN gateway, of its own or over gateway transit
	site    string   // the default site (local network gateway) of that VPN gateway, if it has one
	// unknown is a note (Engine.notes) on routes of the subnet that are
	// unknown (a route table not in the input, or one Azure would reject),
	// or -1: every flow from the subnet depends on them.
	unknown int32
	// transit is a note on the routes of a remote gateway outside the
	// input, or -1: the flows whose route such a route could override
	// depend on them.
	transit int32
	// remoteGateway is a note on the gateway of a VNet outside the input
	// that the subnet's VNet uses (useRemoteGateways), or -1: whether it is
	// a VPN gateway is unknown, so a user route to VirtualNetworkGateway may
	// well reach one.
	remoteGateway int32
}

// unknownFor returns the note on unknown routes that could have decided a
// flow whose chosen route has next-hop type t, or -1. A remote gateway's
// unknown routes cannot override the VNet's own ranges, peerings and
// service endpoints, which beat every BGP route (udr-overview, "How Azure
// selects a route"), nor a private endpoint's /32.
func (ss *subnetState) unknownFor(t route.NextHopType) int32 {
	if ss.unknown >= 0 {
		return ss.unknown
	}
	switch t {
	case route.VnetLocal, route.VNetPeering, route.VNetGlobalPeering, route.ConnectedGroup, route.VirtualNetworkServiceEndpoint, route.InterfaceEndpoint:
		return -1
	}
	return ss.transit
}

type vnetState struct {
	v *topology.VNet
	// targets maps an address reachable from this VNet (its own and its
	// peers') to what owns it.
	targets map[netip.Addr]target
	// peers are the VNets directly peered in both directions.
	peers []int32
	// external are the address spaces of peered VNets the input does not
	// contain (what their peerings record).
	external []extSpace
	// fwdFrom are the VNets whose forwarded traffic this VNet's peerings
	// accept (allowForwardedTraffic), ascending.
	fwdFrom []int32
	// nat is the StandardV2 NAT gateway attached to the whole VNet
	// (sourceVirtualNetwork), or nil.
	nat *topology.NATGateway
}

// extSpace is an address range of a peered VNet outside the input.
type extSpace struct {
	prefix netip.Prefix
	vnet   string // its name (from its resource ID)
}

// externalOf returns the peered VNet outside the input whose recorded
// address space holds a, if any.
func (v *vnetState) externalOf(a netip.Addr) (string, bool) {
	for _, x := range v.external {
		if x.prefix.Contains(a) {
			return x.vnet, true
		}
	}
	return "", false
}

type targetKind uint8

const (
	targetNone targetKind = iota
	targetNIC
	targetFirewall
	targetLBFrontend // an internal load balancer frontend
)

type target struct {
	kind targetKind
	idx  int32 // the NIC handle, firewall index or load balancer index (in the model)
}

type fwState struct {
	fw      *topology.Firewall
	subnet  int32            // AzureFirewallSubnet
	egress4 int32            // egress choice for internet-bound traffic
	eng     *firewall.Engine // the compiled policy; nil when the model has none
	why     string           // why eng is nil although the firewall names a policy or has rules, or ""
}

// action is what a route selection does, resolved at compile time.
type action struct {
	typ    route.NextHopType
	target target // the first next hop, resolved in the subnet's VNet
	ok     bool   // the first next hop resolved to a place
	// noGateway: a user route to VirtualNetworkGateway in a VNet that has no
	// VPN gateway, of its own or over gateway transit.
	noGateway bool
}

// Compile validates nothing the loader did not and builds the engine: route
// tables per subnet, NSG groups per NSG (shared by every NIC and subnet using
// them), scopes per subnet and a classifier per NIC. Give it a model that
// [topology.Model.Check] finds no Errors in: the resources Azure would reject
// (Check's Rejected) and the references outside the input (External) do not
// stop it; the flows whose answers depend on them are Unknown, naming them
// ([Engine.Unknowns]). Errors from the engines on a model with Errors are
// returned joined.
func Compile(m *topology.Model, opts Options) (*Engine, error) {
	opts.MaxHops = min(opts.MaxHops, 255) // Decision.Hops is a byte
	if opts.MaxHops <= 0 {
		opts.MaxHops = 16
	}
	e := &Engine{opts: opts, model: m, nicByKey: map[string]int32{}, nicByName: map[string][]int32{}}
	var errs []error
	gr := m.Graph()
	res := m.Resolvers(opts.Tags)

	groups := map[string]*nsg.Group{}
	unknownNSG := map[string]string{} // NSG key → why its rules are unknown: not in the input, or Azure would reject it
	group := func(id topology.Ref) *nsg.Group {
		if id.IsZero() {
			return nil
		}
		if g, ok := groups[id.Key()]; ok {
			return g
		}
		g0, ok := m.NSG(id)
		if !ok {
			unknownNSG[id.Key()] = "NSG " + id.Name() + " is not in the input"
			groups[id.Key()] = nil
			return nil
		}
		g, err := nsg.Compile(nsg.SecurityGroup{ID: string(g0.ID), Rules: g0.Rules}, res)
		if err != nil {
			unknownNSG[id.Key()] = rejected("NSG", g0.Name, err)
		}
		groups[id.Key()] = g
		return g
	}
	admin := map[string]*nsg.Group{}
	adminOf := func(v *topology.VNet) *nsg.Group {
		if g, ok := admin[v.ID.Key()]; ok {
			return g
		}
		// All the admin rule collections that target the VNet, in model
		// order (ties between collections are undocumented, spec §7.8); named
		// after the collection when there is one.
		ac := nsg.AdminConfig{ID: string(v.ID) + "/adminRules"}
		n := 0
		for _, c := range m.AdminConfigs {
			if slices.ContainsFunc(c.VNets, func(r topology.Ref) bool { return r.Key() == v.ID.Key() }) {
				ac.Rules = append(ac.Rules, c.Rules...)
				if n++; n == 1 {
					ac.ID = string(c.ID)
				} else {
					ac.ID = string(v.ID) + "/adminRules"
				}
			}
		}
		var g *nsg.Group
		if len(ac.Rules) > 0 {
			var err error
			if g, err = nsg.CompileAdmin(ac, res); err != nil {
				unknownNSG["admin:"+v.ID.Key()] = rejected("security admin configuration", topology.Ref(ac.ID).Name(), err)
			}
		}
		admin[v.ID.Key()] = g
		return g
	}

	vnetIdx := map[*topology.VNet]int32{}
	for _, v := range m.VNets {
		vnetIdx[v] = int32(len(e.vnets))
		e.vnets = append(e.vnets, vnetState{v: v, targets: map[netip.Addr]target{}})
	}
	vnetByKey := map[string]int32{}
	for i, v := range m.VNets {
		vnetByKey[v.ID.Key()] = int32(i)
	}
	for i, v := range m.VNets {
		for _, p := range gr.Peers(v) {
			e.vnets[i].peers = append(e.vnets[i].peers, vnetIdx[p])
		}
		seen := map[int32]bool{} // the first peering to a VNet decides, as a scan would
		for _, p := range v.Peerings {
			j, ok := vnetByKey[p.Remote.Key()]
			if ok && !seen[j] && p.AllowForwardedTraffic {
				e.vnets[i].fwdFrom = append(e.vnets[i].fwdFrom, j)
			}
			seen[j] = seen[j] || ok
		}
		slices.Sort(e.vnets[i].fwdFrom)
	}
	for i, v := range m.VNets {
		for _, p := range m.ExternalPeerings(v) {
			for _, q := range p.RemoteAddressSpace {
				e.vnets[i].external = append(e.vnets[i].external, extSpace{q, p.Remote.Name()})
			}
		}
	}
	for _, ng := range m.NATGateways {
		if i, ok := vnetByKey[ng.SourceVirtualNetwork.Key()]; ok && !ng.SourceVirtualNetwork.IsZero() && e.vnets[i].nat == nil {
			e.vnets[i].nat = ng // validation keeps one VNet per NAT gateway; the first one attached wins
		}
	}
	subnetIdx := map[string]int32{}
	scopes := make([]*nsg.Scope, 0)
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			ss := subnetState{s: s, vnet: vnetIdx[v], vpn: hasVPNGateway(m, gr, v), site: defaultSite(m, gr, v), unknown: -1, transit: -1, remoteGateway: -1}
			cfg := m.RouteConfig(s, gr, opts.Tags)
			tb, err := route.Compile(cfg)
			if rt, ok := m.RouteTable(s.RouteTable); err != nil && ok {
				// Azure would reject the route table: the subnet's other
				// routes stand, its flows are Unknown.
				cfg.RouteTable = nil
				if tb, err = route.Compile(cfg); err == nil {
					ss.unknown = e.note(rejected("route table", rt.Name, nil) + " (see validate): its routes are unknown; the path shown ignores them")
				}
			} else if !ok && !s.RouteTable.IsZero() {
				ss.unknown = e.note("route table " + s.RouteTable.Name() + " of subnet " + s.Name + " is not in the input: its routes are unknown; the path shown ignores them")
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ss.table = tb
			for _, p := range m.ExternalPeerings(v) {
				if len(p.RemoteAddressSpace) == 0 && ss.unknown < 0 {
					ss.unknown = e.note("VNet " + p.Remote.Name() + ", peered by " + p.Name + ", is not in the input and the peering does not record its address space: which destinations it holds is unknown")
				}
			}
			if p, ok := m.ExternalTransit(v); ok {
				if !(cfg.RouteTable != nil && cfg.RouteTable.DisableBGPRoutePropagation) {
					ss.transit = e.note("VNet " + v.Name + " uses the gateway of VNet " + p.Remote.Name() + ", which is not in the input: the routes that gateway propagates are unknown; the path shown assumes none of them covers the destination")
				}
				// disableBgpRoutePropagation drops the gateway's routes, not
				// the gateway: a user route to VirtualNetworkGateway still
				// goes to it (https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview#border-gateway-protocol).
				ss.remoteGateway = e.note("VNet " + v.Name + " uses the gateway of VNet " + p.Remote.Name() + ", which is not in the input: whether it is a VPN gateway, which a user route to VirtualNetworkGateway needs, is unknown; the path shown assumes it is")
			}
			sc, err := nsg.CompileContext(m.NSGContext(s, gr))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			subnetIdx[s.ID.Key()] = int32(len(e.subnets))
			e.subnets = append(e.subnets, ss)
			scopes = append(scopes, sc)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Compile the NSGs the NICs use on every core: nsg.Compile is pure, and
	// it is most of a big network's compile time (service-tag expansion).
	// Results are stored by position, so the engine does not depend on the
	// schedule.
	var order []*topology.NSG
	seen := map[string]bool{}
	want := func(id topology.Ref) {
		if g0, ok := m.NSG(id); ok && !seen[id.Key()] { // m.NSG also builds the model's index before the goroutines read it
			seen[id.Key()] = true
			order = append(order, g0)
		}
	}
	for _, n := range m.NICs {
		if ipc := n.Primary(); ipc != nil {
			if si, ok := subnetIdx[ipc.Subnet.Key()]; ok {
				want(n.NSG)
				want(e.subnets[si].s.NSG)
			}
		}
	}
	compiled, cerrs := make([]*nsg.Group, len(order)), make([]error, len(order))
	parallel(len(order), func(i int) {
		compiled[i], cerrs[i] = nsg.Compile(nsg.SecurityGroup{ID: string(order[i].ID), Rules: order[i].Rules}, res)
	})
	for i, g0 := range order {
		groups[g0.ID.Key()] = compiled[i]
		if cerrs[i] != nil {
			unknownNSG[g0.ID.Key()] = rejected("NSG", g0.Name, cerrs[i])
		}
	}
	for _, n := range m.NICs {
		ipc := n.Primary()
		if ipc == nil {
			continue
		}
		si, ok := subnetIdx[ipc.Subnet.Key()]
		if !ok {
			// The NIC's subnet is not in the input: where it sits, and so
			// every answer about it, is unknown.
			e.skipped = append(e.skipped, skippedNIC{n, fmt.Sprintf("NIC %s: its subnet %s is not in the input, so it cannot be simulated", n.Name, ipc.Subnet)})
			continue
		}
		ss := &e.subnets[si]
		st := nicState{nic: n, ipc: ipc, addr: ipc.PrivateIP, subnet: si, forward: n.EnableIPForwarding, unknown: -1}
		var addrs []netip.Addr
		for _, c := range n.IPConfigs {
			if c.PrivateIP.IsValid() {
				if c == ipc {
					st.addrIdx = len(addrs)
				}
				addrs = append(addrs, c.PrivateIP)
				if c.PrivateIP.Is6() && !st.addr6.IsValid() {
					st.addr6 = c.PrivateIP
				}
			}
		}
		nicNSG, subnetNSG := group(n.NSG), group(ss.s.NSG)
		if !n.PrivateEndpoint.IsZero() {
			// Private endpoints: NSGs apply only with NSG network policies
			// (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy).
			st.isPE = true
			st.peSubnet = ss.s.PrivateEndpointPolicies.NSGs()
			if !st.peSubnet {
				nicNSG, subnetNSG = nil, nil
			}
		}
		adminNSG := adminOf(ss.s.VNet)
		var unk []string // the security stages whose rules are unknown: taken as allowing
		for _, k := range []string{"admin:" + ss.s.VNet.ID.Key(), n.NSG.Key(), ss.s.NSG.Key()} {
			if why, ok := unknownNSG[k]; ok && (!st.isPE || st.peSubnet) {
				unk = append(unk, why)
			}
		}
		if len(unk) > 0 {
			st.unknown = e.note(strings.Join(unk, "; ") + ": its rules are unknown for " + n.Name + "; the path shown is what happens if they allow")
		}
		cls, err := nsg.NewClassifier(nsg.NIC{ID: string(n.ID), SubnetID: string(ss.s.ID), VNet: string(ss.s.VNet.ID), Addrs: addrs,
			NSG: nicNSG, SubnetNSG: subnetNSG, Admin: adminNSG, Scope: scopes[si]})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.cls = cls
		h := int32(len(e.nics))
		e.nicByKey[n.ID.Key()] = h
		e.nicByName[strings.ToLower(n.Name)] = append(e.nicByName[strings.ToLower(n.Name)], h)
		e.nics = append(e.nics, st)
		for _, a := range addrs {
			e.vnets[ss.vnet].targets[a] = target{targetNIC, h}
		}
	}
	for _, f := range m.Firewalls {
		v, ok := m.VNet(f.VNet)
		if !ok {
			continue
		}
		fs := fwState{fw: f, subnet: -1}
		for _, s := range v.Subnets {
			if strings.EqualFold(s.Name, "AzureFirewallSubnet") {
				fs.subnet = subnetIdx[s.ID.Key()]
			}
		}
		if fs.subnet < 0 || !f.PrivateIP.IsValid() {
			continue
		}
		var err error
		if fs.eng, err = firewallEngine(m, f, opts); err != nil {
			// Its policy is not in the input, or Azure would reject what
			// decides it: the firewall's verdicts are Unknown.
			fs.eng, fs.why = nil, firewallUnknown(m, f, err)
		}
		fi := int32(len(e.firewalls))
		e.firewalls = append(e.firewalls, fs)
		e.vnets[vnetIdx[v]].targets[f.PrivateIP] = target{targetFirewall, fi}
	}
	for li, lb := range m.LoadBalancers {
		for _, fe := range lb.Frontends {
			if !fe.PrivateIP.IsValid() {
				continue
			}
			if s, ok := m.Subnet(fe.Subnet); ok {
				e.vnets[vnetIdx[s.VNet]].targets[fe.PrivateIP] = target{targetLBFrontend, int32(li)}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// Peers' addresses are reachable too (validation keeps them disjoint).
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
	// Egress choices and route actions.
	pips := vmPublicIPs(m.NICs)
	vmPIP := func(n *topology.NIC) (*topology.IPConfig, bool) { c, ok := pips[vmKey(n)]; return c, ok }
	for h := range e.nics {
		st := &e.nics[h]
		st.egress4 = e.intern(e.internetEgress(st, false, vmPIP))
		st.egress6 = e.intern(e.internetEgress(st, true, vmPIP))
		ss := &e.subnets[st.subnet]
		st.unsure = st.unknown >= 0 || ss.unknown >= 0 || ss.transit >= 0 || e.egress[st.egress4].unsure != 0
	}
	for i := range e.firewalls {
		e.firewalls[i].egress4 = e.intern(e.firewallEgress(&e.firewalls[i]))
	}
	for i := range e.subnets {
		ss := &e.subnets[i]
		ss.actions = make([]action, ss.table.NumSelections())
		for i := range ss.actions {
			m := ss.table.Selection(i)
			a := action{typ: actionType(m)}
			if m.NumNextHops() > 0 && (a.typ == route.VirtualAppliance || a.typ == route.VirtualApplianceEcmp) {
				a.target, a.ok = e.vnets[ss.vnet].targets[m.NextHop(0)]
			}
			a.noGateway = userRouteWithoutGateway(m, ss.vpn)
			ss.actions[i] = a
		}
	}
	return e, nil
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
func firewallUnknown(m *topology.Model, f *topology.Firewall, err error) string {
	if !f.Policy.IsZero() {
		switch {
		case !slices.ContainsFunc(m.FirewallPolicies, func(p *topology.FirewallPolicy) bool { return p.ID.Key() == f.Policy.Key() }):
			return "its firewall policy " + f.Policy.Name() + " is not in the input"
		case errors.Is(err, topology.ErrDangling):
			return "the base policy of its firewall policy " + f.Policy.Name() + " is not in the input"
		}
		return rejected("firewall policy", f.Policy.Name(), err)
	}
	return rejected("the classic rules of firewall", f.Name, err)
}

// hasVPNGateway reports whether v can use a VPN gateway: its own, or its
// transit hub's over a peering with gateway transit.
func hasVPNGateway(m *topology.Model, gr *topology.Graph, v *topology.VNet) bool {
	src := v
	if hub, ok := gr.TransitGateway(v); ok {
		src = hub
	}
	for _, g := range m.Gateways {
		if g.Type == topology.GatewayVpn && g.VNet.Key() == src.ID.Key() {
			return true
		}
	}
	return false
}

// defaultSite names the default site of the VPN gateway v uses (its own, or
// its transit hub's), or "".
func defaultSite(m *topology.Model, gr *topology.Graph, v *topology.VNet) string {
	src := v
	if hub, ok := gr.TransitGateway(v); ok {
		src = hub
	}
	for _, g := range m.Gateways {
		if g.Type == topology.GatewayVpn && g.VNet.Key() == src.ID.Key() && !g.DefaultSite.IsZero() {
			for _, l := range m.LocalNetworkGateways {
				if l.ID.Key() == g.DefaultSite.Key() {
					return l.Name
				}
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

// TagVersion is implemented by service-tag resolvers that know which
// published file they hold (*servicetag.Set does): results then name it.
type TagVersion interface {
	Cloud() string
	ChangeNumber() int
}

// ServiceTags names the service-tag data the engine was compiled with, e.g.
// "Public changeNumber 376", or "" when the resolver does not say.
func (e *Engine) ServiceTags() string {
	if v, ok := e.opts.Tags.(TagVersion); ok {
		return fmt.Sprintf("%s changeNumber %d", v.Cloud(), v.ChangeNumber())
	}
	return ""
}

// NIC is a handle to a NIC of an [Engine]: a small integer resolved once by
// [Engine.NIC], then used on the hot path.
type NIC int32

// NIC resolves a NIC by name or resource ID. Names must be unambiguous.
func (e *Engine) NIC(nameOrID string) (NIC, error) {
	if h, ok := e.nicByKey[strings.ToLower(nameOrID)]; ok {
		return NIC(h), nil
	}
	if hs := e.nicByName[strings.ToLower(nameOrID)]; len(hs) == 1 {
		return NIC(hs[0]), nil
	}
	n, err := e.model.FindNIC(nameOrID) // for its error: unknown or ambiguous, with candidates
	if err != nil {
		return -1, err
	}
	h, ok := e.nicByKey[n.ID.Key()]
	if !ok {
		for _, s := range e.skipped {
			if s.nic == n {
				return -1, errors.New(s.why)
			}
		}
		return -1, fmt.Errorf("NIC %q has no IP configuration", nameOrID)
	}
	return NIC(h), nil
}

// Unknowns lists what the engine does not know about the network, one
// sentence each, in a stable order: resources referenced but not in the
// input (their flows answer Unknown, naming them), resources Azure would
// reject (treated as unknown), NICs that cannot be simulated.
func (e *Engine) Unknowns() []string {
	out := slices.Clone(e.notes)
	for _, s := range e.skipped {
		out = append(out, s.why)
	}
	return out
}

// NICSubnet returns the subnet of a NIC's primary IP configuration.
func (e *Engine) NICSubnet(h NIC) *topology.Subnet { return e.subnets[e.nics[h].subnet].s }

// NumNICs returns the number of NIC handles, 0..NumNICs()-1.
func (e *Engine) NumNICs() int { return len(e.nics) }

// NICName returns the name of a NIC handle.
func (e *Engine) NICName(h NIC) string { return e.nics[h].nic.Name }

// NICAddr returns the primary private address of a NIC handle.
func (e *Engine) NICAddr(h NIC) netip.Addr { return e.nics[h].addr }

// NICID returns the resource ID of a NIC handle.
func (e *Engine) NICID(h NIC) string { return string(e.nics[h].nic.ID) }

// Classifier returns the compiled security classifier of a NIC handle: its
// admin rules, NIC NSG and subnet NSG, for IP-flow-verify style questions and
// the effective security rules listing.
func (e *Engine) Classifier(h NIC) *nsg.Classifier { return e.nics[h].cls }

// Routes returns the effective route table of a NIC handle's subnet.
func (e *Engine) Routes(h NIC) *route.Table { return e.subnets[e.nics[h].subnet].table }

// NextHopResult is the answer of [Engine.NextHop], shaped like Network
// Watcher's next hop (`az network watcher show-next-hop`).
type NextHopResult struct {
	// NextHopType is one value of the API's NextHopType enum: Internet,
	// VirtualAppliance, VirtualNetworkGateway, VnetLocal, HyperNetGateway
	// (never produced: no route leads there) or None.
	NextHopType      string `json:"nextHopType"`
	NextHopIPAddress string `json:"nextHopIpAddress"`
	RouteTableID     string `json:"routeTableId"`
}

// networkWatcherType maps an effective route's next-hop type to Network
// Watcher next hop's NextHopType enum (REST API NextHopResult: Internet,
// VirtualAppliance, VirtualNetworkGateway, VnetLocal, HyperNetGateway, None),
// which has fewer values than effective routes: a peering, a connected
// group and a private endpoint keep the traffic in Azure's virtual network
// fabric (VnetLocal); a service endpoint's traffic goes to the service's
// public addresses over the backbone (Internet); ECMP is VirtualAppliance.
// The enum has no value for those routes, so this mapping is egress's
// reading of it; `egress routes` keeps the effective-routes spelling.
func networkWatcherType(t route.NextHopType) string {
	switch t {
	case route.VNetPeering, route.VNetGlobalPeering, route.ConnectedGroup, route.InterfaceEndpoint:
		return "VnetLocal"
	case route.VirtualNetworkServiceEndpoint:
		return "Internet"
	case route.VirtualApplianceEcmp:
		return "VirtualAppliance"
	}
	return t.String()
}

// NextHop answers like Network Watcher's next hop for traffic from the NIC to
// dst: the next-hop type in the API's vocabulary (see [NextHopResult]), its
// first IP address, and the route table whose user route was chosen, or
// "System Route"
// (https://learn.microsoft.com/azure/network-watcher/next-hop-overview). A
// destination without a route gives "None".
func (e *Engine) NextHop(h NIC, dst netip.Addr) NextHopResult {
	m, ok := e.Routes(h).Lookup(dst)
	if !ok {
		return NextHopResult{NextHopType: "None", RouteTableID: "System Route"}
	}
	r := NextHopResult{NextHopType: networkWatcherType(m.NextHopType()), RouteTableID: "System Route"}
	if m.NumNextHops() > 0 {
		r.NextHopIPAddress = m.NextHop(0).String()
	}
	if m.Route(0).Source() == route.SourceUser {
		r.RouteTableID = e.Routes(h).RouteTable()
	}
	return r
}

// HasAddr reports whether a is one of the NIC's private addresses.
func (e *Engine) HasAddr(h NIC, a netip.Addr) bool {
	for _, c := range e.nics[h].nic.IPConfigs {
		if c.PrivateIP == a.Unmap() {
			return true
		}
	}
	return false
}

// parallel runs f(0), ..., f(n-1) on up to GOMAXPROCS goroutines and waits
// for all of them.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}
