package topology

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
)

// Network is a validated Azure network, compiled once for the engines: what
// an [IPSet] is to its builder, a Network is to a [Model]. It holds dense
// indices for the VNets, subnets, NICs and firewalls, the links between
// them as indices, each VNet's peers sorted with their peerings' flags, and
// what validation compiled: each subnet's effective route table
// ([*route.Table]), each NSG's and each VNet's admin rules' [*nsg.Group],
// each subnet's [*nsg.Scope] and each firewall's rule engine
// ([*firewall.Engine]), with the names, IDs and positions explanations
// need. Build one with [Load] or [Model.Network].
//
// A Network is immutable: it keeps its own deep copy of the model it was
// built from, so changing that model afterwards changes nothing here, and
// every method that returns a resource, a list or a view's data returns a
// copy or an immutable compiled value. It is safe for concurrent use and
// must not be copied by value (use the pointer). Its views ([VNetView],
// [SubnetView], [NICView], [FirewallView], [NSGView], [RouteTableView], and
// for the PaaS sources [AIAccountView] with its compiled allow-list,
// [WebAppView] with its integration subnet and [InjectedView] with the
// delegated subnet a container group or flexible server is in) are small
// values: an index into the Network.
//
// A Network may hold what validation accepted with a warning: resources
// Azure would reject (their compiled value is nil and their view's Err
// says why), references to resources outside the input ([RefExternal]),
// and values the loaders assumed; [Network.Validation] lists them.
//
// What-if is a new Network: apply an overlay to a copy of the model
// ([Network.Model], [Model.ApplyOverlay]) and build it again, or [Load]
// with [LoadOptions.Overlays].
//
// [IPSet]: https://pkg.go.dev/go4.org/netipx#IPSet
type Network struct {
	_ [0]sync.Mutex

	// m is the network's own copy of the validated model, indexed once.
	// Nothing reads its lazy index after construction but the firewall
	// compilations of FirewallView.CompileWith, which only read it.
	m    *Model
	tags route.TagResolver
	val  *Validation

	vnets      []vnetRec
	subnets    []subnetRec
	nics       []nicRec
	firewalls  []fwRec
	nsgs       []nsgRec
	rts        []rtRec
	ais        []aiRec
	webs       []webRec
	perimeters perimeterRec
	nicByMAC   map[string]int32 // NormalizeMAC form → NIC, -1 when several claim it
	injs       []injRec

	vnetByKey, subnetByKey, nicByKey, fwByKey, nsgByKey, rtByKey map[string]int32
	nicByName                                                    map[string][]int32
	fwres                                                        firewall.Resolvers // without DNS
}

type vnetRec struct {
	v        *VNet
	subnets  []int32
	peers    []int32 // bidirectionally connected, sorted by ID
	peerings []PeeringInfo
	transit  int32 // the VNet whose gateway it uses, or -1
	admin    AdminRules
	gwRoutes []route.GatewayRoute
	nat      Ref // the StandardV2 NAT gateway attached to the whole VNet
}

type subnetRec struct {
	s     *Subnet
	vnet  int32
	table *route.Table
	scope *nsg.Scope
}

type nicRec struct {
	n      *NIC
	subnet int32 // the primary IP configuration's, or -1
}

type fwRec struct {
	f      *Firewall
	vnet   int32 // -1: not in the input
	subnet int32 // its VNet's AzureFirewallSubnet, or -1
	eng    *firewall.Engine
	err    error
}

type nsgRec struct {
	g     *NSG
	group *nsg.Group
	err   error
}

type rtRec struct {
	rt  *RouteTable
	err error
}

// compiled is what Model.check keeps for a Network.
type compiled struct {
	routes        map[*Subnet]*route.Table
	routeTableErr map[*RouteTable]error
	res           nsg.Resolvers // with the cache the NSGs were compiled with
	groups        []*nsg.Group  // parallel to Model.NSGs
	nsgErr        []error
	policies      map[*FirewallPolicy]engineOrErr
	classic       map[*Firewall]engineOrErr
}

type engineOrErr struct {
	eng *firewall.Engine
	err error
}

// RefState says where a reference leads.
type RefState uint8

// Reference states.
const (
	// RefNone: the reference is empty (no route table, no NSG).
	RefNone RefState = iota
	// RefInput: a resource of the network (which may still be one Azure
	// would reject: see its view's Err).
	RefInput
	// RefExternal: a resource the input does not contain; Validation's
	// External lists the reference.
	RefExternal
)

var refStateNames = [...]string{"None", "Input", "External"}

// String returns "None", "Input" or "External".
func (s RefState) String() string {
	if int(s) < len(refStateNames) {
		return refStateNames[s]
	}
	return fmt.Sprintf("RefState(%d)", uint8(s))
}

