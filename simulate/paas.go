package simulate

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/allowlist"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/perimeter"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/snat"
	"github.com/egresslab/egress/topology"
)

// SourceKind is what a flow starts from.
type SourceKind uint8

// Source kinds.
const (
	SourceNIC       SourceKind = iota // a network interface (Engine.Trace)
	SourceAIAccount                   // an Azure AI services / Azure OpenAI account (Microsoft.CognitiveServices/accounts)
	SourceWebApp                      // an App Service or Functions app (Microsoft.Web/sites)
	// SourceContainerGroup is an Azure Container Instances container group
	// in a subnet (Microsoft.ContainerInstance/containerGroups with
	// subnetIds).
	SourceContainerGroup
	numSourceKinds
)

var sourceKindNames = [numSourceKinds]string{"NIC", "AIAccount", "WebApp", "ContainerGroup"}

// String returns the kind's name.
func (k SourceKind) String() string { return nameOf(sourceKindNames[:], int(k), "SourceKind") }

// ErrUnknownSource: no NIC, AI services account, web app or container
// group of the network has the name or ID. ErrAmbiguousSource: resources
// of more than one kind (or several of one kind) have the name; an ID
// picks one.
var (
	ErrUnknownSource   = errors.New("unknown flow source")
	ErrAmbiguousSource = errors.New("ambiguous flow source")
)

// Source is a handle to where a flow starts: a NIC, an AI services
// account, a web app or a container group of an [Engine], resolved once
// by [Engine.Source] (or [NIC.Source]). It is a small comparable value. The zero Source is not a
// handle: its methods but IsValid and String panic, and
// [Engine.TraceFrom] refuses it.
type Source struct {
	e    *Engine
	kind SourceKind
	i    int32
}

// IsValid reports whether s is a handle of an engine.
func (s Source) IsValid() bool { return s.e != nil }

// Kind returns what the source is.
func (s Source) Kind() SourceKind { return s.kind }

// Name returns the source's name.
func (s Source) Name() string {
	switch s.kind {
	case SourceAIAccount:
		return s.e.ais[s.i].v.Name()
	case SourceWebApp:
		return s.e.apps[s.i].v.Name()
	case SourceContainerGroup:
		return s.e.injs[s.i].v.Name()
	}
	return s.e.nics[s.i].v.Name()
}

// ID returns the source's resource ID.
func (s Source) ID() string {
	switch s.kind {
	case SourceAIAccount:
		return string(s.e.ais[s.i].v.ID())
	case SourceWebApp:
		return string(s.e.apps[s.i].v.ID())
	case SourceContainerGroup:
		return string(s.e.injs[s.i].v.ID())
	}
	return string(s.e.nics[s.i].v.ID())
}

// NIC returns the NIC handle of a NIC source.
func (s Source) NIC() (NIC, bool) { return NIC{s.e, s.i}, s.e != nil && s.kind == SourceNIC }

// String returns "kind name", or "Source(invalid)" for the zero Source.
func (s Source) String() string {
	if s.e == nil {
		return "Source(invalid)"
	}
	return s.kind.String() + " " + s.Name()
}

// Source returns the handle of a NIC as a flow source.
func (h NIC) Source() Source { return Source{h.e, SourceNIC, h.h} }

// Source resolves a flow source by name or resource ID: a NIC (as
// [Engine.NIC] resolves it, first), an AI services account, a web app or a
// container group (in a subnet; one outside any virtual network is a
// *[NotSimulatedError], and so is a PostgreSQL or MySQL flexible server). A
// name no source has is an error wrapping [ErrUnknownSource] (or the NIC
// lookup's error, for a NIC that exists but cannot be simulated); a name
// of several is [ErrAmbiguousSource]. A resource whose outbound control
// egress recognises but does not simulate ([topology.OtherPaaS]: machine
// learning workspaces' managed networks, IoT Hub, SQL, ...) is a
// *[NotSimulatedError] saying why.
func (e *Engine) Source(nameOrID string) (Source, error) {
	k := strings.ToLower(nameOrID)
	if h, ok := e.nicByKey[k]; ok {
		return Source{e, SourceNIC, h}, nil
	}
	if i, ok := e.aiByKey[k]; ok {
		return Source{e, SourceAIAccount, i}, nil
	}
	if i, ok := e.appByKey[k]; ok {
		return Source{e, SourceWebApp, i}, nil
	}
	if i, ok := e.injByKey[k]; ok {
		return Source{e, SourceContainerGroup, i}, nil
	}
	var found []Source
	for _, h := range e.nicByName[k] {
		found = append(found, Source{e, SourceNIC, h})
	}
	for _, i := range e.aiByName[k] {
		found = append(found, Source{e, SourceAIAccount, i})
	}
	for _, i := range e.appByName[k] {
		found = append(found, Source{e, SourceWebApp, i})
	}
	for _, i := range e.injByName[k] {
		found = append(found, Source{e, SourceContainerGroup, i})
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
	default:
		names := make([]string, len(found))
		for i, s := range found {
			names[i] = s.kind.String() + " " + s.ID()
		}
		return Source{}, fmt.Errorf("%w %q: %s; give a resource ID", ErrAmbiguousSource, nameOrID, strings.Join(names, ", "))
	}
	if err := e.injectedNotSimulated(k, nameOrID); err != nil {
		return Source{}, err
	}
	for _, o := range e.net.OtherPaaS() {
		if strings.EqualFold(o.Name, nameOrID) || o.ID.Key() == k {
			return Source{}, &NotSimulatedError{Name: o.Name, Detail: fmt.Sprintf("%s %s: its outbound control is %s; egress does not simulate flows from it", o.Type, o.Name, o.Control)}
		}
	}
	if _, err := e.NIC(nameOrID); !errors.Is(err, ErrUnknownNIC) {
		return Source{}, err // a NIC that cannot be simulated, or an ambiguous NIC name
	}
	return Source{}, fmt.Errorf("%w %q: no NIC, AI services account, web app or container group has this name or ID", ErrUnknownSource, nameOrID)
}

