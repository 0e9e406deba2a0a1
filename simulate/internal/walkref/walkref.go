// Package walkref is the slow, obviously-correct twin of package simulate's
// walker: an interpreter that decides one flow hop by hop on a validated
// [topology.Model], written from the Azure semantics spec
// (shared/spec/azure-semantics.md §1–§3, the Microsoft Learn pages cited
// next to each rule) and sharing no code with package simulate.
//
// It asks the reference engines of the lower packages — routeref for the
// route a place chooses (on the model's route.Config), nsgref for admin
// rules and NSGs, fwref for Azure Firewall policies and classic rules — and
// scans the model for everything else: who owns an address, which egress
// method a NIC has, whether a peering accepts forwarded traffic. Nothing is
// indexed or compiled ahead; it is slow on purpose.
//
// It exists for simulate's differential tests and fuzz target (simulate's
// tests may import it; it must not import simulate). Its answers are plain
// values: the verdict, reason, egress method and hop kinds are spelled as
// simulate spells them (Verdict.String, Reason.MarshalText, Method.String,
// HopKind.String), so a test maps one onto the other by name.
//
// # Choices the spec leaves open
//
// Where Azure's behaviour is not documented, walkref takes simulate's
// documented choice (simulate/doc.go) and says so next to the code: the
// outbound security rules are evaluated before the route (spec §3.3 drops a
// None route first; neither order is documented and both end the flow);
// ECMP follows the first next hop as the route lists it; a user route to
// VirtualNetworkGateway without a VPN gateway drops the flow (§7.2); a
// third-party NVA forwards and SNATs internet-bound traffic to its own
// address; TCP port 25 to the internet depends on the subscription.
package walkref

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// Verdict is what became of a flow, spelled as simulate.Verdict prints.
type Verdict string

// Verdicts.
const (
	Unknown  Verdict = "Unknown"
	Allowed  Verdict = "Allowed"
	Denied   Verdict = "Denied"
	Dropped  Verdict = "Dropped"
	NoEgress Verdict = "NoEgress"
)

// Reason is why a flow ended, spelled as simulate.Reason marshals.
type Reason string

// Reasons.
const (
	ReasonDelivered            Reason = "Delivered"
	ReasonPrivateEndpoint      Reason = "PrivateEndpoint"
	ReasonServiceEndpoint      Reason = "ServiceEndpoint"
	ReasonGateway              Reason = "Gateway"
	ReasonInternet             Reason = "Internet"
	ReasonPlatform             Reason = "Platform"
	ReasonDeniedOut            Reason = "DeniedOutbound"
	ReasonDeniedIn             Reason = "DeniedInbound"
	ReasonRouteNone            Reason = "RouteNone"
	ReasonNoSuchAddress        Reason = "NoSuchAddress"
	ReasonNoForwarding         Reason = "NoIPForwarding"
	ReasonForwardedPeering     Reason = "ForwardedTrafficNotAllowed"
	ReasonLoop                 Reason = "Loop"
	ReasonHopLimit             Reason = "HopLimit"
	ReasonNoEgress             Reason = "NoEgress"
	ReasonICMPNotSupported     Reason = "ICMPNotSupported"
	ReasonNoRoute              Reason = "NoRoute"
	ReasonNoSourceAddress      Reason = "NoSourceAddress"
	ReasonInternalLB           Reason = "InternalLoadBalancer"
	ReasonFirewallDenied       Reason = "FirewallDenied"
	ReasonNoGateway            Reason = "NoGateway"
	ReasonSMTPBlocked          Reason = "SMTPBlocked"
	ReasonFirewallNoSNAT       Reason = "FirewallNoSNAT"
	ReasonProtocolNotSupported Reason = "ProtocolNotSupported"
	ReasonExternal             Reason = "External"
	ReasonDelegatedSubnet      Reason = "DelegatedSubnet"
	ReasonNextHopUnknown       Reason = "NextHopUnknown"
)

// Method is how a flow leaves, spelled as simulate.Method prints.
type Method string

