package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

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
	// Resolver resolves flows given by FQDN, and answers the Azure
	// Firewalls' DNS proxy for network rules' FQDNs (the firewalls are then
	// compiled again with it); nil means such flows fail and such rules are
	// undecidable offline.
	Resolver Resolver
	// MaxHops bounds the number of appliances a flow may cross; zero means
	// 16, and more than 255 means 255.
	MaxHops int
}

// Engine is a network compiled for simulation: the [topology.Network]'s
// route tables, NSG groups, scopes and firewall engines, a classifier per
// NIC, the egress choices of every NIC and firewall, and the indexes that
// turn next-hop addresses into places.
//
// An Engine is immutable after [Compile] and safe for concurrent use; it must
// not be copied. It keeps the Network (immutable too) for explanations, and
// nothing of the model the network was built from.
type Engine struct {
	_ [0]sync.Mutex

	opts Options
	net  *topology.Network

	nics      []nicState
	cold      []nicCold          // per NIC handle: what only explanations and the reference twin read
	nicByKey  map[string]int32   // ID key → handle
	nicByName map[string][]int32 // lower-case name → handles
	subnets   []subnetState      // by network subnet index
	vnets     []vnetState        // by network VNet index
	firewalls []fwState
	egress    []egressSet // interned egress choices
	notes     []string    // why parts of the network are unknown (external or rejected resources), by index
	noteIdx   map[string]int32
	skipped   []skippedNIC

	// The network's resources the engine reads after compiling, copied
	// once: load balancers (egress, internal frontends, public ingress),
	// gateways and Route Servers (explanations and the reference twin), and
	// the NICs with a public IP by VM, in network order (default outbound
	// access).
	lbs          []*topology.LoadBalancer
	gateways     []*topology.Gateway
	routeServers []*topology.RouteServer
	vmPIPs       []vmPIP

	// The PaaS sources (Engine.Source, Engine.TraceFrom).
	ais                 []aiState
	apps                []appState
	aiByKey, appByKey   map[string]int32
	aiByName, appByName map[string][]int32
	// The container groups in subnets (Engine.Source, and destinations),
	// and, by subnet index, the injected resources a subnet holds whose
	// addresses are not in the input.
	injs      []injState
	injByKey  map[string]int32
	injByName map[string][]int32
	holders   map[int32]string

	// ClassifyBatch's compact first-hop state (batch.go), built on its
	// first call.
	batchOnce sync.Once
	batch     *batchState
}

// skippedNIC is a NIC the engine cannot simulate, and why.
type skippedNIC struct {
	nic int // network index
	why string
}

type nicState struct {
	// The first-hop fast path's fields (Engine.firstHop), together at the
	// front so that a flow from a NIC misses on its first lines only, and
	// copied from the NIC's classifier and subnet so that it reads them
	// without a dependent load: the flattened outbound rules of the
	// primary address, the subnet's route table and route actions.
	out     nsg.OutPath
	table   *route.Table
	actions []action   // the subnet's (subnetState.actions)
	addr    netip.Addr // primary private address
	subnet  int32
	egress4 int32 // index into Engine.egress for IPv4 internet traffic
	// unsure: some answer from this NIC depends on what the input does not
	// contain (unknown rules, routes or egress): the first-hop fast path
	// leaves such NICs to the walker.
	unsure bool

	v        topology.NICView
	addrIdx  int        // index of addr in the classifier's addresses
	addr6    netip.Addr // first IPv6 private address, if any
	cls      *nsg.Classifier
	forward  bool
	egress6  int32
	isPE     bool
	peSubnet bool  // NSGs apply (private endpoint with NSG network policies)
	unknown  int32 // a note (Engine.notes) on security rules that are unknown for this NIC, or -1
	// unknownNSG names, by nsg.Stage, the NIC's or subnet's NSG whose rules
	// are unknown (not in the input, or one Azure would reject), or "".
	unknownNSG [3]string
	// addrUnknown is a note saying that the NIC's private address is
	// unknown (a Terraform plan's value known after apply), or -1: flows
	// it would source are Unknown rather than Dropped.
	addrUnknown int32
	_           [nicPad]byte // a multiple of 64 bytes: the hot fields of every NIC start a cache line
}

// nicPad pads nicState to a multiple of 64 bytes (TestNICStateLayout).
const nicPad = 40