// aiState is an AI services account of the engine.
type aiState struct {
	v     topology.AIAccountView
	list  *allowlist.List
	perim perimeterState
}

// appState is a web app of the engine: where its traffic enters its
// integration subnet, bound to the subnet's security rules like a NIC.
type appState struct {
	v topology.WebAppView
	// routing, possible: the app's settings and possibleOutboundIpAddresses,
	// copied once.
	routing  topology.WebAppRouting
	possible []netip.Addr
	// subnetSrc is where its traffic enters the integration subnet: its
	// subnet is -1 when not integrated, or the subnet is not in the input;
	// its addr is the first address Azure hands out in the subnet (an app's
	// instances take addresses of the whole subnet; egress evaluates one
	// and says so).
	subnetSrc
	// public: how the traffic that does not enter the subnet leaves (the
	// app's own addresses).
	public int32
	// perim is the app's network security perimeter.
	perim perimeterState
}

// subnetSrc is a flow source that is not a NIC but sits in a subnet, bound
// to the subnet's security rules like a NIC: a web app's integration, a
// container group.
type subnetSrc struct {
	subnet      int32      // the engine's index of the subnet, or -1
	addr, addr6 netip.Addr // the source addresses the subnet's rules see
	cls         *nsg.Classifier
	unknown     int32 // a note on unknown security rules, or -1
	// unknownNSG names, by nsg.Stage, the subnet's NSG when its rules are
	// unknown, or "".
	unknownNSG [3]string
	// afterApply marks the subnet NSG's rules some of whose values a
	// Terraform plan knows only after apply (widened to "*"): an answer such
	// a rule decides is Unknown, as for a NIC (nicCold.rulesUnknown). nil
	// for an NSG without any.
	afterApply *rulesUnknown
	// egress4 and egress6: how internet-bound traffic routed from the
	// subnet leaves.
	egress4, egress6 int32
}

// inSubnet returns the subnet source of index i, as the walk encodes it
// (^i): web app i, or container group i-len(apps).
func (e *Engine) inSubnet(i int32) *subnetSrc {
	if int(i) < len(e.apps) {
		return &e.apps[i].subnetSrc
	}
	return &e.injs[int(i)-len(e.apps)].subnetSrc
}

// bindSubnet binds a subnet source to subnet sv's rules (admin rules, the
// subnet's NSG; there is no NIC NSG) for addresses addrs, noting the rules
// that are unknown for what (a sentence's subject: "web app X"). It leaves
// src.subnet -1 when the rules cannot be bound (not reachable on a
// validated network).
func (c *compiler) bindSubnet(src *subnetSrc, sv topology.SubnetView, id topology.Ref, what string, addrs []netip.Addr) {
	e := c.e
	src.subnet = int32(sv.Index())
	subnetRef, _ := sv.NSG()
	vnet := sv.VNet()
	adminNSG, subnetNSG := c.admin(vnet), c.group(subnetRef)
	src.afterApply = c.rulesUnknown(subnetRef, subnetNSG)
	var unk []string
	for i, k := range []string{"admin:" + vnet.ID().Key(), subnetRef.Key()} {
		if why, ok := c.unknownNSG[k]; ok {
			unk = append(unk, why)
			if i == 1 {
				src.unknownNSG[nsg.StageSubnet] = subnetRef.Name()
			}
		}
	}
	if len(unk) > 0 {
		src.unknown = e.note(strings.Join(unk, "; ") + ": its rules are unknown for " + what + "; the path shown is what happens if they allow")
	}
	cls, err := nsg.NewClassifier(nsg.NIC{ID: string(id), SubnetID: string(sv.ID()), VNet: string(vnet.ID()), Addrs: addrs,
		SubnetNSG: subnetNSG, Admin: adminNSG, Scope: sv.Scope()})
	if err != nil {
		src.subnet = -1
	}
	src.cls = cls
}