// Methods.
const (
	MethodNone             Method = "None"
	MethodNATGateway       Method = "NATGateway"
	MethodInstancePublicIP Method = "InstancePublicIP"
	MethodLoadBalancer     Method = "LoadBalancer"
	MethodDefaultOutbound  Method = "DefaultOutbound"
	MethodAzureFirewall    Method = "AzureFirewall"
	MethodGateway          Method = "VirtualNetworkGateway"
	MethodServiceEndpoint  Method = "ServiceEndpoint"
	MethodPrivateEndpoint  Method = "PrivateEndpoint"
	MethodPrivate          Method = "Private"
	MethodPlatform         Method = "Platform"
)

// leavesAzure reports whether the method sends the flow to the internet from
// an Azure public address (the methods Azure's port 25 block concerns).
func (m Method) leavesAzure() bool {
	switch m {
	case MethodNATGateway, MethodInstancePublicIP, MethodLoadBalancer, MethodDefaultOutbound, MethodAzureFirewall:
		return true
	}
	return false
}

// HopKind says what a hop is, spelled as simulate.HopKind prints.
type HopKind string

// Hop kinds.
const (
	HopSource          HopKind = "Source"
	HopAppliance       HopKind = "Appliance"
	HopFirewall        HopKind = "AzureFirewall"
	HopDestination     HopKind = "Destination"
	HopPrivateEndpoint HopKind = "PrivateEndpoint"
	HopGateway         HopKind = "VirtualNetworkGateway"
	HopInternet        HopKind = "Internet"
	HopService         HopKind = "Service"
	HopPlatform        HopKind = "Platform"
	HopNowhere         HopKind = "Nowhere"
)

// Hop is one place the flow passes, and the security rules that matched
// there.
type Hop struct {
	Kind     HopKind
	Name     string
	Security []Step
}

// Step is one security stage that matched a rule at a hop: for NSG stages
// (AdminRules, NicNSG, SubnetNSG) the group and the rule as IP flow verify
// names it; for the AzureFirewall stage the policy ("classic rules" for a
// firewall decided by its own collections) and the rule's path.
type Step struct {
	Direction string // "Outbound", "Inbound", "Forward"
	Stage     string
	Source    string
	Access    string
	Rule      string
}

// Rule names what denied a flow: the stage, the NSG, admin configuration or
// firewall, and the rule ("" for a firewall's default deny).
type Rule struct {
	Stage  string
	Source string
	Rule   string
}

// Result is walkref's answer for one flow.
type Result struct {
	Verdict Verdict
	Reason  Reason
	Method  Method
	// Assumed: the answer relied on an assumption (an NVA or Azure
	// Firewall taken to forward, TCP 25 taken to be allowed) or on
	// something the input does not contain.
	Assumed bool
	// EgressIPs are the public addresses the flow may leave from, sorted.
	EgressIPs []netip.Addr
	// Hops are the places the flow passes, as Trace lists them.
	Hops []Hop
	// Crossed counts the appliances crossed (NVAs, Azure Firewalls, and an
	// internal load balancer as next hop).
	Crossed int
	// Path names the NVAs and firewalls crossed, in order ("nic:NAME",
	// "firewall:NAME"); a loop names the appliance met again last.
	Path []string
	// DeniedBy names the rule that denied a Denied flow.
	DeniedBy Rule
}

// FirewallMode is how Azure Firewalls are treated (simulate.FirewallMode).
type FirewallMode uint8

// Firewall modes.
const (
	FirewallEvaluate FirewallMode = iota // the policy or classic rules decide
	FirewallUnknown                      // Unknown; the path is computed as if it allowed
	FirewallAllow                        // allows everything
)

// SMTPMode is what Azure does with TCP port 25 to the internet
// (simulate.SMTPMode).
type SMTPMode uint8

// SMTP modes.
const (
	SMTPUnknown SMTPMode = iota
	SMTPAllowed
	SMTPBlocked
)

// Options are the knobs of simulate.Options that decide a walk, as plain
// values.
type Options struct {
	Tags route.TagResolver
	// DNS answers the firewall's DNS proxy for network rules with FQDNs;
	// nil: such rules cannot be decided offline.
	DNS firewall.DNSResolver
	// NVAUnknown: what a third-party NVA does is unknown (otherwise it
	// forwards everything).
	NVAUnknown       bool
	Firewall         FirewallMode
	PrivateByDefault bool
	SMTP             SMTPMode
	// MaxHops bounds the appliances a flow may cross: 0 means 16, more
	// than 255 means 255.
	MaxHops int
}

