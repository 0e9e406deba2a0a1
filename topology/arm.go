package topology

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology/arm"
)

// ParseARM reads an Azure export — ARM JSON in any wrapper package arm
// accepts: REST GETs, `{"value":[...]}` pages, REST API example files, az CLI
// output (flattened at any level), Resource Graph rows, ARM templates
// (evaluated with the default deployment context; see [ParseARMWith]) — into
// a model, without validating it. file names the input in error messages.
//
// Resource types egress does not model are skipped and counted in
// [Model.Skipped]. Child resources exported separately (subnets, peerings,
// routes, security rules, rule collection groups) are attached to their
// parents; a resource or child declared twice (inline in its parent and on
// its own, as template exports do) is merged as [FromARM] says.
func ParseARM(file string, data []byte) (*Model, error) {
	return ParseARMWith(file, data, arm.Options{})
}

// FromARM builds a model from normalized ARM resources (see package
// topology/arm), without validating it. The resources are one set, whatever
// files they came from:
//
//   - children (subnets, peerings, routes, security rules, rule collection
//     groups, admin rules) attach to their parents wherever these are;
//   - a resource or child declared more than once, inline in its parent and
//     on its own or in several files, merges when the declarations build the
//     same model object, and is an error naming both positions, the first
//     differing field and both values when they do not. What counts is what
//     the model reads: read-only noise (etag, provisioningState), the az
//     CLI's resourceGroup keys and the shape (REST or flattened) never
//     differ; a location only one declaration gives is not a difference;
//     children merge by ID (routes and security rules by name), so a child
//     only one declaration lists is kept. The first declaration is kept,
//     with its position;
//   - an association given only from the other side (a NAT gateway's, NSG's
//     or route table's subnets, an NSG's network interfaces, a backend pool's
//     or ASG's IP configurations, a public IP's ipConfiguration and
//     natGateway) is carried over to the side the model keeps; when both
//     sides give it and they disagree, it is an error naming both;
//   - what Azure fills in and exports leave out is inferred and said so: a
//     firewall's private IP ([Firewall.PrivateIPAssumed]), an active-active
//     gateway's instance addresses ([Gateway.PrivateIPsAssumed]).
//
// A key an object holds twice is an error naming both positions when the
// model reads it, and a warning otherwise; short resource IDs
// (arm.ParseLooseID) are warnings. Warnings are kept with the model
// ([Model.Warnings]). An unresolved template value (see
// [arm.Resource.Unresolved]) is an error wrapping [arm.ErrExpression] where
// the builder reads it, naming its resource and field; values it does not
// read, such as tags and the properties of resource types it skips, do not
// matter. On error no model is returned.
func FromARM(rs []arm.Resource) (*Model, error) {
	m, p, w := fromARM(rs)
	m.complete(&p, &w)
	if err := p.err(); err != nil {
		return nil, err
	}
	m.addWarnings(&w)
	return m, nil
}

// fromARM builds the model of rs without the steps that need every input
// (merging duplicates, associations, inferred values: Model.complete), and
// returns the problems and warnings found so far.
func fromARM(rs []arm.Resource) (*Model, problems, warnList) {
	b := armBuilder{m: &Model{}, vnets: map[string]*VNet{}, rts: map[string]*RouteTable{}, nsgs: map[string]*NSG{}, policies: map[string]*FirewallPolicy{},
		groupMembers: map[string][]Ref{}, collections: map[string]*AdminConfig{}, appliesTo: map[*AdminConfig][]string{}}
	// Parents first, so that separately exported children find them.
	order := func(r arm.Resource) int { return strings.Count(strings.Trim(r.Type, "/"), "/") }
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, c arm.Resource) int { return order(a) - order(c) })
	var tracked []trackedResource
	for i, r := range sorted {
		if len(r.Duplicates) > 0 {
			var log *arm.ReadLog
			sorted[i], log = arm.TrackReads(r)
			tracked = append(tracked, trackedResource{r, log})
		}
	}
	// After TrackReads: the index holds the values the builder reads.
	b.unres = newUnresolvedIndex(sorted)
	for _, r := range sorted {
		b.shortID(r)
		b.resource(r)
		b.associations(r)
	}
	b.resolveAdminGroups()
	b.embeddedPIPs()
	b.unresolvedRest(sorted)
	b.duplicateKeys(tracked)
	return b.m, b.p, b.w
}

type armBuilder struct {
	m        *Model
	p        problems
	w        warnList
	vnets    map[string]*VNet
	rts      map[string]*RouteTable
	nsgs     map[string]*NSG
	policies map[string]*FirewallPolicy
	// AVNM: static members per network group, and the admin rule
	// collections with the groups they apply to.
	groupMembers map[string][]Ref
	collections  map[string]*AdminConfig
	appliesTo    map[*AdminConfig][]string
	skipped      map[string]bool // IDs counted in Model.Skipped
	// embedded: the public IPs expanded inside a reference (pipRef), by
	// key, and the first expansion of each, in order.
	embedded      map[string]bool
	embeddedOrder []*arm.Value
	// unres holds the unresolved template values, reported where read.
	unres unresolvedIndex
	webs  map[string]*WebApp // by ID key, for their config children
}

func typeIs(r arm.Resource, t string) bool { return arm.TypeIs(r, t) }