// Network validates the model and builds its [Network], as [Load] does
// after loading: every problem of [Model.Check] is found, and the network
// is refused (a [*Problems] of its Errors, nil Network) only for Errors;
// resources Azure would reject, references outside the input and the
// loaders' warnings are kept ([Network.Validation]). tags resolves service
// tags (nil resolves none) and stays with the network ([Network.Tags]).
//
// The Network is built from a deep copy of m ([Model.Clone]), validated and
// compiled once: changing m afterwards does not change it. m itself is not
// modified. Cost: the validation's, plus compiling every NSG (tag
// expansions shared across NSGs) and every subnet's scope, on every core.
func (m *Model) Network(tags route.TagResolver) (*Network, error) {
	s, v, keep := m.checkCopy(tags)
	if len(v.Errors) > 0 {
		return nil, &Problems{List: v.Errors, Total: len(v.Errors) + v.ErrorsExtra}
	}
	return newNetwork(s, tags, v, keep), nil
}

// checkCopy validates a deep copy of m, keeping what validation compiles:
// what newNetwork builds a network from when the copy has no Errors.
func (m *Model) checkCopy(tags route.TagResolver) (*Model, *Validation, *compiled) {
	s := m.Clone()
	v, keep := s.checkKeep(tags)
	return s, v, keep
}

// checkKeep validates m, keeping what validation compiles: what newNetwork
// builds a network from when m has no Errors. The network then owns m.
func (m *Model) checkKeep(tags route.TagResolver) (*Validation, *compiled) {
	keep := &compiled{routes: map[*Subnet]*route.Table{}, routeTableErr: map[*RouteTable]error{},
		policies: map[*FirewallPolicy]engineOrErr{}, classic: map[*Firewall]engineOrErr{}}
	return m.check(tags, keep), keep
}

// newNetwork builds the network of the validated model s, which it owns.
func newNetwork(s *Model, tags route.TagResolver, v *Validation, keep *compiled) *Network {
	n := &Network{m: s, tags: tags, val: v,
		vnetByKey: map[string]int32{}, subnetByKey: map[string]int32{}, nicByKey: map[string]int32{}, fwByKey: map[string]int32{},
		nsgByKey: map[string]int32{}, rtByKey: map[string]int32{}, nicByName: map[string][]int32{},
		fwres: s.FirewallResolvers(tags, nil)}
	gr := s.Graph()
	for i, rt := range s.RouteTables {
		n.rts = append(n.rts, rtRec{rt: rt, err: keep.routeTableErr[rt]})
		putFirst(n.rtByKey, rt.ID, i)
	}
	for i, g := range s.NSGs {
		n.nsgs = append(n.nsgs, nsgRec{g: g, group: keep.groups[i], err: keep.nsgErr[i]})
		putFirst(n.nsgByKey, g.ID, i)
	}
	for i, vn := range s.VNets {
		n.vnets = append(n.vnets, vnetRec{v: vn, transit: -1})
		putFirst(n.vnetByKey, vn.ID, i)
	}
	for i, vn := range s.VNets {
		r := &n.vnets[i]
		for _, p := range gr.Peers(vn) {
			pi, _ := get(n.vnetByKey, p.ID)
			r.peers = append(r.peers, pi)
		}
		if hub, ok := gr.TransitGateway(vn); ok {
			r.transit, _ = get(n.vnetByKey, hub.ID)
		}
		for _, p := range vn.Peerings {
			remote, ok := get(n.vnetByKey, p.Remote)
			if !ok || p.Remote.IsZero() {
				remote = -1
			}
			r.peerings = append(r.peerings, PeeringInfo{Name: p.Name, ID: p.ID, Pos: p.Pos, Remote: int(remote), RemoteID: p.Remote,
				AllowVirtualNetworkAccess: p.AllowVirtualNetworkAccess, AllowForwardedTraffic: p.AllowForwardedTraffic,
				AllowGatewayTransit: p.AllowGatewayTransit, UseRemoteGateways: p.UseRemoteGateways, Connected: p.Connected,
				RemoteAddressSpace: p.RemoteAddressSpace})
		}
		r.gwRoutes = s.gatewayRoutes(gr, vn)
		r.admin = adminRules(s, vn, keep.res)
		for _, sn := range vn.Subnets {
			si := int32(len(n.subnets))
			r.subnets = append(r.subnets, si)
			n.subnets = append(n.subnets, subnetRec{s: sn, vnet: int32(i), table: keep.routes[sn]})
			putFirst(n.subnetByKey, sn.ID, int(si))
		}
	}
	for _, ng := range s.NATGateways {
		if i, ok := get(n.vnetByKey, ng.SourceVirtualNetwork); ok && !ng.SourceVirtualNetwork.IsZero() && n.vnets[i].nat.IsZero() {
			n.vnets[i].nat = ng.ID // validation keeps one VNet per NAT gateway; the first one attached wins
		}
	}
	// Each subnet's scope: what the context-dependent service tags expand
	// to for its NICs. Validated prefixes: CompileContext cannot fail.
	parallel(len(n.subnets), func(i int) {
		sr := &n.subnets[i]
		sr.scope, _ = nsg.CompileContext(s.NSGContext(sr.s, gr))
	})
	n.paasViews(s)
	n.perimeterViews(s)
	n.injectedViews(s)
	for i, nic := range s.NICs {
		rec := nicRec{n: nic, subnet: -1}
		if ipc := nic.Primary(); ipc != nil {
			if si, ok := get(n.subnetByKey, ipc.Subnet); ok {
				rec.subnet = si
			}
		}
		n.nics = append(n.nics, rec)
		putFirst(n.nicByKey, nic.ID, i)
		name := strings.ToLower(nic.Name)
		n.nicByName[name] = append(n.nicByName[name], int32(i))
		if nic.MAC != "" {
			if n.nicByMAC == nil {
				n.nicByMAC = map[string]int32{}
			}
			if _, dup := n.nicByMAC[nic.MAC]; dup {
				n.nicByMAC[nic.MAC] = -1 // two NICs claim it: no answer
			} else {
				n.nicByMAC[nic.MAC] = int32(i)
			}
		}
	}
	for i, f := range s.Firewalls {
		rec := fwRec{f: f, vnet: -1, subnet: -1}
		if vi, ok := get(n.vnetByKey, f.VNet); ok && !f.VNet.IsZero() {
			rec.vnet = vi
			for _, si := range n.vnets[vi].subnets {
				if strings.EqualFold(n.subnets[si].s.Name, firewallSubnetName) {
					rec.subnet = si
				}
			}
		}
		rec.eng, rec.err = n.firewallEngine(f, keep)
		n.firewalls = append(n.firewalls, rec)
		putFirst(n.fwByKey, f.ID, i)
	}
	return n
}