// Flow is one flow: from a NIC of the model (or, with FromInjected, a
// container group in its subnet) to a destination address.
type Flow struct {
	From *topology.NIC
	// FromInjected, when set, is the source instead of From: a container
	// group of the model, walked from its subnet.
	FromInjected *topology.InjectedResource
	Dst          netip.Addr
	Proto        ipproto.Proto // 0 means TCP
	SrcPort      uint16
	DstPort      uint16
	Host         string // the name application rules see (SNI, Host), or ""
}

// Twin interprets flows on one model. It caches what it derives from the
// model (route candidates, parsed rules); the model must not change while a
// Twin is in use. It is safe for concurrent use.
type Twin struct {
	m        *topology.Model
	opts     Options
	rejected map[string]bool // keys of the resources Azure would reject (Model.Check)

	mu     sync.Mutex
	routes map[*topology.Subnet]*placeRoutes
	nsgs   map[secKey]*security
	fws    map[*topology.Firewall]*fwRules
}

// New returns a twin of the model, which must have no validation Errors
// (Check's Rejected and External are fine: the flows they decide are
// Unknown).
func New(m *topology.Model, opts Options) *Twin {
	opts.MaxHops = min(opts.MaxHops, 255)
	if opts.MaxHops <= 0 {
		opts.MaxHops = 16
	}
	t := &Twin{m: m, opts: opts, rejected: map[string]bool{},
		routes: map[*topology.Subnet]*placeRoutes{}, nsgs: map[secKey]*security{}, fws: map[*topology.Firewall]*fwRules{}}
	for _, err := range m.Check(opts.Tags).Rejected {
		if e, ok := err.(*topology.Error); ok {
			t.rejected[strings.ToLower(e.Resource)] = true
		}
	}
	return t
}

// Walk decides one flow. It fails only for a flow it cannot start: a NIC
// without an IP configuration, or whose subnet is not in the model.
func (t *Twin) Walk(f Flow) (Result, error) {
	if f.Proto == ipproto.Unknown {
		f.Proto = ipproto.TCP
	}
	f.Dst = f.Dst.Unmap()
	if f.FromInjected != nil {
		r := f.FromInjected
		if r.Kind != topology.InjectedContainerGroup {
			return Result{}, fmt.Errorf("%s %s is not a flow source", r.Kind.Noun(), r.Name)
		}
		s := t.injectedSubnet(r)
		if s == nil {
			return Result{}, fmt.Errorf("container group %s: no subnet of the model", r.Name)
		}
		w := &walk{t: t, f: f}
		w.runInjected(r, s)
		return w.result(), nil
	}
	ipc := f.From.Primary()
	if ipc == nil {
		return Result{}, fmt.Errorf("NIC %s has no IP configuration", f.From.Name)
	}
	if _, ok := t.m.Subnet(ipc.Subnet); !ok {
		return Result{}, fmt.Errorf("NIC %s: subnet %s is not in the model", f.From.Name, ipc.Subnet)
	}
	w := &walk{t: t, f: f}
	w.run()
	return w.result(), nil
}

// walk is the state of one flow.
type walk struct {
	t   *Twin
	f   Flow
	res Result
	src netip.Addr // the flow's source address, after any SNAT
	// unknown: something the input does not contain (rules, routes, an
	// egress resource) or cannot be decided offline could have decided
	// otherwise; the verdict is Unknown whatever the path shown gives.
	unknown bool
	// assumed: an assumption (NVA, firewall mode, SMTP) was made; a flow
	// that would be Allowed is Unknown.
	assumed bool
	seen    []string // appliances crossed, for loop detection
}

func (w *walk) hop(k HopKind, name string) *Hop {
	w.res.Hops = append(w.res.Hops, Hop{Kind: k, Name: name})
	return &w.res.Hops[len(w.res.Hops)-1]
}

func (w *walk) end(v Verdict, r Reason, m Method) {
	w.res.Verdict, w.res.Reason, w.res.Method = v, r, m
}

func (w *walk) result() Result {
	r := w.res
	r.Assumed = w.assumed || w.unknown
	switch {
	case w.unknown:
		r.Verdict = Unknown
	case w.assumed && r.Verdict == Allowed:
		r.Verdict = Unknown
	}
	slices.SortFunc(r.EgressIPs, netip.Addr.Compare)
	return r
}