func (b *armBuilder) resource(r arm.Resource) {
	meta := Meta{ID: Ref(r.ID), Name: r.Name, Location: strings.ToLower(r.Location), Pos: r.Pos}
	v := r.Body
	switch {
	case typeIs(r, tVNet):
		vn := &VNet{Meta: meta}
		vn.AddressSpace = b.prefixes(v.Prop("addressSpace").Get("addressPrefixes"), r.ID, "addressSpace.addressPrefixes")
		vn.DNSServers = b.addrs(v.Prop("dhcpOptions").Get("dnsServers"), r.ID, "dhcpOptions.dnsServers")
		for _, s := range elems(v.Prop("subnets")) {
			vn.Subnets = append(vn.Subnets, b.subnet(vn, s, ""))
		}
		for _, p := range elems(v.Prop("virtualNetworkPeerings")) {
			vn.Peerings = append(vn.Peerings, b.peering(vn, p, ""))
		}
		b.vnets[arm.Key(r.ID)] = vn
		b.m.VNets = append(b.m.VNets, vn)
	case typeIs(r, tVNet+"/subnets"):
		// Also when the VNet lists it inline: Model.mergeDuplicates
		// merges the two declarations.
		if vn := b.parentVNet(r); vn != nil {
			vn.Subnets = append(vn.Subnets, b.subnet(vn, v, r.ID))
		}
	case typeIs(r, tVNet+"/virtualNetworkPeerings"):
		if vn := b.parentVNet(r); vn != nil {
			vn.Peerings = append(vn.Peerings, b.peering(vn, v, r.ID))
		}
	case typeIs(r, tRT):
		rt := &RouteTable{Meta: meta, DisableBGPRoutePropagation: b.boolean(v.Prop("disableBgpRoutePropagation"))}
		for _, x := range elems(v.Prop("routes")) {
			b.addRoute(rt, x, "")
		}
		b.rts[arm.Key(r.ID)] = rt
		b.m.RouteTables = append(b.m.RouteTables, rt)
	case typeIs(r, tRT+"/routes"):
		if rt := b.rts[parentKey(r.ID)]; rt != nil {
			b.addRoute(rt, v, r.Name)
		} else {
			b.p.add(r.Pos, r.ID, "", "", ErrDangling, "route of a route table that is not in the input")
		}
	case typeIs(r, tNSG):
		g := &NSG{Meta: meta}
		for _, x := range elems(v.Prop("securityRules")) {
			b.addRule(g, x, "")
		}
		b.nsgs[arm.Key(r.ID)] = g
		b.m.NSGs = append(b.m.NSGs, g)
	case typeIs(r, tNSG+"/securityRules"):
		if g := b.nsgs[parentKey(r.ID)]; g != nil {
			b.addRule(g, v, r.Name)
		} else {
			b.p.add(r.Pos, r.ID, "", "", ErrDangling, "security rule of an NSG that is not in the input")
		}
	case typeIs(r, tASG):
		b.m.ASGs = append(b.m.ASGs, &ASG{Meta: meta})
	case typeIs(r, tNIC):
		b.m.NICs = append(b.m.NICs, b.nic(meta, v))
	case typeIs(r, tPIP):
		pip := &PublicIP{Meta: meta, Prefix: b.ref(v.Prop("publicIPPrefix")), SKU: b.str(v.Get("sku").Get("name"))}
		if s := b.str(v.Prop("ipAddress")); s != "" {
			pip.Address = b.addr(v.Prop("ipAddress"), r.ID, "ipAddress")
		}
		b.m.PublicIPs = append(b.m.PublicIPs, pip)
	case typeIs(r, tPIPP):
		pp := &PublicIPPrefix{Meta: meta, SKU: b.str(v.Get("sku").Get("name"))}
		if s := b.str(v.Prop("ipPrefix")); s != "" {
			if ps := b.prefixList([]*arm.Value{v.Prop("ipPrefix")}, r.ID, "ipPrefix"); len(ps) == 1 {
				pp.Prefix = ps[0]
			}
		}
		b.m.PublicIPPrefixes = append(b.m.PublicIPPrefixes, pp)
	case typeIs(r, tNAT):
		ng := &NATGateway{Meta: meta, SKU: b.str(v.Get("sku").Get("name")), SourceVirtualNetwork: b.ref(v.Prop("sourceVirtualNetwork")),
			PublicIPs: b.refs(v.Prop("publicIpAddresses")), PublicIPPrefixes: b.refs(v.Prop("publicIpPrefixes"))}
		ng.PublicIPs = append(ng.PublicIPs, b.refs(v.Prop("publicIpAddressesV6"))...)
		ng.PublicIPPrefixes = append(ng.PublicIPPrefixes, b.refs(v.Prop("publicIpPrefixesV6"))...)
		b.m.NATGateways = append(b.m.NATGateways, ng)
	case typeIs(r, tLB):
		b.m.LoadBalancers = append(b.m.LoadBalancers, b.loadBalancer(meta, v))
	case typeIs(r, tGW):
		gw := &Gateway{Meta: meta, ActiveActive: b.boolean(v.Prop("activeActive")), DefaultSite: b.ref(v.Prop("gatewayDefaultSite"))}
		if strings.EqualFold(b.str(v.Prop("gatewayType")), "ExpressRoute") {
			gw.Type = GatewayExpressRoute
		}
		for _, c := range elems(v.Prop("ipConfigurations")) {
			if sub := b.ref(c.Prop("subnet")); !sub.IsZero() {
				gw.VNet = Ref(vnetOfSubnet(string(sub)))
			}
			if pip := b.pipRef(c.Prop("publicIPAddress")); !pip.IsZero() {
				gw.PublicIPs = append(gw.PublicIPs, pip)
			}
		}
		for _, a := range elems(v.Prop("bgpSettings").Get("bgpPeeringAddresses")) {
			for _, ip := range elems(a.Get("defaultBgpIpAddresses")) {
				gw.PrivateIPs = append(gw.PrivateIPs, b.addr(ip, r.ID, "bgpSettings.bgpPeeringAddresses"))
			}
		}
		if ip := v.Prop("bgpSettings").Get("bgpPeeringAddress"); len(gw.PrivateIPs) == 0 && ip != nil {
			for _, s := range strings.Split(b.str(ip), ",") {
				if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
					gw.PrivateIPs = append(gw.PrivateIPs, a)
				}
			}
		}
		// Else the instances' addresses of its IP configurations
		// (REST VirtualNetworkGatewayIPConfiguration: privateIPAddress,
		// read-only, "Private IP Address for this gateway").
		if len(gw.PrivateIPs) == 0 {
			for _, c := range elems(v.Prop("ipConfigurations")) {
				if a := c.Prop("privateIPAddress"); a != nil {
					gw.PrivateIPs = append(gw.PrivateIPs, b.addr(a, r.ID, "ipConfigurations.privateIPAddress"))
				}
			}
		}
		b.m.Gateways = append(b.m.Gateways, gw)
	case typeIs(r, tLNG):
		l := &LocalNetworkGateway{Meta: meta,
			AddressPrefixes: b.prefixes(v.Prop("localNetworkAddressSpace").Get("addressPrefixes"), r.ID, "localNetworkAddressSpace.addressPrefixes")}
		if v.Prop("gatewayIpAddress") != nil {
			l.GatewayIP = b.addr(v.Prop("gatewayIpAddress"), r.ID, "gatewayIpAddress")
		}
		// REST LocalNetworkGatewayPropertiesFormat.fqdn: the peer by name
		// (https://learn.microsoft.com/rest/api/virtualnetwork/local-network-gateways/get).
		l.GatewayFQDN = b.str(v.Prop("fqdn"))
		b.m.LocalNetworkGateways = append(b.m.LocalNetworkGateways, l)
	case typeIs(r, tConn):
		b.m.Connections = append(b.m.Connections, &Connection{Meta: meta, Type: b.str(v.Prop("connectionType")),
			Gateway: b.ref(v.Prop("virtualNetworkGateway1")), LocalGateway: b.ref(v.Prop("localNetworkGateway2")),
			Peer: b.ref(v.Prop("virtualNetworkGateway2"))})
	case typeIs(r, tPE):
		pe := &PrivateEndpoint{Meta: meta, Subnet: b.ref(v.Prop("subnet"))}
		for _, n := range elems(v.Prop("networkInterfaces")) {
			pe.NIC = b.ref(n)
		}
		for _, c := range elems(v.Prop("customDnsConfigs")) {
			for _, ip := range elems(c.Get("ipAddresses")) {
				pe.IPs = append(pe.IPs, b.addr(ip, r.ID, "customDnsConfigs.ipAddresses"))
			}
		}
		for _, c := range elems(v.Prop("ipConfigurations")) {
			if a := c.Prop("privateIPAddress"); a != nil {
				pe.IPs = append(pe.IPs, b.addr(a, r.ID, "ipConfigurations.privateIPAddress"))
			}
		}
		for _, c := range elems(v.Prop("privateLinkServiceConnections")) {
			pe.Service = b.ref(c.Prop("privateLinkServiceId"))
			if g := elems(c.Prop("groupIds")); len(g) > 0 {
				pe.GroupID = b.str(g[0])
			}
		}
		slices.SortFunc(pe.IPs, netip.Addr.Compare)
		pe.IPs = slices.Compact(pe.IPs)
		b.m.PrivateEndpoints = append(b.m.PrivateEndpoints, pe)
	case typeIs(r, tFW):
		fw := &Firewall{Meta: meta, SKU: b.str(v.Prop("sku").Get("name")), Tier: b.str(v.Prop("sku").Get("tier")),
			Policy: b.ref(v.Prop("firewallPolicy")), ThreatIntel: b.str(v.Prop("threatIntelMode"))}
		// A virtual hub firewall's address is hubIPAddresses.privateIPAddress
		// (REST AzureFirewall: HubIPAddresses).
		if a := v.Prop("hubIPAddresses").Get("privateIPAddress"); a != nil {
			fw.PrivateIP = b.addr(a, r.ID, "hubIPAddresses.privateIPAddress")
		}
		for _, c := range elems(v.Prop("ipConfigurations")) {
			if a := c.Prop("privateIPAddress"); a != nil && !fw.PrivateIP.IsValid() {
				fw.PrivateIP = b.addr(a, r.ID, "ipConfigurations.privateIPAddress")
			}
			if sub := b.ref(c.Prop("subnet")); !sub.IsZero() {
				fw.VNet = Ref(vnetOfSubnet(string(sub)))
			}
			if pip := b.pipRef(c.Prop("publicIPAddress")); !pip.IsZero() {
				fw.PublicIPs = append(fw.PublicIPs, pip)
			}
		}
		if mc := v.Prop("managementIpConfiguration"); mc != nil {
			fw.ManagementIP = b.pipRef(mc.Prop("publicIPAddress"))
		}
		b.classic(fw, v)
		b.m.Firewalls = append(b.m.Firewalls, fw)
	case typeIs(r, tFWP):
		fp := &FirewallPolicy{Meta: meta, Parent: b.ref(v.Prop("basePolicy")), ThreatIntel: b.str(v.Prop("threatIntelMode")),
			DNSProxy: b.boolean(v.Prop("dnsSettings").Get("enableProxy"))}
		if pr := v.Prop("snat").Get("privateRanges"); pr != nil {
			fp.SNATPrivateRanges = b.strs(pr)
		}
		b.policies[arm.Key(r.ID)] = fp
		b.m.FirewallPolicies = append(b.m.FirewallPolicies, fp)
	case typeIs(r, tFWP+"/ruleCollectionGroups"):
		if fp := b.policies[parentKey(r.ID)]; fp != nil {
			fp.RuleCollectionGroups = append(fp.RuleCollectionGroups, b.rcg(meta, v))
		} else {
			b.p.add(r.Pos, r.ID, "", "", ErrDangling, "rule collection group of a firewall policy that is not in the input")
		}
	case typeIs(r, tIPGroups):
		for _, e := range elems(v.Prop("ipAddresses")) {
			if s, _ := e.Str(); mappedIPGroupAddress(s) != "" {
				b.p.add(e.Pos(), r.ID, "properties.ipAddresses", s, ErrInvalid, "%s", mappedIPGroupAddress(s))
			}
		}
		b.m.IPGroups = append(b.m.IPGroups, &IPGroup{Meta: meta, Addresses: b.strs(v.Prop("ipAddresses"))})
	case typeIs(r, tAVNM+"/networkGroups"), typeIs(r, tAVNM), typeIs(r, tAVNM+"/securityAdminConfigurations"):
		// Containers: what matters is in their children.
	case typeIs(r, tAVNM+"/networkGroups/staticMembers"):
		if id := b.str(v.Prop("resourceId")); id != "" {
			b.groupMembers[parentKey(r.ID)] = append(b.groupMembers[parentKey(r.ID)], Ref(id))
		}
	case typeIs(r, tAVNM+"/securityAdminConfigurations/ruleCollections"):
		ac := &AdminConfig{Meta: meta}
		for _, g := range elems(v.Prop("appliesToGroups")) {
			b.appliesTo[ac] = append(b.appliesTo[ac], arm.Key(b.str(g.Get("networkGroupId"))))
		}
		b.collections[arm.Key(r.ID)] = ac
		b.m.AdminConfigs = append(b.m.AdminConfigs, ac)
	case typeIs(r, tAVNM+"/securityAdminConfigurations/ruleCollections/rules"):
		ac := b.collections[parentKey(r.ID)]
		if ac == nil {
			b.p.add(r.Pos, r.ID, "", "", ErrDangling, "admin rule of a rule collection that is not in the input")
			return
		}
		if k := b.str(v.Get("kind")); k != "" && !strings.EqualFold(k, "Custom") {
			return // Default rules are AVNM-managed presets; not modelled
		}
		ac.Rules = append(ac.Rules, b.adminRule(r, ac.Name, v))
	case typeIs(r, tAI):
		b.m.AIAccounts = append(b.m.AIAccounts, b.aiAccount(meta, v))
	case typeIs(r, tWeb), typeIs(r, tWeb+"/slots"):
		// A deployment slot is a site of its own, with its own regional VNet
		// integration (PUT .../sites/{name}/slots/{slot}/networkConfig/virtualNetwork,
		// https://learn.microsoft.com/rest/api/appservice/web-apps/create-or-update-swift-virtual-network-connection-with-check-slot)
		// and routing settings: named "app/slot".
		if typeIs(r, tWeb+"/slots") {
			meta.Name = cutChild(meta.ID, "slots").Name() + "/" + meta.ID.Name()
		}
		app := b.webApp(meta, v)
		if b.webs == nil {
			b.webs = map[string]*WebApp{}
		}
		b.webs[arm.Key(r.ID)] = app
		b.m.WebApps = append(b.m.WebApps, app)
	case typeIs(r, tWeb+"/config"), typeIs(r, tWeb+"/slots/config"):
		b.webConfig(r, v)
	case typeIs(r, tWeb+"/networkConfig"), typeIs(r, tWeb+"/slots/networkConfig"):
		b.webNetworkConfig(r, v)
	default:
		if typeIs(r, tFlowLog) {
			b.m.FlowLogs = append(b.m.FlowLogs, b.flowLog(meta, v))
			return
		}
		if b.perimeterResource(r, meta, v) {
			return
		}
		if k, ok := InjectedKindOf(r.Type); ok {
			b.m.Injected = append(b.m.Injected, b.injected(meta, k, v))
			return
		}
		if c, ok := OtherPaaSControl(r.Type); ok {
			b.m.OtherPaaS = append(b.m.OtherPaaS, &OtherPaaS{Meta: meta, Type: r.Type, Control: c, Setting: b.otherSetting(v)})
			return
		}
		if b.skipped == nil {
			b.m.Skipped, b.skipped = map[string]int{}, map[string]bool{}
		}
		if k := arm.Key(r.ID); !b.skipped[k] { // the same resource twice counts once
			b.skipped[k] = true
			b.m.Skipped[strings.ToLower(r.Type)]++
		}
	}
}