// paas compiles the AI services accounts and web apps.
func (c *compiler) paas() {
	e := c.e
	e.aiByKey, e.aiByName, e.appByKey, e.appByName = map[string]int32{}, map[string][]int32{}, map[string]int32{}, map[string][]int32{}
	for i := range c.n.NumAIAccounts() {
		v := c.n.AIAccount(i)
		e.aiByKey[v.ID().Key()] = int32(i)
		name := strings.ToLower(v.Name())
		e.aiByName[name] = append(e.aiByName[name], int32(i))
		e.ais = append(e.ais, aiState{v: v, list: v.AllowList(), perim: perimeterState{bind: c.n.PerimeterOf(v.ID()), access: v.PublicAccess()}})
	}
	for i := range c.n.NumWebApps() {
		v := c.n.WebApp(i)
		st := appState{v: v, routing: v.Routing(), possible: v.PossibleOutboundIPs(), subnetSrc: subnetSrc{subnet: -1, unknown: -1},
			perim: perimeterState{bind: c.n.PerimeterOf(v.ID()), access: v.PublicAccess()}}
		if sv, ok := v.Subnet(); ok {
			for _, p := range sv.Prefixes() {
				a := firstHost(p)
				if p.Addr().Is4() && !st.addr.IsValid() {
					st.addr = a
				} else if p.Addr().Is6() && !st.addr6.IsValid() {
					st.addr6 = a
				}
			}
			var addrs []netip.Addr
			for _, a := range []netip.Addr{st.addr, st.addr6} {
				if a.IsValid() {
					addrs = append(addrs, a)
				}
			}
			c.bindSubnet(&st.subnetSrc, sv, v.ID(), "web app "+v.Name(), addrs)
		}
		if ref, rs := v.SubnetRef(); rs == topology.RefExternal {
			e.note("web app " + v.Name() + ": its integration subnet " + ref.Name() + " is not in the input: the flows its settings route there are Unknown")
		}
		h := int32(len(e.apps))
		e.apps = append(e.apps, st)
		sp := &e.apps[h]
		if sp.subnet >= 0 {
			sp.egress4 = e.intern(e.appVNetEgress(sp, false))
			sp.egress6 = e.intern(e.appVNetEgress(sp, true))
		}
		sp.public = e.intern(e.appPublicEgress(sp))
		e.appByKey[v.ID().Key()] = h
		name := strings.ToLower(v.Name())
		e.appByName[name] = append(e.appByName[name], h)
	}
}

// firstHost is the first address Azure assigns in a subnet: the first
// four are reserved (virtual-networks-faq).
func firstHost(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	for range 4 {
		a = a.Next()
	}
	return a
}

// appPublicEgress is how an app's traffic that its settings do not send
// into a virtual network leaves: from one of its outbound addresses,
// which the platform picks per connection
// (https://learn.microsoft.com/azure/app-service/overview-inbound-outbound-ips).
// It carries TCP and UDP only: the App Service sandbox has no outbound
// ICMP (its consoles offer tcpping instead of ping).
func (e *Engine) appPublicEgress(st *appState) egressSet {
	ips := st.v.OutboundIPs()
	es := egressSet{method: MethodAppService, ips: ips, unstable: len(ips) > 1,
		why:  "the app's outbound addresses (outboundIpAddresses: one of them per connection, chosen by the platform)",
		pool: snat.Pool{Kind: snat.AppService, ID: string(st.v.ID()), Name: st.v.Name()}}
	if ips == nil {
		es.ips = nil
		es.why = "the app's outbound addresses (outboundIpAddresses is not in the input)"
		es.assume = "outboundIpAddresses of web app " + st.v.Name() + " is not in the input: the address the flow leaves from is unknown"
	}
	return es
}

// appVNetEgress is how an app's internet-bound traffic routed through its
// integration subnet leaves: the subnet's NAT gateway, else the app's own
// outbound addresses ("If you route your traffic through a firewall or a
// NAT gateway, the source IP address originates from this service";
// otherwise "the source address ... is still one of the IP addresses that
// are listed in your app properties", overview-vnet-integration). There is
// no default outbound access, instance public IP or load balancer for an
// integration subnet (derived).
func (e *Engine) appVNetEgress(st *appState, v6 bool) egressSet {
	ss := &e.subnets[st.subnet]
	if ss.nat != nil {
		if es, ok := e.natEgress(ss.nat, ss.natWhere, v6); ok {
			return es
		}
	} else if ss.natExternal {
		ref, _ := ss.s.NATGateway()
		return egressSet{method: MethodNATGateway, why: "NAT gateway " + ref.Name() + " (not in the input)", carry: carryAll, unsure: carryICMP | carryOther,
			assume: "NAT gateway " + ref.Name() + " of subnet " + ss.s.Name() + " is not in the input: its public IPs are unknown, and so is whether its SKU carries ICMP or IPv6"}
	}
	if v6 {
		return egressSet{why: "no NAT gateway with an IPv6 address on the integration subnet; the app's IPv6 outbound addresses are not modelled"}
	}
	es := e.appPublicEgress(st)
	es.why = "no NAT gateway on integration subnet " + ss.s.Name() + ": " + es.why
	return es
}