// place is where the flow is: a NIC (the source or an NVA), a container
// group (the source) or an Azure Firewall, and the subnet it routes from.
type place struct {
	nic    *topology.NIC
	inj    *topology.InjectedResource
	fw     *topology.Firewall
	subnet *topology.Subnet
}

func (t *Twin) nicSubnet(n *topology.NIC) *topology.Subnet {
	s, _ := t.m.Subnet(n.Primary().Subnet)
	return s
}

// run walks the flow from its source NIC.
func (w *walk) run() {
	t, n := w.t, w.f.From
	dst := w.f.Dst
	w.src = n.Primary().PrivateIP
	if dst.Is6() {
		w.src = netip.Addr{}
		for _, c := range n.IPConfigs {
			if c.PrivateIP.Is6() {
				w.src = c.PrivateIP
				break
			}
		}
	}
	w.hop(HopSource, n.Name)
	if !w.src.IsValid() {
		if n.Primary().PrivateIPUnknown != "" && !dst.Is6() {
			w.unknown = true
			w.end(Unknown, ReasonNoSourceAddress, MethodNone)
			return
		}
		w.end(Dropped, ReasonNoSourceAddress, MethodNone)
		return
	}
	// The source's admin rules and NSGs (spec §2.3: NIC, then subnet, for
	// outbound), before the route: simulate's documented order.
	if !w.security(n, nsg.Outbound, ReasonDeniedOut) {
		return
	}
	if isPlatform(dst) {
		// 168.63.129.16 and 169.254.169.254 are host-local, never routed
		// (https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16,
		// https://learn.microsoft.com/azure/virtual-machines/instance-metadata-service).
		w.hop(HopPlatform, "")
		w.end(Allowed, ReasonPlatform, MethodPlatform)
		return
	}
	w.route(place{nic: n, subnet: t.nicSubnet(n)})
}

// runInjected walks the flow from container group r in subnet s: its
// address (ipAddress.ip, else the subnet's first host: the first four are
// reserved), no IPv6 ("IPv6 addresses aren't supported at this time",
// container-instances-virtual-network-concepts), the subnet's outbound
// rules, then, as from a NIC, the platform addresses (host-local: A-31) or
// the subnet's routes. A TCP flow to port 25 or 19390 that the
// network lets through is Unknown: "Outbound connections to port 25 and
// 19390 aren't supported at this time" (same page).
func (w *walk) runInjected(r *topology.InjectedResource, s *topology.Subnet) {
	w.src = r.IP
	if !w.src.IsValid() {
		for _, p := range s.Prefixes {
			if p.Addr().Is4() {
				a := p.Masked().Addr()
				w.src = a.Next().Next().Next().Next()
				break
			}
		}
	}
	if w.f.Dst.Is6() {
		w.src = netip.Addr{}
	}
	w.hop(HopSource, r.Name)
	if !w.src.IsValid() {
		w.end(Dropped, ReasonNoSourceAddress, MethodNone)
		return
	}
	if !w.injSecurity(r, s, nsg.Outbound, ReasonDeniedOut) {
		return
	}
	if isPlatform(w.f.Dst) {
		// Host-local, as from a NIC (A-31: Learn's page names VMs).
		w.hop(HopPlatform, "")
		w.end(Allowed, ReasonPlatform, MethodPlatform)
	} else {
		w.route(place{inj: r, subnet: s})
	}
	if p := w.f.DstPort; w.f.Proto == ipproto.TCP && (p == 25 || p == 19390) && (w.res.Verdict == Allowed || w.res.Verdict == Unknown) {
		w.unknown = true
	}
}