// adminRule converts an AVNM security admin rule (kind Custom).
func (b *armBuilder) adminRule(r arm.Resource, collection string, v *arm.Value) nsg.AdminRule {
	ar := nsg.AdminRule{Name: r.Name, Collection: collection, Description: b.str(v.Prop("description")),
		SourcePortRanges: b.strs(v.Prop("sourcePortRanges")), DestinationPortRanges: b.strs(v.Prop("destinationPortRanges"))}
	if p, ok := v.Prop("priority").Int(); ok || !b.known(v.Prop("priority")) {
		ar.Priority = int(p)
	}
	for field, dst := range map[string]interface{ UnmarshalText([]byte) error }{"direction": &ar.Direction, "access": &ar.Access, "protocol": &ar.Protocol} {
		fv := v.Prop(field)
		if err := dst.UnmarshalText([]byte(b.str(fv))); err != nil {
			b.p.add(v.Pos(), r.ID, field, b.str(fv), ErrInvalid, "%v", err)
		}
	}
	items := func(list *arm.Value) []string {
		var out []string
		for _, it := range elems(list) {
			out = append(out, b.str(it.Get("addressPrefix")))
		}
		if len(out) == 0 {
			out = []string{"*"}
		}
		return out
	}
	ar.Sources, ar.Destinations = items(v.Prop("sources")), items(v.Prop("destinations"))
	return ar
}