// TraceFrom simulates a flow from a source of any kind and explains it
// ([Result.Assumptions] names the PaaS assumptions by id, A-n, as the PaaS
// semantics notes number them):
//
//   - a NIC: exactly [Engine.Trace] (f.From is ignored);
//   - an AI services account: its outbound call to f's destination, as the
//     hostname it is given (f.ToFQDN, else f.Host, else f.To), decided by
//     restrictOutboundNetworkAccess and allowedFqdnList (package
//     allowlist); the service's network path is Microsoft's, so no route,
//     NSG or NAT gateway applies;
//   - a web app: the traffic its settings send into its integration subnet
//     (all of f.Traffic's class when routed, else for application traffic
//     RFC 1918 destinations and the subnet's service endpoints) is walked
//     from the subnet as a NIC's would be — the subnet's NSG, routes,
//     firewalls, NAT gateway — with an address of the subnet as source; the
//     rest leaves from the app's outbound addresses (a set);
//   - a container group: walked from its subnet exactly as a web app's
//     routed traffic is, with its own address (ipAddress.ip; else the
//     subnet's first host, stated as an assumption) as source; its
//     internet traffic leaves through the subnet's NAT gateway, Learn's
//     only supported way (container-instances-virtual-network-concepts),
//     and is Unknown without one.
//
// A flow given by host name is resolved through Options.Resolver for NICs
// and web apps; AI accounts match the name itself (A-10: no resolution).
// It returns an error for a flow it cannot start, as Trace does.
func (e *Engine) TraceFrom(s Source, f Flow) (*Result, error) {
	if s.e != e {
		return nil, fmt.Errorf("%w: %v is not a source of this engine", ErrInvalidFlow, s)
	}
	switch s.kind {
	case SourceAIAccount:
		return e.traceAI(s.i, f)
	case SourceWebApp:
		return e.traceApp(s.i, f, false, false)
	case SourceContainerGroup:
		return e.traceInjected(s.i, f, false)
	}
	f.From = s.ID()
	return e.Trace(f)
}

// traceAny is Trace for a flow whose From names a NIC, and TraceFrom for
// one whose From names an AI services account or a web app; a name that is
// neither gets Trace's error.
func (e *Engine) traceAny(f Flow) (*Result, error) {
	r, err := e.Trace(f)
	if !errors.Is(err, ErrUnknownNIC) {
		return r, err
	}
	if s, serr := e.Source(f.From); serr == nil && s.kind != SourceNIC {
		return e.TraceFrom(s, f)
	}
	return r, err
}

// paasAssumptions are the assumptions of the PaaS semantics notes
// (docs/paas-semantics.md §5) that results state, by id.
var paasAssumptions = map[string]string{
	"A-1":  "the data-loss-prevention page lists services, not account kinds; restrictOutboundNetworkAccess is applied to this kind as to the listed ones",
	"A-2":  "an allowedFqdnList entry matches the destination host name as a whole",
	"A-3":  "host names compare case-insensitively (ASCII, as DNS names do)",
	"A-4":  "one trailing dot is ignored on entries and destinations",
	"A-5":  "an entry does not allow its subdomains (contoso.com does not allow www.contoso.com)",
	"A-6":  "what a wildcard entry (*.contoso.com) allows is undocumented: a destination only a wildcard could match is Unknown",
	"A-7":  "allowedFqdnList has no ports: a matching entry allows every port",
	"A-9":  "IPv4 address entries (documented in the 2023 and 2025-01 revisions, no longer mentioned since 2025-05) match an identical IPv4 destination; ranges and IPv6 match nothing",
	"A-10": "no DNS resolution: a host name never matches an address entry, nor an address a name entry",
	"A-11": "a non-ASCII host name is compared in its A-label (punycode) form, which egress does not compute: Unknown",
	"A-14": "a restricted account with an empty allowedFqdnList reaches nothing",
	"A-15": "the routing settings' generations (outboundVnetRouting, vnetRouteAllEnabled, siteConfig.vnetRouteAllEnabled, app settings) may disagree; any site property routing the traffic routes it, and an app setting counts only when no site property is present",
	"A-16": "with application routing off, only RFC 1918 destinations (10/8, 172.16/12, 192.168/16) and the subnet's service endpoints enter the virtual network; 100.64/10, other private ranges and IPv6 go the public way",
	"A-17": "the host name is resolved through Options.Resolver, standing in for the DNS servers of the app's integration VNet (which a private endpoint's name needs to resolve to its address)",
	"A-18": "a gateway-required virtual network integration (siteConfig.vnetName without virtualNetworkSubnetId) is not modelled",
	"A-19": "an App Service app secured by a network security perimeter (Enforced, or publicNetworkAccess SecuredByPerimeter) sends all its outbound traffic through its virtual network integration, and the perimeter's outbound rules do not apply to it (App Service blog, not Learn)",
	"A-20": "publicNetworkAccess values compare case-insensitively (resource providers differ in the case they return)",
	"A-21": "accessMode Audit (documented only in SDK enum text: evaluated and logged, not enforced) decides as Learning",
	"A-23": "traffic to a resource associated with the same perimeter is allowed at network level when authenticated with a managed identity, which egress does not model",
	"A-24": "perimeter outbound rules (fullyQualifiedDomainNames) match the destination host name exactly, in ASCII lower case, one trailing dot ignored; a wildcard entry leaves a destination it could match Unknown; an IP destination matches no rule",
	"A-25": "an Enforced perimeter does not lift the account's allowedFqdnList: the call must pass both",
	"A-26": "how several perimeter associations of one resource combine is undocumented: Unknown",
	"A-29": "a resource associated with a perimeter answers at its name (an AI account's customSubDomainName) under its type's public DNS zones (private-endpoint-dns); other host names are outside the perimeter",
	"A-31": "168.63.129.16 and 169.254.169.254 are host-local for a container group as for a VM (Learn's page on 168.63.129.16 speaks of virtual machines): not routed",
	"A-30": "Learn calls a NAT gateway the only supported outbound configuration of a container group in a virtual network; whether the subnet's default outbound access serves one without it is undocumented: the flow is Unknown, shown as if it did",
}