// route routes the flow on from at, its source's place, after the source's
// outbound rules let it go.
func (w *walk) route(at place) {
	t, dst := w.t, w.f.Dst
	fwSNAT := false // the firewall the flow is at translated its source
	for {
		pr := t.placeRoutes(at.subnet)
		ans, ok := pr.table.Lookup(dst)
		if !ok {
			w.end(Dropped, ReasonNoRoute, MethodNone)
			return
		}
		sel := selected(pr.cfg, ans)
		typ := ans.Type
		rsNVA := netip.Addr{} // a Route Server route: to the NVA that advertised it
		if typ == route.VirtualNetworkGateway && len(sel) > 0 && sel[0].source == route.SourceGateway && sel[0].gwOrigin == route.OriginRouteServer {
			if hops := allHops(sel); len(hops) > 0 {
				// https://learn.microsoft.com/azure/route-server/route-server-faq:
				// the next hop of an NVA's route is the NVA's address.
				typ, rsNVA = route.VirtualAppliance, hops[0]
			}
		}
		if pr.unknown || (pr.transitUnknown && overridableByBGP(typ)) {
			w.unknown = true
		}
		if slices.ContainsFunc(sel, func(c chosen) bool { return c.source == route.SourceUser && pr.unknownHops[strings.ToLower(c.name)] }) {
			// The route's next hop is known only after apply.
			w.unknown = true
			w.hop(HopNowhere, "")
			w.end(Unknown, ReasonNextHopUnknown, MethodNone)
			return
		}
		switch typ {
		case route.None:
			w.hop(HopNowhere, "")
			w.end(Dropped, ReasonRouteNone, MethodNone)
			return
		case route.VirtualNetworkServiceEndpoint:
			// The service is reached over the backbone with the private
			// source address (virtual-network-service-endpoints-overview).
			w.hop(HopService, serviceTag(pr.cfg, ans))
			w.end(Allowed, ReasonServiceEndpoint, MethodServiceEndpoint)
			return
		case route.VirtualNetworkGateway:
			user := len(sel) > 0 && sel[0].source == route.SourceUser
			if user && !t.vpnServes(at.subnet.VNet) && !t.externalTransit(at.subnet.VNet) {
				// A user route to VirtualNetworkGateway needs a VPN gateway
				// (udr-overview); without one Azure's behaviour is
				// undocumented (spec §7.2): dropped, as simulate documents.
				w.hop(HopNowhere, "")
				w.end(Dropped, ReasonNoGateway, MethodNone)
				return
			}
			if user && !t.vpnServes(at.subnet.VNet) {
				w.unknown = true // the remote gateway is not in the input
			}
			name := ""
			if len(sel) > 0 && sel[0].source == route.SourceGateway {
				name = sel[0].origin
			}
			w.hop(HopGateway, name)
			w.end(Allowed, ReasonGateway, MethodGateway)
			return
		case route.Internet:
			w.internet(at, fwSNAT)
			return
		case route.VnetLocal, route.VNetPeering, route.VNetGlobalPeering, route.ConnectedGroup, route.InterfaceEndpoint:
			w.deliver(at)
			return
		case route.VirtualAppliance, route.VirtualApplianceEcmp:
			next := rsNVA
			if !next.IsValid() {
				hops := allHops(sel)
				if len(hops) == 0 {
					w.end(Dropped, ReasonNoRoute, MethodNone)
					return
				}
				next = hops[0] // ECMP: the first next hop as the route lists it (simulate's choice)
			}
			nextAt, ok := w.appliance(at, next, &fwSNAT)
			if !ok {
				return
			}
			at = nextAt
		default:
			w.end(Dropped, ReasonNoRoute, MethodNone)
			return
		}
	}
}

// overridableByBGP reports whether a route of next-hop type t could lose to
// a gateway route the input does not contain. The VNet's own ranges,
// peerings and service endpoints beat every BGP route, however specific
// (udr-overview, "How Azure selects a route"); a private endpoint's /32 is
// as specific as a route can be.
func overridableByBGP(t route.NextHopType) bool {
	switch t {
	case route.VnetLocal, route.VNetPeering, route.VNetGlobalPeering, route.ConnectedGroup, route.VirtualNetworkServiceEndpoint, route.InterfaceEndpoint:
		return false
	}
	return true
}