// resolveAdminGroups gives each admin rule collection the VNets of the
// network groups it applies to (static members only: Azure Policy-based
// dynamic membership cannot be evaluated offline).
func (b *armBuilder) resolveAdminGroups() {
	for _, ac := range b.m.AdminConfigs {
		for _, g := range b.appliesTo[ac] {
			for _, m := range b.groupMembers[g] {
				if !slices.ContainsFunc(ac.VNets, func(r Ref) bool { return r.Key() == m.Key() }) {
					ac.VNets = append(ac.VNets, m)
				}
			}
		}
	}
}

func (m *Meta) meta() *Meta { return m }

func parentKey(id string) string {
	rid, err := arm.ParseLooseID(id)
	if err != nil {
		return ""
	}
	p, ok := rid.Parent()
	if !ok {
		return ""
	}
	return p.Key()
}

func (b *armBuilder) parentVNet(r arm.Resource) *VNet {
	vn := b.vnets[parentKey(r.ID)]
	if vn == nil {
		b.p.add(r.Pos, r.ID, "", "", ErrDangling, "child of a virtual network that is not in the input")
	}
	return vn
}

// vnetOfSubnet cuts ".../virtualNetworks/v/subnets/s" to ".../virtualNetworks/v".
func vnetOfSubnet(id string) string {
	if i := strings.LastIndex(strings.ToLower(id), "/subnets/"); i >= 0 {
		return id[:i]
	}
	return id
}