// putFirst records the index of the first resource with an ID.
func putFirst(m map[string]int32, id Ref, i int) {
	if id.IsZero() {
		return
	}
	if k := id.Key(); !hasKey(m, k) {
		m[k] = int32(i)
	}
}

// firewallEngine is the engine that decides a firewall's traffic: its
// policy's, else its classic rules' (validation rejects a firewall with
// both), as validation compiled it; nil and no error for a firewall with
// neither. A policy outside the input is an error wrapping [ErrExternal].
func (n *Network) firewallEngine(f *Firewall, keep *compiled) (*firewall.Engine, error) {
	switch {
	case !f.Policy.IsZero():
		fp, ok := lookup[*FirewallPolicy](n.m, f.Policy)
		if !ok {
			return nil, &Error{Pos: f.Pos, Resource: string(f.ID), Field: "firewallPolicy", Value: string(f.Policy), Kind: ErrExternal}
		}
		if r, ok := keep.policies[fp]; ok {
			return r.eng, r.err
		}
		// Validation did not compile it: its conversion or its chain of
		// base policies fails, which FirewallPolicy reports.
		return n.compileFirewall(f, nil)
	case f.HasClassicRules():
		if r, ok := keep.classic[f]; ok {
			return r.eng, r.err
		}
		return n.compileFirewall(f, nil) // rejected, not compiled (e.g. on a virtual hub)
	}
	return nil, nil
}

// compileFirewall compiles what decides a firewall's traffic with DNS.
func (n *Network) compileFirewall(f *Firewall, dns firewall.DNSResolver) (*firewall.Engine, error) {
	res := n.fwres
	res.DNS = dns
	switch {
	case !f.Policy.IsZero():
		pol, err := n.m.FirewallPolicy(f.Policy)
		if err != nil {
			return nil, err
		}
		return firewall.Compile(pol, res)
	case f.HasClassicRules():
		cl, err := n.m.FirewallClassic(f.ID)
		if err != nil {
			return nil, err
		}
		return firewall.CompileClassic(cl, res)
	}
	return nil, nil
}

// AdminRules are the AVNM security admin rules that apply to a VNet,
// compiled into one group (see [VNetView.Admin]).
type AdminRules struct {
	// Group is the compiled rules; nil when no admin rule targets the VNet,
	// or when Azure would reject them (Err).
	Group *nsg.Group
	// ID names the rules: the ID of the security admin configuration when
	// one targets the VNet, else the VNet's ID + "/adminRules".
	ID string
	// Err is why the rules do not compile, or nil.
	Err error
}