// appliance takes the flow to the appliance holding next: an Azure
// Firewall, an NVA's NIC or an internal load balancer's frontend, in the
// VNet of at or a peer. ok is false when the flow ends there.
func (w *walk) appliance(at place, next netip.Addr, fwSNAT *bool) (place, bool) {
	t := w.t
	vnet := at.subnet.VNet
	o := t.owner(vnet, next)
	if o.kind == ownerNone {
		if name, ok := t.externalOf(vnet, next); ok {
			w.hop(HopNowhere, name)
			w.end(Unknown, ReasonExternal, MethodNone)
			return place{}, false
		}
		w.hop(HopNowhere, "")
		w.end(Dropped, ReasonNoSuchAddress, MethodNone)
		return place{}, false
	}
	w.res.Crossed++
	if w.res.Crossed > t.opts.MaxHops {
		w.end(Dropped, ReasonHopLimit, MethodNone)
		return place{}, false
	}
	switch o.kind {
	case ownerInjected:
		// A container group forwards nothing: it is no NVA, and has no IP
		// forwarding to enable.
		w.hop(HopAppliance, o.inj.Name)
		if w.injSecurity(o.inj, o.subnet, nsg.Inbound, ReasonDeniedIn) {
			w.end(Dropped, ReasonNoForwarding, MethodNone)
		}
		return place{}, false
	case ownerLB:
		// Which backend an internal load balancer picks is not modelled.
		w.end(Unknown, ReasonInternalLB, MethodNone)
		return place{}, false
	case ownerFirewall:
		fw := o.fw
		w.hop(HopFirewall, fw.Name)
		if w.loop("firewall:" + fw.Name) {
			return place{}, false
		}
		snat, allowed := w.firewall(fw)
		if !allowed {
			return place{}, false
		}
		if snat {
			w.src = fw.PrivateIP
		}
		*fwSNAT = snat
		return place{fw: fw, subnet: t.firewallSubnet(fw)}, true
	}
	nva := o.nic
	w.hop(HopAppliance, nva.Name)
	if w.loop("nic:" + nva.Name) {
		return place{}, false
	}
	if !w.security(nva, nsg.Inbound, ReasonDeniedIn) {
		return place{}, false
	}
	if !nva.EnableIPForwarding {
		// Azure drops traffic not addressed to a NIC without IP forwarding
		// (https://learn.microsoft.com/azure/virtual-network/virtual-network-network-interface#enable-or-disable-ip-forwarding).
		w.end(Dropped, ReasonNoForwarding, MethodNone)
		return place{}, false
	}
	if t.opts.NVAUnknown {
		w.assumed = true
	}
	// Assumed (spec §3.1, "NVA path"): the NVA SNATs internet-bound
	// traffic to its own address, then its own egress method applies.
	if a := nva.Primary().PrivateIP; !ianaPrivate(w.f.Dst) && a.IsValid() && a.Is4() == w.f.Dst.Is4() {
		w.src = a
	}
	if !w.security(nva, nsg.Outbound, ReasonDeniedOut) {
		return place{}, false
	}
	*fwSNAT = false
	return place{nic: nva, subnet: t.nicSubnet(nva)}, true
}

// loop records an appliance crossed; it reports (and ends the flow) when
// the route leads back to one already crossed.
func (w *walk) loop(key string) bool {
	w.res.Path = append(w.res.Path, key)
	if slices.Contains(w.seen, key) {
		w.end(Dropped, ReasonLoop, MethodNone)
		return true
	}
	w.seen = append(w.seen, key)
	return false
}

// deliver ends a flow routed inside the VNet or to a peer (VnetLocal,
// peering, connected group, private endpoint): at the NIC, firewall or
// load balancer that holds the destination.
func (w *walk) deliver(at place) {
	t := w.t
	dst := w.f.Dst
	vnet := at.subnet.VNet
	o := t.owner(vnet, dst)
	switch o.kind {
	case ownerFirewall:
		w.hop(HopDestination, o.fw.Name)
		w.end(Allowed, ReasonDelivered, MethodPrivate)
		return
	case ownerLB:
		// An internal load balancer's frontend: which backend receives the
		// flow is not modelled
		// (https://learn.microsoft.com/azure/load-balancer/components#frontend-ip-configuration).
		w.hop(HopDestination, o.lb.Name)
		w.end(Unknown, ReasonInternalLB, MethodPrivate)
		return
	case ownerInjected:
		// A container group's address: delivered past its subnet's
		// inbound rules, as a NIC's is (container-instances-virtual-network-concepts:
		// "Use NSG rules to control container access").
		if dvnet := o.subnet.VNet; len(w.seen) > 0 && dvnet != vnet && !t.allowsForwarded(dvnet, vnet) {
			w.end(Dropped, ReasonForwardedPeering, MethodNone)
			return
		}
		w.hop(HopDestination, o.inj.Name)
		if w.injSecurity(o.inj, o.subnet, nsg.Inbound, ReasonDeniedIn) {
			w.end(Allowed, ReasonDelivered, MethodPrivate)
		}
		return
	case ownerNone:
		if name, ok := t.externalOf(vnet, dst); ok {
			w.hop(HopDestination, name)
			w.end(Unknown, ReasonExternal, MethodPrivate)
			return
		}
		if name, ok := t.delegatedOf(vnet, dst); ok {
			// The address is a delegated subnet's: a service's resource
			// the input does not hold has it (subnet-delegation-overview).
			w.hop(HopDestination, name)
			w.end(Unknown, ReasonDelegatedSubnet, MethodPrivate)
			return
		}
		w.hop(HopNowhere, "")
		w.end(Dropped, ReasonNoSuchAddress, MethodNone)
		return
	}
	dn := o.nic
	dvnet := t.nicSubnet(dn).VNet
	if len(w.seen) > 0 && dvnet != vnet && !t.allowsForwarded(dvnet, vnet) {
		// Forwarded traffic enters a peered VNet only if that VNet's
		// peering allows it: "Allow 'vnet-1' to receive forwarded traffic
		// from 'vnet-2'"
		// (https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#create-a-peering).
		w.end(Dropped, ReasonForwardedPeering, MethodNone)
		return
	}
	if !dn.PrivateEndpoint.IsZero() {
		w.hop(HopPrivateEndpoint, dn.PrivateEndpoint.Name())
	} else {
		w.hop(HopDestination, dn.Name)
	}
	if !w.security(dn, nsg.Inbound, ReasonDeniedIn) {
		return
	}
	if !dn.PrivateEndpoint.IsZero() {
		w.end(Allowed, ReasonPrivateEndpoint, MethodPrivateEndpoint)
		return
	}
	w.end(Allowed, ReasonDelivered, MethodPrivate)
}