// elems returns the elements of an array; an unresolved template value is
// returned as its one element, so that reading it reports it.
func elems(v *arm.Value) []*arm.Value {
	if v.Kind() == arm.KindUnresolved {
		return []*arm.Value{v}
	}
	var out []*arm.Value
	for _, e := range v.Elems() {
		out = append(out, e)
	}
	return out
}

func (b *armBuilder) str(v *arm.Value) string {
	if !b.known(v) {
		return ""
	}
	s, _ := v.Str()
	return s
}

func (b *armBuilder) strs(v *arm.Value) []string {
	if !b.known(v) {
		return nil
	}
	var out []string
	for _, e := range v.Elems() {
		if s, ok := e.Str(); ok && b.known(e) {
			out = append(out, s)
		}
	}
	return out
}

func (b *armBuilder) boolean(v *arm.Value) bool {
	if !b.known(v) {
		return false
	}
	x, _ := v.Bool()
	return x
}

func (b *armBuilder) ref(v *arm.Value) Ref {
	if v == nil || !b.known(v) || !b.known(v.Get("id")) {
		return ""
	}
	if s, ok := v.Str(); ok { // some shapes give the ID as a plain string
		return Ref(s)
	}
	s, _ := v.Get("id").Str()
	return Ref(s)
}

// pipRef is ref for a reference to a public IP, which the REST API expands
// into the whole resource when asked to (Network Interfaces - Get,
// $expand=ipConfigurations/publicIPAddress;
// https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get):
// an expanded public IP the input does not also hold on its own is added to
// the model from the expansion (see embeddedPIPs), so that its address is
// known.
func (b *armBuilder) pipRef(v *arm.Value) Ref {
	r := b.ref(v)
	if r.IsZero() || v.Kind() != arm.KindObject || v.Prop("ipAddress") == nil {
		return r
	}
	if b.embedded == nil {
		b.embedded = map[string]bool{}
	}
	if !b.embedded[r.Key()] {
		b.embedded[r.Key()] = true
		b.embeddedOrder = append(b.embeddedOrder, v)
	}
	return r
}

// embeddedPIPs adds the expanded public IPs (pipRef) whose resources the
// input does not hold, in the order first referenced.
func (b *armBuilder) embeddedPIPs() {
	if len(b.embeddedOrder) == 0 {
		return
	}
	have := map[string]bool{}
	for _, p := range b.m.PublicIPs {
		have[p.ID.Key()] = true
	}
	for _, v := range b.embeddedOrder {
		id, _ := v.Get("id").Str()
		if have[Ref(id).Key()] {
			continue
		}
		have[Ref(id).Key()] = true
		name, _ := v.Get("name").Str()
		if name == "" {
			name = Ref(id).Name()
		}
		loc, _ := v.Get("location").Str()
		pip := &PublicIP{Meta: Meta{ID: Ref(id), Name: name, Location: strings.ToLower(loc), Pos: v.Pos()},
			Prefix: b.ref(v.Prop("publicIPPrefix")), SKU: b.str(v.Get("sku").Get("name"))}
		if s := b.str(v.Prop("ipAddress")); s != "" {
			pip.Address = b.addr(v.Prop("ipAddress"), id, "ipAddress")
		}
		b.m.PublicIPs = append(b.m.PublicIPs, pip)
	}
}

func (b *armBuilder) refs(v *arm.Value) []Ref {
	if !b.known(v) {
		return nil
	}
	var out []Ref
	for _, e := range v.Elems() {
		if r := b.ref(e); !r.IsZero() {
			out = append(out, r)
		}
	}
	return out
}

func (b *armBuilder) addr(v *arm.Value, res, field string) netip.Addr {
	if !b.known(v) {
		return netip.Addr{}
	}
	s, ok := v.Str()
	if !ok {
		b.p.add(v.Pos(), res, field, "", ErrInvalid, "want an IP address string")
		return netip.Addr{}
	}
	// A NIC's privateIPAddress may carry a prefix length ("172.20.2.16/28").
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		b.p.add(v.Pos(), res, field, s, ErrInvalid, "not an IP address")
		return netip.Addr{}
	}
	if msg := errtext.MappedAddr(a); msg != "" {
		b.p.add(v.Pos(), res, field, s, ErrInvalid, "%s", msg)
		return netip.Addr{}
	}
	return a
}

func (b *armBuilder) addrs(v *arm.Value, res, field string) []netip.Addr {
	if !b.known(v) {
		return nil
	}
	var out []netip.Addr
	for _, e := range v.Elems() {
		if a := b.addr(e, res, field); a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

func (b *armBuilder) prefixes(v *arm.Value, res, field string) []netip.Prefix {
	return b.prefixList(elems(v), res, field)
}

func (b *armBuilder) prefixList(vs []*arm.Value, res, field string) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range vs {
		if !b.known(e) {
			continue
		}
		s, ok := e.Str()
		if !ok {
			b.p.add(e.Pos(), res, field, "", ErrInvalid, "want a CIDR prefix string")
			continue
		}
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			b.p.add(e.Pos(), res, field, s, ErrInvalid, "not a CIDR prefix")
		case p.Masked() != p:
			b.p.add(e.Pos(), res, field, s, ErrInvalid, "host bits set; did you mean %v?", p.Masked())
		case errtext.MappedPrefix(p) != "":
			b.p.add(e.Pos(), res, field, s, ErrInvalid, "%s", errtext.MappedPrefix(p))
		default:
			out = append(out, p)
		}
	}
	return out
}