// nicCold is the part of a NIC's state off the hot path.
type nicCold struct {
	ipcs    []topology.IPConfigInfo
	primary int          // index in ipcs
	addrs   []netip.Addr // the valid private addresses, in ipcs order
	// rulesUnknown are, for the NIC's NSG and its subnet's (by
	// nsg.StageNIC - 1 and nsg.StageSubnet - 1), the rules some of whose
	// values a Terraform plan knows only after apply (widened to "*"): an
	// answer such a rule decides is Unknown. nil for an NSG without any.
	rulesUnknown [2]*rulesUnknown
}

// rulesUnknown marks the rules of one NSG, by direction and index in
// evaluation order (nsg.Group.Rule), whose values are known only after
// apply, with the notes saying which values.
type rulesUnknown struct {
	notes [2][]int32 // by direction (Inbound 0, Outbound 1); 1 + note index, 0 for a known rule
}

// unknownNote returns 1 + the note of rule i of direction dir, or 0.
func (u *rulesUnknown) unknownNote(dir nsg.Direction, i int16) int32 {
	d := 0
	if dir == nsg.Outbound {
		d = 1
	}
	if u == nil || i < 0 || int(i) >= len(u.notes[d]) {
		return 0
	}
	return u.notes[d][i]
}

type subnetState struct {
	s       topology.SubnetView
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
	// The NAT gateway that serves the subnet (see Engine.natGateway): nat,
	// with natWhere saying it is the VNet's; or natExternal, its own one
	// not in the input.
	nat         *topology.NATGateway
	natWhere    string
	natExternal bool
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
	v topology.VNetView
	// targets maps an address reachable from this VNet (its own and its
	// peers') to what owns it.
	targets map[netip.Addr]target
	// peers are the VNets directly peered in both directions.
	peers []int32
	// external are the address spaces of peered VNets the input does not
	// contain (what their peerings record).
	external []extSpace
	// delegated are the prefixes of the subnets, in this VNet and its
	// peers, that are delegated to a service.
	delegated []delegatedSpace
	// fwdFrom are the VNets whose forwarded traffic this VNet's peerings
	// accept (allowForwardedTraffic), ascending.
	fwdFrom []int32
	// nat is the StandardV2 NAT gateway attached to the whole VNet
	// (sourceVirtualNetwork), or nil.
	nat *topology.NATGateway
}

// extSpace is an address range of a peered VNet outside the input.
// delegatedSpace is a subnet delegated to a service
// (https://learn.microsoft.com/azure/virtual-network/subnet-delegation-overview):
// the service's resources (container groups, flexible servers, ...) take
// their addresses there.
type delegatedSpace struct {
	prefix  netip.Prefix
	index   int32  // the subnet's index
	subnet  string // VNET/SUBNET
	service string // the delegations' service names
}

// delegatedOf returns the delegated subnet, reachable from this VNet, that
// holds address a.
func (v *vnetState) delegatedOf(a netip.Addr) (delegatedSpace, int, bool) {
	for i, x := range v.delegated {
		if x.prefix.Contains(a) {
			return x, i, true
		}
	}
	return delegatedSpace{}, -1, false
}

type extSpace struct {
	prefix netip.Prefix
	vnet   string // its name (from its resource ID)
}

// externalOf returns the peered VNet outside the input whose recorded
// address space holds a, if any.
func (v *vnetState) externalOf(a netip.Addr) (string, int, bool) {
	for i, x := range v.external {
		if x.prefix.Contains(a) {
			return x.vnet, i, true
		}
	}
	return "", -1, false
}

type targetKind uint8

const (
	targetNone targetKind = iota
	targetNIC
	targetFirewall
	targetLBFrontend // an internal load balancer frontend
	targetInjected   // a container group's address in its delegated subnet
)

type target struct {
	kind targetKind
	idx  int32 // the NIC handle, firewall index, load balancer index (Engine.lbs) or container group index (Engine.injs)
}

type fwState struct {
	fw      topology.FirewallView
	name    string
	addr    netip.Addr       // its private address
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
	// external: the first next hop is in the address space of a peered
	// VNet outside the input (vnetState.externalOf), resolved once.
	external bool
	// unknownHop is 1 + the index of the note naming the user route whose
	// next hop IP address a Terraform plan knows only after apply
	// (topology.NextHopKnownAfterApply; its address is a placeholder), 0
	// when the next hop is known.
	unknownHop int32
}

// TagVersion is implemented by service-tag resolvers that know which
// published file they hold (*servicetag.Set does): results then name it.
type TagVersion interface {
	Cloud() string
	ChangeNumber() int
}