// assume adds assumption id, with its text, to the result's list.
func (t *tracer) paas(id string) {
	if t == nil {
		return
	}
	t.assume = appendOnce(t.assume, id+": "+paasAssumptions[id])
}

// PaaSAssumption returns the text of a PaaS assumption by id ("A-6"), as
// results state it, and whether egress states it.
func PaaSAssumption(id string) (string, bool) {
	s, ok := paasAssumptions[id]
	return s, ok
}

// flowBasics checks a flow's protocol and ports as Trace does.
func flowBasics(f Flow) (ipproto.Proto, uint16, error) {
	proto := f.Protocol
	if proto == ipproto.Unknown {
		proto = ipproto.TCP
	}
	if proto.HasPorts() && f.Port == 0 {
		return 0, 0, fmt.Errorf("%w: flow %v: %v needs a destination port (1..65535)", ErrInvalidFlow, f, proto)
	}
	sport := f.SrcPort
	if sport == 0 {
		sport = EphemeralPort
	}
	return proto, sport, nil
}

// traceAI decides an AI services account's outbound call
// (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention;
// paas-semantics §1.5).
func (e *Engine) traceAI(i int32, f Flow) (*Result, error) {
	st := &e.ais[i]
	proto, sport, err := flowBasics(f)
	if err != nil {
		return nil, err
	}
	dst := f.ToFQDN
	if dst == "" {
		dst = f.Host
	}
	if dst == "" && f.To.IsValid() {
		dst = f.To.Unmap().String()
	}
	if dst == "" {
		return nil, fmt.Errorf("%w: flow %v has no destination", ErrInvalidFlow, f)
	}
	tr := &tracer{e: e, fwHop: -1}
	tr.hops = append(tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Note: "AI services account (kind " + st.v.Kind() + ")"})
	tr.assume = append(tr.assume, "the account's outbound calls leave from Microsoft-managed addresses: no customer route, NSG or NAT gateway applies (docs/paas-semantics.md §1.5)")
	d := Decision{egress: -1}
	r := &Result{SchemaVersion: SchemaVersion, Flow: FlowInfo{From: st.v.Name(), FromID: string(st.v.ID()), Destination: f.To.Unmap(), FQDN: f.ToFQDN,
		Protocol: proto, Port: f.Port, SrcPort: sport}, EgressIPs: []netip.Addr{}}
	step := SecurityStep{Direction: "Outbound", Stage: StageAllowList, Account: st.v.Name()}
	if !st.v.Restricted() {
		d.Verdict, d.Method, d.Reason = Allowed, MethodServiceManaged, ReasonUnrestricted
		r.DecidedBy = "restrictOutboundNetworkAccess is off"
	} else {
		if !topology.AIKindDocumented(st.v.Kind()) {
			tr.paas("A-1")
		}
		m := st.list.Match(dst)
		if _, err := netip.ParseAddr(strings.TrimSuffix(dst, ".")); err == nil {
			tr.paas("A-9")
			tr.paas("A-10")
		} else {
			for _, id := range []string{"A-2", "A-3", "A-4", "A-5", "A-10"} {
				tr.paas(id)
			}
		}
		if m.Assumption != "" {
			tr.paas(m.Assumption)
		}
		if proto.HasPorts() {
			tr.paas("A-7")
		}
		switch m.Outcome {
		case allowlist.Allowed:
			d.Verdict, d.Method, d.Reason = Allowed, MethodServiceManaged, ReasonAllowList
			step.Access, step.Rule = "Allow", fmt.Sprintf("allowedFqdnList[%d] %s", m.Entry, st.list.Entry(m.Entry).Text)
			r.DecidedBy = "AllowedFqdnList " + st.v.Name() + ": " + step.Rule
		case allowlist.Unknown:
			d.Verdict, d.Method, d.Reason = Unknown, MethodServiceManaged, ReasonAllowListUndecided
			step.Access = "Unknown"
			if m.Entry >= 0 {
				step.Rule = fmt.Sprintf("allowedFqdnList[%d] %s", m.Entry, st.list.Entry(m.Entry).Text)
			}
		default:
			if st.list.Len() == 0 {
				tr.paas("A-14")
			}
			d.Verdict, d.Reason = Denied, ReasonNotInAllowList
			step.Access, step.Rule = "Deny", "not in the allowed FQDN list"
			r.DecidedBy = "AllowedFqdnList " + st.v.Name() + ": " + step.Rule
		}
		tr.hops[0].Security = append(tr.hops[0].Security, step)
	}
	// The perimeter is a second gate: both must let the call out.
	out, by, would := e.perimeterStep(&st.perim, dst, tr)
	if out != gateNone && st.v.Restricted() {
		tr.paas("A-25")
	}
	switch {
	case out == gateDeny && d.Verdict == Denied:
		r.DecidedBy += "; " + by
	case out == gateDeny:
		d.Verdict, d.Reason, d.Method = Denied, ReasonPerimeterDenied, MethodNone
		r.DecidedBy = by
	case out == gateUnknown && d.Verdict == Allowed:
		d.Verdict, d.Reason = Unknown, ReasonPerimeterUndecided
	case out == gateAllow && by != "" && d.Verdict == Allowed && d.Reason == ReasonUnrestricted:
		d.Reason, r.DecidedBy = ReasonPerimeterAllowed, by
	case out == gateAllow && by != "" && d.Verdict == Allowed:
		r.DecidedBy += "; " + by
	}
	r.WouldBeDenied = would && d.Verdict != Denied
	if d.Verdict != Denied {
		tr.end(HopInternet, dst, f.To.Unmap(), "the account's own outbound call, from Microsoft-managed addresses")
	}
	r.Verdict, r.ReasonCode, r.EgressMethod, r.Hops, r.Assumptions = d.Verdict, d.Reason, d.Method, tr.hops, tr.assume
	r.Reason = d.Reason.String()
	if d.Reason == ReasonNotInAllowList {
		// The service's own words (sample-app-aoai-chatGPT issue 1050).
		r.Reason = "outbound network access is restricted: the hostname '" + dst + "' is not in the allowed FQDN list for this resource"
	}
	if d.Verdict == Allowed || d.Verdict == Unknown {
		r.Assumptions = append(r.Assumptions, "the source address is Microsoft-managed and not shown")
	}
	r.ServiceTags = e.ServiceTags()
	return r, nil
}