// id returns a child object's ID, or parent/kind/name when the export omits it.
func (b *armBuilder) id(v *arm.Value, parent Ref, kind string) (Ref, string) {
	name := b.str(v.Get("name"))
	if id := b.str(v.Get("id")); id != "" {
		if name == "" {
			name = Ref(id).Name()
		}
		return Ref(id), name
	}
	return Ref(string(parent) + "/" + kind + "/" + name), name
}

func (b *armBuilder) subnet(vn *VNet, v *arm.Value, id string) *Subnet {
	sid, name := b.id(v, vn.ID, "subnets")
	if id != "" {
		sid, name = Ref(id), Ref(id).Name()
	}
	s := &Subnet{Meta: Meta{ID: sid, Name: name, Location: vn.Location, Pos: v.Pos()}, VNet: vn,
		RouteTable: b.ref(v.Prop("routeTable")), NSG: b.ref(v.Prop("networkSecurityGroup")), NATGateway: b.ref(v.Prop("natGateway"))}
	if p := v.Prop("addressPrefix"); p != nil {
		s.Prefixes = b.prefixList([]*arm.Value{p}, string(sid), "addressPrefix")
	}
	for _, p := range b.prefixes(v.Prop("addressPrefixes"), string(sid), "addressPrefixes") {
		if !slices.Contains(s.Prefixes, p) {
			s.Prefixes = append(s.Prefixes, p)
		}
	}
	for _, d := range elems(v.Prop("delegations")) {
		if name := b.str(d.Prop("serviceName")); name != "" {
			s.Delegations = append(s.Delegations, name)
		}
	}
	for _, se := range elems(v.Prop("serviceEndpoints")) {
		s.ServiceEndpoints = append(s.ServiceEndpoints, ServiceEndpoint{Service: b.str(se.Prop("service")), Locations: b.strs(se.Prop("locations"))})
	}
	if pol := v.Prop("privateEndpointNetworkPolicies"); pol != nil {
		p, err := ParsePrivateEndpointPolicy(b.str(pol))
		if err != nil {
			b.p.add(pol.Pos(), string(sid), "privateEndpointNetworkPolicies", b.str(pol), ErrInvalid, "want Disabled, Enabled, NetworkSecurityGroupEnabled or RouteTableEnabled")
		}
		s.PrivateEndpointPolicies = p
	}
	if d := v.Prop("defaultOutboundAccess"); d != nil && b.known(d) {
		x, ok := d.Bool()
		if !ok {
			b.p.add(d.Pos(), string(sid), "defaultOutboundAccess", "", ErrInvalid, "want true or false")
		}
		s.DefaultOutboundAccess = &x
	}
	return s
}

func (b *armBuilder) peering(vn *VNet, v *arm.Value, id string) *Peering {
	pid, name := b.id(v, vn.ID, "virtualNetworkPeerings")
	if id != "" {
		pid, name = Ref(id), Ref(id).Name()
	}
	p := &Peering{Meta: Meta{ID: pid, Name: name, Location: vn.Location, Pos: v.Pos()}, Local: vn,
		Remote:                    b.ref(v.Prop("remoteVirtualNetwork")),
		AllowVirtualNetworkAccess: true,
		AllowForwardedTraffic:     b.boolean(v.Prop("allowForwardedTraffic")),
		AllowGatewayTransit:       b.boolean(v.Prop("allowGatewayTransit")),
		UseRemoteGateways:         b.boolean(v.Prop("useRemoteGateways")),
		Connected:                 true,
	}
	if a, ok := v.Prop("allowVirtualNetworkAccess").Bool(); ok && b.known(v.Prop("allowVirtualNetworkAccess")) {
		p.AllowVirtualNetworkAccess = a
	}
	if st := b.str(v.Prop("peeringState")); st != "" && !strings.EqualFold(st, "Connected") {
		p.Connected = false
	}
	b.partialPeering(v, pid)
	// The peered address space (REST VirtualNetworkPeeringPropertiesFormat:
	// remoteAddressSpace, "the reference to the address space peered with
	// the remote virtual network"; remoteVirtualNetworkAddressSpace, its
	// current space).
	space := v.Prop("remoteAddressSpace").Get("addressPrefixes")
	if space == nil {
		space = v.Prop("remoteVirtualNetworkAddressSpace").Get("addressPrefixes")
	}
	if why, ok := space.Unresolved(); ok {
		// A Bicep module writes remoteAddressSpace from an existing hub's
		// properties, runtime state a template cannot give offline. The
		// space is optional input: the remote VNet's own space is used when
		// the model holds it, and the peered space is unknown otherwise.
		b.w.warn(space.Pos(), string(pid), "remoteAddressSpace.addressPrefixes", "", arm.ErrExpression,
			"%s: the peered address space is taken from the remote virtual network where the input holds it, and is unknown where it does not", why)
		return p
	}
	p.RemoteAddressSpace = b.prefixes(space, string(pid), "remoteAddressSpace.addressPrefixes")
	return p
}