// ServiceTags names the service-tag data the network was built with, e.g.
// "Public changeNumber 376", or "" when the resolver does not say.
func (e *Engine) ServiceTags() string {
	if v, ok := e.net.Tags().(TagVersion); ok {
		return fmt.Sprintf("%s changeNumber %d", v.Cloud(), v.ChangeNumber())
	}
	return ""
}

// Network returns the network the engine was compiled from.
func (e *Engine) Network() *topology.Network { return e.net }

// NIC is a handle to a NIC of an [Engine], resolved once by [Engine.NIC]
// (or taken from [Engine.NICs]), then used on the hot path ([Engine.Classify])
// and to describe the NIC (its methods). It is a small comparable value: the
// engine and an index. The zero NIC is not a handle: its methods panic;
// [Engine.Classify] answers Invalid for it and for another engine's handle,
// which [Engine.NextHop] refuses with a panic.
type NIC struct {
	e *Engine
	h int32
}

// NIC resolves a NIC by name or resource ID. Names must be unambiguous. An
// unknown or ambiguous name is a *[topology.LookupError] wrapping
// [ErrUnknownNIC] or [ErrAmbiguousNIC], with the candidates; a NIC the
// engine cannot simulate (without an IP configuration, or in a subnet the
// input does not contain) is a *[NotSimulatedError] wrapping
// [ErrNotSimulated], saying why.
func (e *Engine) NIC(nameOrID string) (NIC, error) {
	if h, ok := e.nicByKey[strings.ToLower(nameOrID)]; ok {
		return NIC{e, h}, nil
	}
	if hs := e.nicByName[strings.ToLower(nameOrID)]; len(hs) == 1 {
		return NIC{e, hs[0]}, nil
	}
	n, err := e.net.FindNIC(nameOrID) // for its error: unknown or ambiguous, with candidates
	if err != nil {
		return NIC{}, err
	}
	if h, ok := e.nicByKey[n.ID().Key()]; ok {
		return NIC{e, h}, nil
	}
	for _, s := range e.skipped {
		if s.nic == n.Index() {
			return NIC{}, &NotSimulatedError{Name: n.Name(), Detail: s.why}
		}
	}
	return NIC{}, &NotSimulatedError{Name: n.Name(), Detail: fmt.Sprintf("NIC %q has no IP configuration", nameOrID)}
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

// NumNICs returns the number of NIC handles, indexed 0..NumNICs()-1 in
// network order (NICs the engine cannot simulate have none).
func (e *Engine) NumNICs() int { return len(e.nics) }

// NICAt returns the handle of index i ([NIC.Index]); it panics if i is out
// of range, like a slice index.
func (e *Engine) NICAt(i int) NIC {
	_ = e.nics[i]
	return NIC{e, int32(i)}
}

// NICs returns every NIC handle of the engine, in index order.
func (e *Engine) NICs() []NIC {
	out := make([]NIC, len(e.nics))
	for h := range out {
		out[h] = NIC{e, int32(h)}
	}
	return out
}

// handle returns the index of h, a handle of e.
func (e *Engine) handle(h NIC) int32 {
	if h.e != e {
		panic("simulate: a NIC handle of another engine, or the zero NIC")
	}
	return h.h
}

// IsValid reports whether h is a handle of an engine (not the zero NIC).
func (h NIC) IsValid() bool { return h.e != nil }

// Index returns the handle's index, 0..[Engine.NumNICs]()-1.
func (h NIC) Index() int { return int(h.h) }

// Name returns the NIC's name.
func (h NIC) Name() string { return h.e.nics[h.h].v.Name() }

// ID returns the NIC's resource ID.
func (h NIC) ID() string { return string(h.e.nics[h.h].v.ID()) }

// Addr returns the NIC's primary private address.
func (h NIC) Addr() netip.Addr { return h.e.nics[h.h].addr }

// Addrs returns a copy of the NIC's private addresses, the primary IP
// configuration's among them, in the order of its IP configurations.
func (h NIC) Addrs() []netip.Addr { return slices.Clone(h.e.cold[h.h].addrs) }

// HasAddr reports whether a is one of the NIC's private addresses.
func (h NIC) HasAddr(a netip.Addr) bool { return slices.Contains(h.e.cold[h.h].addrs, a.Unmap()) }

// Subnet returns the subnet of the NIC's primary IP configuration, in the
// engine's network.
func (h NIC) Subnet() topology.SubnetView { return h.e.subnets[h.e.nics[h.h].subnet].s }

// View returns the NIC in the engine's network: its IP configurations,
// NSG, VM.
func (h NIC) View() topology.NICView { return h.e.nics[h.h].v }

// Classifier returns the NIC's compiled security classifier: its admin
// rules, NIC NSG and subnet NSG, for IP-flow-verify style questions and
// the effective security rules listing.
func (h NIC) Classifier() *nsg.Classifier { return h.e.nics[h.h].cls }

// Routes returns the effective route table of the NIC's subnet, as
// compiled: a user route whose next hop IP address a Terraform plan knows
// only after apply holds a placeholder address there
// ([topology.CompilableRoutes]); [NIC.EffectiveRoutes] lists the routes
// without it.
func (h NIC) Routes() *route.Table { return h.e.subnets[h.e.nics[h.h].subnet].table }

// EffectiveRoute is one record of a NIC's effective routes
// ([NIC.EffectiveRoutes]): the record of `az network nic
// show-effective-route-table`, and whether its next hop IP address is
// known only after apply.
type EffectiveRoute struct {
	route.EffectiveRoute
	// NextHopKnownAfterApply: the record is a user route whose next hop IP
	// address a Terraform plan knows only after apply
	// ([topology.NextHopKnownAfterApply]). NextHopIPAddress is then empty
	// (the compiled table's placeholder is no address), and the flows the
	// route decides are Unknown.
	NextHopKnownAfterApply bool `json:"nextHopIpAddressKnownAfterApply,omitempty"`
}

// EffectiveRoutes returns the NIC's effective routes as `az network nic
// show-effective-route-table` lists them ([route.Table.Records] of
// [NIC.Routes]), with each next hop known only after apply marked and its
// placeholder address left out.
func (h NIC) EffectiveRoutes() []EffectiveRoute {
	recs := h.Routes().Records()
	unknown := h.e.unknownHopNames(h.e.nics[h.h].subnet)
	out := make([]EffectiveRoute, len(recs))
	for i, rec := range recs {
		out[i].EffectiveRoute = rec
		if rec.Source == route.SourceUser && rec.Name != nil && unknown[strings.ToLower(*rec.Name)] {
			out[i].NextHopKnownAfterApply = true
			out[i].NextHopIPAddress = []netip.Addr{}
		}
	}
	return out
}

// unknownHopNames returns, by lower-case name, the user routes of subnet
// i's route table whose next hop IP address is known only after apply;
// nil when there is none.
func (e *Engine) unknownHopNames(i int32) map[string]bool {
	var out map[string]bool
	urs, _ := unknownHopRoutes(e.net, e.subnets[i].s)
	for _, ur := range urs {
		if out == nil {
			out = map[string]bool{}
		}
		out[strings.ToLower(ur.Name)] = true
	}
	return out
}

// unknownHopRoutes returns the user routes of subnet s's route table (one
// the input holds) whose next hop IP address a Terraform plan knows only
// after apply ([topology.NextHopKnownAfterApply]), with the table's view.
func unknownHopRoutes(n *topology.Network, s topology.SubnetView) ([]route.UserRoute, topology.RouteTableView) {
	ref, st := s.RouteTable()
	if st != topology.RefInput {
		return nil, topology.RouteTableView{}
	}
	t, ok := n.LookupRouteTable(ref)
	if !ok || t.Err() != nil {
		return nil, t
	}
	var out []route.UserRoute
	for _, ur := range t.Routes() {
		if topology.NextHopKnownAfterApply(ur) {
			out = append(out, ur)
		}
	}
	return out, t
}

// String returns the NIC's name, or "NIC(invalid)" for the zero NIC.
func (h NIC) String() string {
	if h.e == nil {
		return "NIC(invalid)"
	}
	return h.Name()
}

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
	e.handle(h)
	tb := h.Routes()
	m, ok := tb.Lookup(dst)
	if !ok {
		return NextHopResult{NextHopType: "None", RouteTableID: "System Route"}
	}
	r := NextHopResult{NextHopType: networkWatcherType(m.NextHopType()), RouteTableID: "System Route"}
	if m.NumNextHops() > 0 {
		r.NextHopIPAddress = m.NextHop(0).String()
		if st := &e.nics[h.h]; st.actions[m.Index()].unknownHop > 0 {
			r.NextHopIPAddress = "(known after apply)" // the placeholder is no address
		}
	}
	if m.Route(0).Source() == route.SourceUser {
		r.RouteTableID = tb.RouteTable()
	}
	return r
}