// rfc1918 are the ranges "private traffic (RFC1918)" names.
var rfc1918 = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("172.16.0.0/12"), netip.MustParsePrefix("192.168.0.0/16")}

// appInto is why a web app's flow enters its integration subnet or not
// (intoVNet): the Trace says it.
type appInto uint8

const (
	intoRouted          appInto = iota + 1 // the routing settings route the class
	intoPublicClass                        // a configuration class the settings keep public
	intoPrivate                            // an RFC 1918 destination
	intoServiceEndpoint                    // a service endpoint of the subnet
	intoOff                                // application routing off
	intoForced                             // secured by a perimeter: everything goes in
)

// intoVNet decides whether a web app's flow enters its integration subnet,
// and why (overview-vnet-integration#routes, configure-vnet-integration-routing).
// tr may be nil.
func (e *Engine) intoVNet(st *appState, class topology.WebAppTraffic, dst netip.Addr, tr *tracer) (bool, string, appInto) {
	routed, by := st.routing.RoutesAll(class)
	tr.paas("A-15")
	if routed {
		return true, "routed into the virtual network by " + by, intoRouted
	}
	if class != topology.TrafficApplication {
		return false, class.String() + " traffic takes the public route (" + by + ")", intoPublicClass
	}
	tr.paas("A-16")
	for _, p := range rfc1918 {
		if p.Contains(dst) {
			return true, "private (RFC 1918) destination: enters the virtual network even without application routing (" + by + ")", intoPrivate
		}
	}
	if st.subnet >= 0 {
		if m, ok := e.subnets[st.subnet].table.Lookup(dst); ok && m.NextHopType() == route.VirtualNetworkServiceEndpoint {
			return true, "a service endpoint of the integration subnet: enters the virtual network even without application routing (" + by + ")", intoServiceEndpoint
		}
	}
	return false, "application routing is off (" + by + "): only RFC 1918 destinations and the subnet's service endpoints enter the virtual network", intoOff
}