// partialPeering refuses a peering of some subnets only
// (peerCompleteVnets false, with localSubnetNames and remoteSubnetNames)
// and an IPv6-only one (enableOnlyIPv6Peering true), as the Terraform
// reader does: egress peers whole VNets in every address family, and
// reading them so would route to subnets Azure does not peer
// (https://learn.microsoft.com/azure/virtual-network/how-to-configure-subnet-peering;
// REST VirtualNetworkPeeringPropertiesFormat,
// https://learn.microsoft.com/javascript/api/@azure/arm-network/virtualnetworkpeeringpropertiesformat).
func (b *armBuilder) partialPeering(v *arm.Value, pid Ref) {
	if c := v.Prop("peerCompleteVnets"); c != nil && b.known(c) {
		switch x, ok := c.Bool(); {
		case !ok:
			b.p.add(c.Pos(), string(pid), "peerCompleteVnets", "", ErrInvalid, "want true or false")
		case !x:
			b.p.add(c.Pos(), string(pid), "peerCompleteVnets", "false", ErrNotAllowed,
				"a peering of some subnets only (localSubnetNames %v, remoteSubnetNames %v) is not modelled: egress peers whole VNets",
				b.strs(v.Prop("localSubnetNames")), b.strs(v.Prop("remoteSubnetNames")))
		}
	}
	if c := v.Prop("enableOnlyIPv6Peering"); c != nil && b.known(c) {
		switch x, ok := c.Bool(); {
		case !ok:
			b.p.add(c.Pos(), string(pid), "enableOnlyIPv6Peering", "", ErrInvalid, "want true or false")
		case x:
			b.p.add(c.Pos(), string(pid), "enableOnlyIPv6Peering", "true", ErrNotAllowed,
				"an IPv6-only peering is not modelled: egress peers every address family")
		}
	}
}

// addRoute adds a route; name overrides the body's name for a separately
// exported child (whose body may say "table/route").
func (b *armBuilder) addRoute(rt *RouteTable, v *arm.Value, name string) {
	r := route.UserRoute{Name: defaultStr(name, b.str(v.Get("name"))), AddressPrefix: b.str(v.Prop("addressPrefix")), NextHopType: b.str(v.Prop("nextHopType")),
		NextHopIPAddress: b.str(v.Prop("nextHopIpAddress")), HasBgpOverride: b.boolean(v.Prop("hasBgpOverride"))}
	if nh := v.Prop("nextHop"); nh != nil {
		r.NextHopIPAddresses = b.strs(nh.Get("nextHopIpAddresses"))
	}
	rt.Routes = append(rt.Routes, r)
	rt.RoutePos = append(rt.RoutePos, v.Pos())
}

// addRule adds a security rule; name overrides the body's name as in addRoute.
func (b *armBuilder) addRule(g *NSG, v *arm.Value, name string) {
	res := string(g.ID)
	r := nsg.Rule{Name: defaultStr(name, b.str(v.Get("name"))), Description: b.str(v.Prop("description")),
		SourceAddressPrefix: b.str(v.Prop("sourceAddressPrefix")), SourceAddressPrefixes: b.strs(v.Prop("sourceAddressPrefixes")),
		SourcePortRange: b.str(v.Prop("sourcePortRange")), SourcePortRanges: b.strs(v.Prop("sourcePortRanges")),
		DestinationAddressPrefix: b.str(v.Prop("destinationAddressPrefix")), DestinationAddressPrefixes: b.strs(v.Prop("destinationAddressPrefixes")),
		DestinationPortRange: b.str(v.Prop("destinationPortRange")), DestinationPortRanges: b.strs(v.Prop("destinationPortRanges")),
	}
	for _, a := range b.refs(v.Prop("sourceApplicationSecurityGroups")) {
		r.SourceApplicationSecurityGroups = append(r.SourceApplicationSecurityGroups, string(a))
	}
	for _, a := range b.refs(v.Prop("destinationApplicationSecurityGroups")) {
		r.DestinationApplicationSecurityGroups = append(r.DestinationApplicationSecurityGroups, string(a))
	}
	if p := v.Prop("priority"); p != nil && b.known(p) {
		n, ok := p.Int()
		if !ok {
			b.p.add(p.Pos(), res, "securityRules["+r.Name+"].priority", "", ErrInvalid, "want an integer")
		}
		r.Priority = int(n)
	}
	for field, dst := range map[string]interface{ UnmarshalText([]byte) error }{"direction": &r.Direction, "access": &r.Access, "protocol": &r.Protocol} {
		fv := v.Prop(field)
		if err := dst.UnmarshalText([]byte(b.str(fv))); err != nil {
			pos := fv.Pos()
			if fv == nil {
				pos = v.Pos()
			}
			b.p.add(pos, res, "securityRules["+r.Name+"]."+field, b.str(fv), ErrInvalid, "%v", err)
		}
	}
	g.Rules = append(g.Rules, r)
	g.RulePos = append(g.RulePos, v.Pos())
}

func (b *armBuilder) nic(meta Meta, v *arm.Value) *NIC {
	n := &NIC{Meta: meta, NSG: b.ref(v.Prop("networkSecurityGroup")), EnableIPForwarding: b.boolean(v.Prop("enableIPForwarding")),
		PrivateEndpoint: b.ref(v.Prop("privateEndpoint")), VirtualMachine: b.ref(v.Prop("virtualMachine"))}
	if mv := v.Prop("macAddress"); mv != nil && b.str(mv) != "" {
		mac, err := NormalizeMAC(b.str(mv))
		if err != nil {
			b.p.add(mv.Pos(), string(meta.ID), "macAddress", b.str(mv), ErrInvalid, "want 12 hex digits, as ARM writes them (00-0D-3A-F8-78-56)")
		}
		n.MAC = mac
	}
	for _, c := range elems(v.Prop("ipConfigurations")) {
		id, name := b.id(c, n.ID, "ipConfigurations")
		ic := &IPConfig{Meta: Meta{ID: id, Name: name, Location: n.Location, Pos: c.Pos()}, NIC: n,
			Primary: b.boolean(c.Prop("primary")), Subnet: b.ref(c.Prop("subnet")), PublicIP: b.pipRef(c.Prop("publicIPAddress")),
			ASGs: b.refs(c.Prop("applicationSecurityGroups")), BackendPools: b.refs(c.Prop("loadBalancerBackendAddressPools"))}
		if a := c.Prop("privateIPAddress"); a != nil {
			ic.PrivateIP = b.addr(a, string(id), "privateIPAddress")
		}
		n.IPConfigs = append(n.IPConfigs, ic)
	}
	return n
}