// adminRules compiles every admin rule collection that targets v, in model
// order (ties between collections are undocumented, spec §7.8), named after
// the collection when there is one.
func adminRules(m *Model, v *VNet, res nsg.Resolvers) AdminRules {
	ac := nsg.AdminConfig{ID: string(v.ID) + "/adminRules"}
	k := 0
	for _, c := range m.AdminConfigs {
		if slices.ContainsFunc(c.VNets, func(r Ref) bool { return r.Key() == v.ID.Key() }) {
			ac.Rules = append(ac.Rules, c.Rules...)
			if k++; k == 1 {
				ac.ID = string(c.ID)
			} else {
				ac.ID = string(v.ID) + "/adminRules"
			}
		}
	}
	out := AdminRules{ID: ac.ID}
	if len(ac.Rules) > 0 {
		out.Group, out.Err = nsg.CompileAdmin(ac, res)
	}
	return out
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

// Tags returns the service-tag resolver the network was built with (nil:
// none). Every compiled value of the network resolved its tags through it.
func (n *Network) Tags() route.TagResolver { return n.tags }

// Validation returns what validation found and the network was accepted
// with: no Errors; the Rejected resources, External references and loaders'
// Warnings, with the counts past the cap. The Validation is a copy.
func (n *Network) Validation() *Validation {
	v := *n.val
	v.Errors, v.Rejected, v.External, v.Warnings = slices.Clone(v.Errors), slices.Clone(v.Rejected), slices.Clone(v.External), slices.Clone(v.Warnings)
	return &v
}

// Warnings returns what the network was accepted with despite it, in the
// order a user reads it: the resources Azure would reject, the references
// outside the input, then the loaders' warnings (see [Network.Validation]).
// nil means none.
func (n *Network) Warnings() []error {
	return slices.Concat(n.val.Rejected, n.val.External, n.val.Warnings)
}

// Model returns a deep copy of the validated model the network was built
// from, for a what-if: change it (an overlay) and build a new Network.
// Cost: a [Model.Clone].
func (n *Network) Model() *Model { return n.m.Clone() }

// Skipped returns a copy of the model's [Model.Skipped]: the input
// resources egress does not model, counted by lower-case type (Terraform
// data sources as "data.TYPE"); nil when there are none. It is O(types).
func (n *Network) Skipped() map[string]int { return maps.Clone(n.m.Skipped) }

// NumVNets returns the number of VNets, indexed 0..NumVNets()-1 in model
// order.
func (n *Network) NumVNets() int { return len(n.vnets) }

// NumSubnets returns the number of subnets of all VNets, indexed in model
// order (VNet by VNet).
func (n *Network) NumSubnets() int { return len(n.subnets) }

// NumNICs returns the number of NICs, indexed in model order.
func (n *Network) NumNICs() int { return len(n.nics) }

// NumFirewalls returns the number of Azure Firewalls, indexed in model
// order.
func (n *Network) NumFirewalls() int { return len(n.firewalls) }

// NumNSGs returns the number of NSGs, indexed in model order.
func (n *Network) NumNSGs() int { return len(n.nsgs) }

// NumRouteTables returns the number of route tables, indexed in model
// order.
func (n *Network) NumRouteTables() int { return len(n.rts) }

// VNet returns the view of VNet i; it panics if i is out of range, like a
// slice index.
func (n *Network) VNet(i int) VNetView { _ = n.vnets[i]; return VNetView{n, int32(i)} }

// Subnet returns the view of subnet i; it panics if i is out of range.
func (n *Network) Subnet(i int) SubnetView { _ = n.subnets[i]; return SubnetView{n, int32(i)} }

// NIC returns the view of NIC i; it panics if i is out of range.
func (n *Network) NIC(i int) NICView { _ = n.nics[i]; return NICView{n, int32(i)} }

// NICByMAC returns the NIC with a MAC address (in any form
// [NormalizeMAC] reads); ok is false when no NIC, or more than one, has it.
func (n *Network) NICByMAC(mac string) (v NICView, ok bool) {
	i, ok := n.nicByMAC[mac] // flow logs write the normal form: no allocation
	if !ok {
		k, err := NormalizeMAC(mac)
		if err != nil {
			return NICView{}, false
		}
		i, ok = n.nicByMAC[k]
	}
	if !ok || i < 0 {
		return NICView{}, false
	}
	return NICView{n, i}, true
}

// Firewall returns the view of firewall i; it panics if i is out of range.
func (n *Network) Firewall(i int) FirewallView { _ = n.firewalls[i]; return FirewallView{n, int32(i)} }

// NSG returns the view of NSG i; it panics if i is out of range.
func (n *Network) NSG(i int) NSGView { _ = n.nsgs[i]; return NSGView{n, int32(i)} }

// RouteTable returns the view of route table i; it panics if i is out of
// range.
func (n *Network) RouteTable(i int) RouteTableView { _ = n.rts[i]; return RouteTableView{n, int32(i)} }

func find(m map[string]int32, id Ref) (int32, bool) {
	if id.IsZero() {
		return -1, false
	}
	return get(m, id)
}

// LookupVNet returns the VNet with an ID (compared case-insensitively).
func (n *Network) LookupVNet(id Ref) (VNetView, bool) {
	i, ok := find(n.vnetByKey, id)
	return VNetView{n, i}, ok
}

// LookupSubnet returns the subnet with an ID.
func (n *Network) LookupSubnet(id Ref) (SubnetView, bool) {
	i, ok := find(n.subnetByKey, id)
	return SubnetView{n, i}, ok
}

// LookupNIC returns the NIC with an ID.
func (n *Network) LookupNIC(id Ref) (NICView, bool) {
	i, ok := find(n.nicByKey, id)
	return NICView{n, i}, ok
}

// LookupFirewall returns the Azure Firewall with an ID.
func (n *Network) LookupFirewall(id Ref) (FirewallView, bool) {
	i, ok := find(n.fwByKey, id)
	return FirewallView{n, i}, ok
}

// LookupNSG returns the NSG with an ID.
func (n *Network) LookupNSG(id Ref) (NSGView, bool) {
	i, ok := find(n.nsgByKey, id)
	return NSGView{n, i}, ok
}

// LookupRouteTable returns the route table with an ID.
func (n *Network) LookupRouteTable(id Ref) (RouteTableView, bool) {
	i, ok := find(n.rtByKey, id)
	return RouteTableView{n, i}, ok
}

// FindNIC finds a NIC by full resource ID or by name (case-insensitively),
// as [Model.FindNIC] does: an ambiguous or unknown name gives a
// *[LookupError] ([ErrAmbiguousNIC], [ErrUnknownNIC]) with the candidates.
func (n *Network) FindNIC(nameOrID string) (NICView, error) {
	if strings.HasPrefix(nameOrID, "/") {
		if v, ok := n.LookupNIC(Ref(nameOrID)); ok {
			return v, nil
		}
		return NICView{}, &LookupError{Kind: ErrUnknownNIC, Name: nameOrID, ByID: true}
	}
	found := n.nicByName[strings.ToLower(nameOrID)]
	switch len(found) {
	case 1:
		return NICView{n, found[0]}, nil
	case 0:
		names := make([]string, 0, len(n.nics))
		for _, r := range n.nics {
			names = append(names, r.n.Name)
		}
		slices.Sort(names)
		return NICView{}, &LookupError{Kind: ErrUnknownNIC, Name: nameOrID, Candidates: names}
	}
	ids := make([]string, len(found))
	for i, k := range found {
		ids[i] = string(n.nics[k].n.ID)
	}
	slices.Sort(ids)
	return NICView{}, &LookupError{Kind: ErrAmbiguousNIC, Name: nameOrID, Candidates: ids}
}

// refState says where a reference of the network's model to a resource of
// type T leads (a reference to a resource of another type is external, as
// validation takes it).
func refState[T any](n *Network, r Ref) RefState {
	if r.IsZero() {
		return RefNone
	}
	if x, _ := get(n.m.idx, r); isA[T](x) {
		return RefInput
	}
	return RefExternal
}

func hasKey(m map[string]int32, k string) bool { _, ok := m[k]; return ok }

func isA[T any](x any) bool { _, ok := x.(T); return ok }

// PublicIP returns a copy of the public IP with an ID.
func (n *Network) PublicIP(id Ref) (*PublicIP, bool) {
	x, _ := get(n.m.idx, id)
	p, ok := x.(*PublicIP)
	if !ok {
		return nil, false
	}
	return clone(p), true
}

// PublicIPPrefix returns a copy of the public IP prefix with an ID.
func (n *Network) PublicIPPrefix(id Ref) (*PublicIPPrefix, bool) {
	x, _ := get(n.m.idx, id)
	p, ok := x.(*PublicIPPrefix)
	if !ok {
		return nil, false
	}
	return clone(p), true
}

// NATGateway returns a copy of the NAT gateway with an ID.
func (n *Network) NATGateway(id Ref) (*NATGateway, bool) {
	x, _ := get(n.m.idx, id)
	p, ok := x.(*NATGateway)
	if !ok {
		return nil, false
	}
	return clone(p), true
}

// LocalNetworkGateway returns a copy of the local network gateway with an
// ID.
func (n *Network) LocalNetworkGateway(id Ref) (*LocalNetworkGateway, bool) {
	x, _ := get(n.m.idx, id)
	p, ok := x.(*LocalNetworkGateway)
	if !ok {
		return nil, false
	}
	return clone(p), true
}

// LoadBalancers returns a copy of the load balancers, in model order.
func (n *Network) LoadBalancers() []*LoadBalancer { return clone(n.m.LoadBalancers) }

// Gateways returns a copy of the VPN and ExpressRoute gateways, with their
// learned routes, in model order.
func (n *Network) Gateways() []*Gateway { return clone(n.m.Gateways) }

// RouteServers returns a copy of the Route Servers, in model order.
func (n *Network) RouteServers() []*RouteServer { return clone(n.m.RouteServers) }

// FirewallPolicies returns a copy of the firewall policies, in model order.
func (n *Network) FirewallPolicies() []*FirewallPolicy { return clone(n.m.FirewallPolicies) }

// AIAccounts returns a copy of the Azure AI services accounts, in model
// order.
func (n *Network) AIAccounts() []*AIAccount { return clone(n.m.AIAccounts) }

// PeeringInfo is one peering of a VNet as the network resolved it: plain
// data, a copy.
type PeeringInfo struct {
	Name string
	ID   Ref
	Pos  Pos
	// Remote is the index of the remote VNet in the network, or -1 when the
	// input does not contain it (RemoteID names it).
	Remote                    int
	RemoteID                  Ref
	AllowVirtualNetworkAccess bool
	AllowForwardedTraffic     bool
	AllowGatewayTransit       bool
	UseRemoteGateways         bool
	Connected                 bool
	// RemoteAddressSpace is what the peering records of the remote VNet's
	// address space (all that is known of a VNet outside the input).
	RemoteAddressSpace []netip.Prefix
}

// VNetView is a VNet of a [Network]. The zero VNetView is not valid.
type VNetView struct {
	n *Network
	i int32
}

func (v VNetView) rec() *vnetRec { return &v.n.vnets[v.i] }

// Index returns the VNet's index in the network.
func (v VNetView) Index() int { return int(v.i) }

// Name returns the VNet's name.
func (v VNetView) Name() string { return v.rec().v.Name }

// ID returns the VNet's resource ID.
func (v VNetView) ID() Ref { return v.rec().v.ID }

// Location returns the VNet's region (lower case), or "".
func (v VNetView) Location() string { return v.rec().v.Location }

// Pos returns where the VNet was read from.
func (v VNetView) Pos() Pos { return v.rec().v.Pos }

// AddressSpace returns a copy of the VNet's address ranges.
func (v VNetView) AddressSpace() []netip.Prefix { return slices.Clone(v.rec().v.AddressSpace) }

// Subnets returns the VNet's subnets, in model order.
func (v VNetView) Subnets() []SubnetView {
	out := make([]SubnetView, len(v.rec().subnets))
	for k, si := range v.rec().subnets {
		out[k] = SubnetView{v.n, si}
	}
	return out
}

// Peers returns the VNets peered with this one in both directions (a
// connected peering each way: traffic flows), sorted by ID ([Graph.Peers]).
func (v VNetView) Peers() []VNetView {
	out := make([]VNetView, len(v.rec().peers))
	for k, p := range v.rec().peers {
		out[k] = VNetView{v.n, p}
	}
	return out
}

// Peerings returns the VNet's peerings, in model order, connected or not.
func (v VNetView) Peerings() []PeeringInfo { return clone(v.rec().peerings) }

// ExternalPeerings returns the connected peerings to VNets the input does
// not contain, in model order ([Model.ExternalPeerings]).
func (v VNetView) ExternalPeerings() []PeeringInfo {
	var out []PeeringInfo
	for _, p := range v.rec().peerings {
		if p.Remote < 0 && p.Connected && !p.RemoteID.IsZero() {
			out = append(out, clone(p))
		}
	}
	return out
}

// TransitHub returns the VNet whose gateway this one uses over a peering
// with gateway transit ([Graph.TransitGateway]).
func (v VNetView) TransitHub() (VNetView, bool) {
	t := v.rec().transit
	return VNetView{v.n, t}, t >= 0
}

// GatewayRoutes returns a copy of the routes the VNet's gateways and Route
// Servers, or its transit hub's, propagate to its subnets, as route.Config
// takes them.
func (v VNetView) GatewayRoutes() []route.GatewayRoute { return clone(v.rec().gwRoutes) }

// NATGateway returns the StandardV2 NAT gateway attached to the whole VNet
// (sourceVirtualNetwork), if any.
func (v VNetView) NATGateway() (Ref, bool) { return v.rec().nat, !v.rec().nat.IsZero() }

// Admin returns the security admin rules that apply to the VNet, compiled.
func (v VNetView) Admin() AdminRules { return v.rec().admin }

// SubnetView is a subnet of a [Network]. The zero SubnetView is not valid.
type SubnetView struct {
	n *Network
	i int32
}

func (s SubnetView) rec() *subnetRec { return &s.n.subnets[s.i] }

// Index returns the subnet's index in the network.
func (s SubnetView) Index() int { return int(s.i) }

// Name returns the subnet's name.
func (s SubnetView) Name() string { return s.rec().s.Name }

// ID returns the subnet's resource ID.
func (s SubnetView) ID() Ref { return s.rec().s.ID }

// Location returns the subnet's region, or "".
func (s SubnetView) Location() string { return s.rec().s.Location }

// Pos returns where the subnet was read from.
func (s SubnetView) Pos() Pos { return s.rec().s.Pos }

// VNet returns the subnet's VNet.
func (s SubnetView) VNet() VNetView { return VNetView{s.n, s.rec().vnet} }

// Prefixes returns a copy of the subnet's address prefixes.
func (s SubnetView) Prefixes() []netip.Prefix { return slices.Clone(s.rec().s.Prefixes) }

// Routes returns the subnet's effective route table, as validation
// compiled it: its VNet's, peers', gateways' and endpoints' routes and its
// route table's (left out when Azure would reject the table).
func (s SubnetView) Routes() *route.Table { return s.rec().table }

// Scope returns the compiled context of the subnet's NICs: what
// VirtualNetwork, Internet and AzureLoadBalancer expand to.
func (s SubnetView) Scope() *nsg.Scope { return s.rec().scope }

// RouteTable returns the subnet's route table reference and where it leads.
func (s SubnetView) RouteTable() (Ref, RefState) {
	r := s.rec().s.RouteTable
	return r, refState[*RouteTable](s.n, r)
}

// NSG returns the subnet's NSG reference and where it leads.
func (s SubnetView) NSG() (Ref, RefState) {
	r := s.rec().s.NSG
	return r, refState[*NSG](s.n, r)
}

// NATGateway returns the subnet's own NAT gateway reference and where it
// leads.
func (s SubnetView) NATGateway() (Ref, RefState) {
	r := s.rec().s.NATGateway
	return r, refState[*NATGateway](s.n, r)
}

// PrivateEndpointPolicies returns the subnet's
// privateEndpointNetworkPolicies.
func (s SubnetView) PrivateEndpointPolicies() PrivateEndpointPolicy {
	return s.rec().s.PrivateEndpointPolicies
}

// DefaultOutboundAccess returns the subnet's defaultOutboundAccess; set is
// false when the input does not say.
func (s SubnetView) DefaultOutboundAccess() (value, set bool) {
	if d := s.rec().s.DefaultOutboundAccess; d != nil {
		return *d, true
	}
	return false, false
}

// IPConfigInfo is one IP configuration of a NIC: plain data, a copy.
type IPConfigInfo struct {
	Name      string
	ID        Ref
	Pos       Pos
	Primary   bool
	PrivateIP netip.Addr
	// Subnet is the index of its subnet in the network, or -1 when the input
	// does not contain it (SubnetID names it).
	Subnet         int
	SubnetID       Ref
	PublicIP       Ref
	ASGs           []Ref
	BackendPools   []Ref
	GatewayLBFront Ref
	// PrivateIPUnknown is [IPConfig.PrivateIPUnknown].
	PrivateIPUnknown string
}

// NICView is a NIC of a [Network]. The zero NICView is not valid.
type NICView struct {
	n *Network
	i int32
}

func (v NICView) rec() *nicRec { return &v.n.nics[v.i] }

// Index returns the NIC's index in the network.
func (v NICView) Index() int { return int(v.i) }

// Name returns the NIC's name.
func (v NICView) Name() string { return v.rec().n.Name }

// ID returns the NIC's resource ID.
func (v NICView) ID() Ref { return v.rec().n.ID }

// Pos returns where the NIC was read from.
func (v NICView) Pos() Pos { return v.rec().n.Pos }

// NSG returns the NIC's NSG reference and where it leads.
func (v NICView) NSG() (Ref, RefState) {
	r := v.rec().n.NSG
	return r, refState[*NSG](v.n, r)
}

// EnableIPForwarding reports whether the NIC forwards traffic not addressed
// to it.
func (v NICView) EnableIPForwarding() bool { return v.rec().n.EnableIPForwarding }

// PrivateEndpoint returns the private endpoint the NIC belongs to, or the
// zero Ref.
func (v NICView) PrivateEndpoint() Ref { return v.rec().n.PrivateEndpoint }

// VirtualMachine returns the VM the NIC is attached to, when known.
func (v NICView) VirtualMachine() Ref { return v.rec().n.VirtualMachine }

// MAC returns the NIC's MAC address as flow logs write it (12 upper-case
// hex digits), or "" when the input does not say.
func (v NICView) MAC() string { return v.rec().n.MAC }

// IPConfigs returns the NIC's IP configurations, in model order.
func (v NICView) IPConfigs() []IPConfigInfo {
	out := make([]IPConfigInfo, len(v.rec().n.IPConfigs))
	for k, c := range v.rec().n.IPConfigs {
		out[k] = v.n.ipConfig(c)
	}
	return out
}

// Primary returns the NIC's primary IP configuration (the first when none is
// marked primary) and its index in IPConfigs; ok is false for a NIC without
// one.
func (v NICView) Primary() (c IPConfigInfo, index int, ok bool) {
	p := v.rec().n.Primary()
	if p == nil {
		return IPConfigInfo{}, -1, false
	}
	return v.n.ipConfig(p), slices.Index(v.rec().n.IPConfigs, p), true
}

// Subnet returns the subnet of the NIC's primary IP configuration; ok is
// false when the NIC has none or the input does not contain it.
func (v NICView) Subnet() (SubnetView, bool) {
	si := v.rec().subnet
	return SubnetView{v.n, si}, si >= 0
}

func (n *Network) ipConfig(c *IPConfig) IPConfigInfo {
	si, ok := find(n.subnetByKey, c.Subnet)
	if !ok {
		si = -1
	}
	return IPConfigInfo{Name: c.Name, ID: c.ID, Pos: c.Pos, Primary: c.Primary, PrivateIP: c.PrivateIP, Subnet: int(si), SubnetID: c.Subnet,
		PublicIP: c.PublicIP, ASGs: slices.Clone(c.ASGs), BackendPools: slices.Clone(c.BackendPools), GatewayLBFront: c.GatewayLBFront,
		PrivateIPUnknown: c.PrivateIPUnknown}
}

// FirewallView is an Azure Firewall of a [Network]. The zero FirewallView
// is not valid.
type FirewallView struct {
	n *Network
	i int32
}

func (f FirewallView) rec() *fwRec { return &f.n.firewalls[f.i] }

// Index returns the firewall's index in the network.
func (f FirewallView) Index() int { return int(f.i) }

// Name returns the firewall's name.
func (f FirewallView) Name() string { return f.rec().f.Name }

// ID returns the firewall's resource ID.
func (f FirewallView) ID() Ref { return f.rec().f.ID }

// Pos returns where the firewall was read from.
func (f FirewallView) Pos() Pos { return f.rec().f.Pos }

// VNet returns the firewall's VNet; ok is false when the input does not
// contain it.
func (f FirewallView) VNet() (VNetView, bool) {
	vi := f.rec().vnet
	return VNetView{f.n, vi}, vi >= 0
}

// Subnet returns the AzureFirewallSubnet of the firewall's VNet.
func (f FirewallView) Subnet() (SubnetView, bool) {
	si := f.rec().subnet
	return SubnetView{f.n, si}, si >= 0
}

// PrivateIP returns the firewall's private address (invalid when unknown).
func (f FirewallView) PrivateIP() netip.Addr { return f.rec().f.PrivateIP }

// PrivateIPAssumed says how the private address was inferred, or "" when
// the input gives it ([Firewall.PrivateIPAssumed]).
func (f FirewallView) PrivateIPAssumed() string { return f.rec().f.PrivateIPAssumed }

// PublicIPs returns a copy of the firewall's public IP references.
func (f FirewallView) PublicIPs() []Ref { return slices.Clone(f.rec().f.PublicIPs) }

// Policy returns the firewall's policy reference and where it leads.
func (f FirewallView) Policy() (Ref, RefState) {
	r := f.rec().f.Policy
	return r, refState[*FirewallPolicy](f.n, r)
}

// HasClassicRules reports whether the firewall has classic rule
// collections.
func (f FirewallView) HasClassicRules() bool { return f.rec().f.HasClassicRules() }

// Engine returns the compiled rules that decide the firewall's traffic: its
// policy's, or its classic rules' when it has no policy; nil and no error
// for a firewall with neither. On error (a policy outside the input,
// wrapping [ErrExternal]; one Azure would reject, with its problems) the
// engine is nil. Network-rule FQDNs are not resolved (no DNS): see
// [FirewallView.CompileWith].
func (f FirewallView) Engine() (*firewall.Engine, error) { return f.rec().eng, f.rec().err }

// CompileWith compiles the firewall's rules again with a DNS resolver for
// network rules' destination FQDNs (the firewall's DNS proxy), which
// [FirewallView.Engine] leaves unresolved. It fails as Engine does; it
// costs a compilation of the rules.
func (f FirewallView) CompileWith(dns firewall.DNSResolver) (*firewall.Engine, error) {
	if err := f.rec().err; err != nil && errors.Is(err, ErrExternal) {
		return nil, err
	}
	return f.n.compileFirewall(f.rec().f, dns)
}

// Resource returns a copy of the firewall resource, with its classic rule
// collections.
func (f FirewallView) Resource() *Firewall { return clone(f.rec().f) }

// NSGView is an NSG of a [Network]. The zero NSGView is not valid.
type NSGView struct {
	n *Network
	i int32
}

func (g NSGView) rec() *nsgRec { return &g.n.nsgs[g.i] }

// Index returns the NSG's index in the network.
func (g NSGView) Index() int { return int(g.i) }

// Name returns the NSG's name.
func (g NSGView) Name() string { return g.rec().g.Name }

// ID returns the NSG's resource ID.
func (g NSGView) ID() Ref { return g.rec().g.ID }

// Pos returns where the NSG was read from.
func (g NSGView) Pos() Pos { return g.rec().g.Pos }

// Rules returns a copy of the NSG's rules as given, in input order.
func (g NSGView) Rules() []nsg.Rule { return clone(g.rec().g.Rules) }

// RuleKnownAfterApply says which values of the rule named name a Terraform
// plan knows only after apply ([NSG.KnownAfterApply]), or "": an answer
// that rule decides is Unknown.
func (g NSGView) RuleKnownAfterApply(name string) string {
	return g.rec().g.KnownAfterApply[strings.ToLower(name)]
}

// RulePos returns the position of each rule, parallel to Rules (empty when
// not from a file).
func (g NSGView) RulePos() []Pos { return slices.Clone(g.rec().g.RulePos) }

// Resource returns a copy of the NSG resource.
func (g NSGView) Resource() *NSG { return clone(g.rec().g) }

// Group returns the compiled NSG; nil when Azure would reject it (Err).
func (g NSGView) Group() *nsg.Group { return g.rec().group }

// Err returns the problems for which Azure would reject the NSG (joined),
// or nil.
func (g NSGView) Err() error { return g.rec().err }

// RouteTableView is a route table of a [Network]. The zero RouteTableView
// is not valid.
type RouteTableView struct {
	n *Network
	i int32
}

func (r RouteTableView) rec() *rtRec { return &r.n.rts[r.i] }

// Index returns the route table's index in the network.
func (r RouteTableView) Index() int { return int(r.i) }

// Name returns the route table's name (the last segment of its ID when the
// input gives none).
func (r RouteTableView) Name() string {
	if n := r.rec().rt.Name; n != "" {
		return n
	}
	return r.rec().rt.ID.Name()
}

// ID returns the route table's resource ID.
func (r RouteTableView) ID() Ref { return r.rec().rt.ID }

// Pos returns where the route table was read from.
func (r RouteTableView) Pos() Pos { return r.rec().rt.Pos }

// Routes returns a copy of the table's routes as given.
func (r RouteTableView) Routes() []route.UserRoute { return clone(r.rec().rt.Routes) }

// DisableBGPRoutePropagation reports whether the table stops gateway routes.
func (r RouteTableView) DisableBGPRoutePropagation() bool {
	return r.rec().rt.DisableBGPRoutePropagation
}

// Err returns the problems for which Azure would reject the route table
// (joined), or nil; its routes are then left out of every subnet's table.
func (r RouteTableView) Err() error { return r.rec().err }