// traceApp simulates a web app's flow (slow: with the reference lookups;
// enforce: as if its perimeter association were Enforced).
//
// An app secured by a network security perimeter (its association
// Enforced, or publicNetworkAccess SecuredByPerimeter) sends all its
// outbound traffic through its virtual network integration, and one
// without an integration sends none; the perimeter's own outbound rules do
// not apply (A-19, after the App Service team's blog: Learn does not list
// Microsoft.Web/sites as onboarded). In Learning or Audit mode the app's
// settings decide as without a perimeter, and the result says whether
// enforcing would deny the flow.
func (e *Engine) traceApp(i int32, f Flow, slow, enforce bool) (*Result, error) {
	st := &e.apps[i]
	proto, sport, err := flowBasics(f)
	if err != nil {
		return nil, err
	}
	if f.Traffic > topology.TrafficManagedIdentity {
		return nil, fmt.Errorf("%w: flow %v: unknown traffic class %v", ErrInvalidFlow, f, f.Traffic)
	}
	dst, resolved, err := e.destination(f)
	if err != nil {
		return nil, err
	}
	tr := &tracer{e: e, slow: slow, fwHop: -1}
	if resolved != "" {
		tr.assume = append(tr.assume, resolved)
		if ref, _ := st.v.SubnetRef(); !ref.IsZero() {
			tr.paas("A-17")
		}
	}
	host := f.Host
	if host == "" {
		host = f.ToFQDN
	}
	r := &Result{SchemaVersion: SchemaVersion, Flow: FlowInfo{From: st.v.Name(), FromID: string(st.v.ID()), Destination: dst, FQDN: f.ToFQDN,
		Protocol: proto, Port: f.Port, SrcPort: sport}, ServiceTags: e.ServiceTags()}
	ps := &st.perim
	pb := ps.bind
	forced := ps.enforced() || enforce && pb.Associations == 1
	var pstep *SecurityStep
	if pb.Associations > 0 || ps.access == perimeter.SecuredByPerimeter {
		tr.paas("A-19")
		pstep = &SecurityStep{Direction: "Outbound", Stage: StagePerimeter, Perimeter: pb.Perimeter.Name(), AccessMode: pb.ModeText}
		if pb.Associations > 0 && pstep.AccessMode == "" {
			pstep.AccessMode = perimeter.Learning.String()
		}
	}
	w := walker{e: e, tr: tr, dst: dst, proto: proto, sport: sport, dport: f.Port, host: host}
	d, way := w.decideApp(i, f.Traffic, enforce, pstep)
	public := way == appWayPublic
	if way == appWayNoIntegration {
		r.DecidedBy = "NetworkSecurityPerimeter " + pb.Perimeter.Name() + ": the app has no virtual network integration"
	}
	r.Verdict, r.ReasonCode, r.Reason, r.EgressMethod = d.Verdict, d.Reason, d.Reason.String(), d.Method
	r.EgressIPs, r.Hops, r.Assumptions = []netip.Addr{}, tr.hops, tr.assume
	if len(tr.hops) > 0 {
		r.Flow.Source = tr.hops[0].Address
	}
	if pstep != nil && len(r.Hops) > 0 {
		if pstep.Access == "" {
			pstep.Access, pstep.Rule = "Allow", "not enforced ("+pstep.AccessMode+" mode): the app's own routing settings decide"
			if forced {
				pstep.Rule = "all outbound traffic through the virtual network integration; the perimeter's outbound rules do not apply to App Service (A-19)"
			}
		}
		r.Hops[0].Security = append([]SecurityStep{*pstep}, r.Hops[0].Security...)
	}
	e.complete(r, d, tr)
	if public && d.Verdict == Allowed {
		r.DecidedBy = "not sent into a virtual network: no customer route, NSG or firewall applies"
	}
	if !forced && pb.Associations == 1 && pb.ModeKnown && d.Verdict != Denied {
		// Learning or Audit: what enforcing the association would do.
		if er, err := e.traceApp(i, f, slow, true); err == nil && er.Verdict == Denied {
			r.WouldBeDenied = true
			r.Hops[0].Security[0].WouldBeDenied = true
			r.Assumptions = append(r.Assumptions, "enforcing perimeter "+pb.Perimeter.Name()+" sends all the app's traffic through its virtual network integration, where this flow is Denied: "+er.Reason)
		}
	}
	return r, nil
}

// appWay is which way a web app's flow goes (walker.decideApp).
type appWay uint8

const (
	appWayUndecided     appWay = iota // several perimeter associations, or an undocumented access mode: Unknown
	appWayNoIntegration               // secured by a perimeter, with no integration: Denied
	appWayGateway                     // a gateway-required integration: not modelled
	appWayPublic                      // kept out of the virtual network: the app's outbound addresses
	appWayNoSubnet                    // into an integration subnet the engine does not have: Unknown
	appWayVNet                        // walked from the integration subnet
)

// decideApp decides web app i's flow of traffic class class (TraceFrom
// and the egress map, Engine.ReachFrom, decide it here; enforce: as if its
// perimeter association were Enforced). pstep, when set, is the perimeter
// step of the trace, completed here.
func (w *walker) decideApp(i int32, class topology.WebAppTraffic, enforce bool, pstep *SecurityStep) (Decision, appWay) {
	e, tr := w.e, w.tr
	st := &e.apps[i]
	d := Decision{egress: -1}
	subnetRef, subnetState := st.v.SubnetRef()
	ps := &st.perim
	pb := ps.bind
	forced := ps.enforced() || enforce && pb.Associations == 1
	switch {
	case pb.Associations > 1 || pb.Associations == 1 && !pb.ModeKnown:
		if tr != nil {
			why := "accessMode " + pb.ModeText + " is not a documented mode"
			if pb.Associations > 1 {
				tr.paas("A-26")
				why = fmt.Sprintf("%d perimeter associations", pb.Associations)
			}
			tr.hops = append(tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Note: "network security perimeter: " + why})
			if pstep != nil {
				pstep.Access, pstep.Rule = "Unknown", why
			}
		}
		d.Verdict, d.Reason, d.Assumed = Unknown, ReasonPerimeterUndecided, true
		return d, appWayUndecided
	case forced && subnetRef.IsZero():
		if tr != nil {
			tr.hops = append(tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()),
				Note: "secured by a network security perimeter: outbound only through a virtual network integration, and the app has none"})
			if pstep != nil {
				pstep.Access, pstep.Rule = "Deny", "no virtual network integration: a perimeter-secured app has no other way out (A-19)"
			}
		}
		d.Verdict, d.Reason = Denied, ReasonPerimeterDenied
		return d, appWayNoIntegration
	case subnetRef.IsZero() && st.v.VNetName() != "":
		if tr != nil {
			tr.hops = append(tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Note: "gateway-required integration with VNet " + st.v.VNetName()})
			tr.paas("A-18")
		}
		d.Verdict, d.Reason, d.Assumed = Unknown, ReasonNotModelled, true
		return d, appWayGateway
	case subnetRef.IsZero():
		w.appPublic(st, &d, "not integrated with a virtual network (no virtualNetworkSubnetId)")
		return d, appWayPublic
	}
	into, why, code := e.intoVNet(st, class, w.dst, tr)
	if forced {
		into, code = true, intoForced
		if tr != nil {
			why = "secured by network security perimeter " + pb.Perimeter.Name() + ": all outbound traffic goes through the virtual network integration (A-19)"
		}
	}
	if w.rec != nil {
		w.rec.ev = append(w.rec.ev, recSrcWay|uint64(code)) // the Trace says why
	}
	switch {
	case !into:
		w.appPublic(st, &d, why)
		return d, appWayPublic
	case st.subnet < 0:
		if tr != nil {
			tr.hops = append(tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Note: why})
			what := "is not in the input"
			if subnetState == topology.RefInput {
				what = "cannot be simulated"
			}
			tr.end(HopNowhere, subnetRef.Name(), netip.Addr{}, "integration subnet "+subnetRef.Name()+" "+what+": its routes, NSG and NAT gateway are unknown")
		}
		d.Verdict, d.Reason, d.Assumed = Unknown, ReasonExternal, true
		return d, appWayNoSubnet
	}
	return w.runApp(i, why), appWayVNet
}