// internet ends a flow routed to the internet from at: the egress method in
// Azure's precedence (egress.go), or none.
func (w *walk) internet(at place, fwSNAT bool) {
	p := w.f.Proto
	var way egress
	if at.fw != nil {
		if !fwSNAT {
			// With the destination in its SNAT private ranges the firewall
			// "can never route traffic directly to the Internet"
			// (https://learn.microsoft.com/azure/firewall/snat-private-range).
			w.hop(HopNowhere, "")
			w.end(NoEgress, ReasonFirewallNoSNAT, MethodNone)
			return
		}
		way = w.t.firewallEgress(at.fw, p)
	} else if at.inj != nil {
		way = w.t.injEgress(at.subnet, p)
	} else {
		way = w.t.nicEgress(at.nic, w.f.Dst.Is6(), p)
	}
	if way.method == "" {
		w.hop(HopNowhere, "")
		w.end(NoEgress, ReasonNoEgress, MethodNone)
		return
	}
	if way.unsure {
		w.unknown = true
	}
	if !way.carries {
		w.hop(HopNowhere, "")
		if p == ipproto.ICMP || p == ipproto.ICMPv6 {
			w.end(NoEgress, ReasonICMPNotSupported, MethodNone)
		} else {
			w.end(NoEgress, ReasonProtocolNotSupported, MethodNone)
		}
		return
	}
	if p == ipproto.TCP && w.f.DstPort == 25 && way.method.leavesAzure() {
		// https://learn.microsoft.com/azure/virtual-network/troubleshoot-outbound-smtp-connectivity
		switch w.t.opts.SMTP {
		case SMTPBlocked:
			w.hop(HopNowhere, "")
			w.end(NoEgress, ReasonSMTPBlocked, MethodNone)
			return
		case SMTPUnknown:
			w.assumed = true
		}
	}
	w.hop(HopInternet, "")
	w.end(Allowed, ReasonInternet, way.method)
	w.res.EgressIPs = slices.Clone(way.ips)
}

// isPlatform reports whether a is WireServer (168.63.129.16) or IMDS
// (169.254.169.254).
func isPlatform(a netip.Addr) bool {
	return a == netip.MustParseAddr("168.63.129.16") || a == netip.MustParseAddr("169.254.169.254")
}

// ianaPrivate reports whether a is in IANAPrivateRanges (RFC 1918 and RFC
// 6598, https://learn.microsoft.com/azure/firewall/snat-private-range), or
// an IPv6 private or link-local address.
func ianaPrivate(a netip.Addr) bool {
	for _, s := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"} {
		if netip.MustParsePrefix(s).Contains(a) {
			return true
		}
	}
	return a.Is6() && (a.IsPrivate() || a.IsLinkLocalUnicast())
}