func (b *armBuilder) loadBalancer(meta Meta, v *arm.Value) *LoadBalancer {
	lb := &LoadBalancer{Meta: meta, SKU: b.str(v.Get("sku").Get("name"))}
	for _, f := range elems(v.Prop("frontendIPConfigurations")) {
		id, name := b.id(f, lb.ID, "frontendIPConfigurations")
		fe := &Frontend{Meta: Meta{ID: id, Name: name, Pos: f.Pos()}, PublicIP: b.pipRef(f.Prop("publicIPAddress")),
			PublicIPPrefix: b.ref(f.Prop("publicIPPrefix")), Subnet: b.ref(f.Prop("subnet"))}
		if a := f.Prop("privateIPAddress"); a != nil {
			fe.PrivateIP = b.addr(a, string(id), "privateIPAddress")
		}
		lb.Frontends = append(lb.Frontends, fe)
	}
	for _, p := range elems(v.Prop("backendAddressPools")) {
		id, name := b.id(p, lb.ID, "backendAddressPools")
		lb.BackendPools = append(lb.BackendPools, &BackendPool{Meta: Meta{ID: id, Name: name, Pos: p.Pos()},
			ByIPAddress: b.known(p.Prop("loadBalancerBackendAddresses")) && b.known(p.Prop("backendIPConfigurations")) &&
				len(elems(p.Prop("loadBalancerBackendAddresses"))) > 0 && len(elems(p.Prop("backendIPConfigurations"))) == 0})
	}
	for _, r := range elems(v.Prop("loadBalancingRules")) {
		id, name := b.id(r, lb.ID, "loadBalancingRules")
		lb.Rules = append(lb.Rules, &LBRule{Meta: Meta{ID: id, Name: name, Pos: r.Pos()}, Frontend: b.ref(r.Prop("frontendIPConfiguration")),
			BackendPool: b.ref(r.Prop("backendAddressPool")), Protocol: b.str(r.Prop("protocol")),
			DisableOutboundSnat: b.boolean(r.Prop("disableOutboundSnat"))})
	}
	for _, r := range elems(v.Prop("outboundRules")) {
		id, name := b.id(r, lb.ID, "outboundRules")
		lb.OutboundRules = append(lb.OutboundRules, &OutboundRule{Meta: Meta{ID: id, Name: name, Pos: r.Pos()},
			Frontends: b.refs(r.Prop("frontendIPConfigurations")), BackendPool: b.ref(r.Prop("backendAddressPool")), Protocol: b.str(r.Prop("protocol")),
			AllocatedOutboundPorts: b.allocatedPorts(r.Prop("allocatedOutboundPorts"), string(id))})
	}
	return lb
}

func (b *armBuilder) rcg(meta Meta, v *arm.Value) *RuleCollectionGroup {
	g := &RuleCollectionGroup{Meta: meta}
	if p, ok := v.Prop("priority").Int(); ok || !b.known(v.Prop("priority")) {
		g.Priority = int(p)
	}
	for _, c := range elems(v.Prop("ruleCollections")) {
		rc := &RuleCollection{Name: b.str(c.Get("name")), Kind: b.str(c.Get("ruleCollectionType")), Action: b.str(c.Get("action").Get("type")), Pos: c.Pos()}
		if p, ok := c.Get("priority").Int(); ok || !b.known(c.Get("priority")) {
			rc.Priority = int(p)
		}
		for _, r := range elems(c.Get("rules")) {
			fr := &FirewallRule{Name: b.str(r.Get("name")), Type: b.str(r.Get("ruleType")), SourceAddresses: b.strs(r.Get("sourceAddresses")),
				SourceIPGroups: b.refs(r.Get("sourceIpGroups")), DestinationAddresses: b.strs(r.Get("destinationAddresses")),
				DestinationIPGroups: b.refs(r.Get("destinationIpGroups")), DestinationFqdns: b.strs(r.Get("destinationFqdns")),
				DestinationPorts: b.strs(r.Get("destinationPorts")), TargetFqdns: b.strs(r.Get("targetFqdns")), TargetURLs: b.strs(r.Get("targetUrls")),
				FqdnTags: b.strs(r.Get("fqdnTags")), WebCategories: b.strs(r.Get("webCategories")), TerminateTLS: b.boolean(r.Get("terminateTLS")),
				TranslatedAddress: b.str(r.Get("translatedAddress")), TranslatedPort: b.str(r.Get("translatedPort")),
				TranslatedFqdn: b.str(r.Get("translatedFqdn")), Pos: r.Pos()}
			fr.Protocols = b.strs(r.Get("ipProtocols"))
			for _, p := range elems(r.Get("protocols")) {
				if s, ok := p.Str(); ok && b.known(p) { // classic network rules list protocol names
					fr.Protocols = append(fr.Protocols, s)
					continue
				}
				port, _ := p.Get("port").Int()
				b.known(p.Get("port"))
				fr.Protocols = append(fr.Protocols, b.str(p.Get("protocolType"))+":"+strconv.FormatInt(port, 10))
			}
			rc.Rules = append(rc.Rules, fr)
		}
		g.Collections = append(g.Collections, rc)
	}
	return g
}

// allocatedPorts reads an outbound rule's allocatedOutboundPorts: absent or
// not yet known is 0, the default allocation; anything but a whole number
// is an error naming the rule.
func (b *armBuilder) allocatedPorts(v *arm.Value, res string) int {
	if v == nil || !b.known(v) {
		return 0
	}
	n, ok := v.Int()
	if !ok {
		b.p.add(v.Pos(), res, "allocatedOutboundPorts", "", ErrInvalid, "want an integer")
	}
	return int(n)
}