// appPublic decides a web app's flow that its settings keep out of the
// virtual network: it leaves from the app's outbound addresses, past no
// customer route or NSG.
func (w *walker) appPublic(st *appState, d *Decision, why string) {
	e, tr := w.e, w.tr
	dst, proto, port := w.dst, w.proto, w.dport
	es := &e.egress[st.public]
	if tr != nil {
		tr.hops = append(tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Note: why})
		tr.egress = es
	}
	if w.rec != nil && proto == ipproto.TCP {
		w.rec.smtp = true // the outcome depends on the port (25)
	}
	d.egress = st.public
	switch {
	case !dst.Is4() && len(es.ips) > 0 && !slices.ContainsFunc(es.ips, netip.Addr.Is6):
		d.Verdict, d.Reason = NoEgress, ReasonNoEgress
		if tr != nil {
			tr.end(HopNowhere, "", netip.Addr{}, "the app's outbound addresses in the input are IPv4 only (outboundIpv6Addresses is not modelled)")
		}
	case !es.carries(proto):
		d.Verdict, d.Reason = NoEgress, notCarried(proto)
		if tr != nil {
			tr.notCarried(es, proto)
		}
	case proto == ipproto.TCP && port == 25:
		// Port 25 is supported only through the integration
		// (overview-vnet-integration, note on SMTP).
		d.Verdict, d.Reason = NoEgress, ReasonSMTPBlocked
		if tr != nil {
			tr.end(HopNowhere, "", netip.Addr{}, "TCP port 25 from App Service leaves only through the virtual network integration")
		}
	default:
		d.Verdict, d.Method, d.Reason = Allowed, MethodAppService, ReasonInternet
		if tr != nil {
			tr.internet(dst, es)
			if p := st.possible; len(p) > 0 {
				tr.assume = appendOnce(tr.assume, fmt.Sprintf("the platform may move the app to any of possibleOutboundIpAddresses (%d addresses: %s) on a scale or tier change; a destination that allows the app by address should allow them all", len(p), joinAddrs(p, ", ")))
			}
		}
	}
}

// runApp walks a web app's flow from its integration subnet: the subnet's
// outbound security rules (admin rules, the subnet's NSG: there is no NIC
// NSG), then its routes, as path does for a NIC.
func (w *walker) runApp(a int32, why string) Decision {
	e := w.e
	st := &e.apps[a]
	d := Decision{egress: -1}
	src := st.addr
	if w.dst.Is6() {
		src = st.addr6
	}
	if w.tr != nil {
		w.tr.hops = append(w.tr.hops, Hop{Kind: HopSource, Name: st.v.Name(), ID: string(st.v.ID()), Address: src,
			Note: why + "; source: an address of integration subnet " + e.subnets[st.subnet].s.Name() + " (" + src.String() + " is the one evaluated)"})
		w.tr.assume = appendOnce(w.tr.assume, "web app "+st.v.Name()+"'s instances use any address of integration subnet "+e.subnets[st.subnet].s.Name()+
			" (WEBSITE_PRIVATE_IP changes); rules are evaluated for "+src.String()+", the first Azure assigns")
	}
	if !src.IsValid() {
		d.Verdict, d.Reason = Dropped, ReasonNoSourceAddress
		return d
	}
	f := nsg.Flow{Direction: nsg.Outbound, Proto: w.proto, Src: src, Dst: w.dst, SrcPort: w.sport, DstPort: w.dport}
	v := st.cls.Verdict(f)
	if w.tr != nil {
		w.tr.security(st.cls, nsg.Outbound, v)
	}
	if w.rec != nil {
		w.rec.verdict(recSrcSecurity, a, nsg.Outbound, v)
	}
	if st.unknown >= 0 && v.Allowed() && v.Reason != nsg.ReasonAdmin {
		w.assumed = true
		if w.tr != nil {
			w.tr.unknownNote(st.unknown)
		}
	}
	w.afterApply(&st.subnetSrc, nsg.Outbound, v)
	if !v.Allowed() {
		d = denied(&d, ^a, nsg.Outbound, v, ReasonDeniedOut)
		if w.assumed { // a rule known only after apply denied it
			d.Assumed, d.Verdict = true, Unknown
		}
		return d
	}
	d = w.path(d, ^a, src)
	if w.assumed {
		d.Assumed = true
		d.Verdict = Unknown
	}
	return d
}
