package topology

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/egresslab/egress/internal/errtext"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"go.yaml.in/yaml/v3"
)

// Native-format defaults for the parts of a resource ID that a design does
// not name.
const (
	DefaultSubscription  = "00000000-0000-0000-0000-000000000000"
	DefaultResourceGroup = "design"
)

// ParseNative reads a design in the native YAML format (see the package doc)
// into a model, without validating it; [LoadNative] also validates. file
// names the input in error messages.
func ParseNative(file string, data []byte) (*Model, error) {
	doc, err := parseYAML(file, data, "a design")
	if err != nil {
		return nil, err
	}
	if v := topValue(doc, "egress"); v == "overlay/v1" {
		return nil, &Error{Pos: Pos{File: file, Line: 1}, Field: "egress", Value: v, Kind: ErrInvalid,
			Detail: "this is an overlay: apply it to a loaded design (egress --overlay FILE, Model.ApplyOverlay)"}
	}
	var d nDesign
	if err := doc.Decode(&d); err != nil {
		return nil, yamlErrors(file, err)
	}
	b := nativeBuilder{file: file, d: &d, m: &Model{}}
	if emptyItems(reflect.ValueOf(&d).Elem(), "", &b.p, b.pos(d.at)); len(b.p.errs) > 0 {
		return nil, b.p.err() // a null list item ("-" alone) has nothing to build
	}
	b.build()
	if err := b.p.err(); err != nil {
		return nil, err
	}
	return b.m, nil
}

var (
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+)(?::(\d+))?: (.*)$`)
	yamlFieldMsg = regexp.MustCompile(`^field (\S+) ("(?:[^"\\]|\\.)*"): invalid value: (.*)$`) // from strict
)

// yamlErrors turns the decoder's messages into positioned errors.
func yamlErrors(file string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var p problems
	for _, m := range msgs {
		if k, ok := moreProblems(m); ok { // the end of strict's capped list
			p.extra += k
			continue
		}
		pos := Pos{File: file}
		if sm := yamlLine.FindStringSubmatch(m); sm != nil {
			pos.Line, _ = strconv.Atoi(sm[1])
			pos.Col, _ = strconv.Atoi(sm[2])
			m = sm[3]
		}
		switch fm := yamlFieldMsg.FindStringSubmatch(m); {
		case fm != nil:
			value, _ := strconv.Unquote(fm[2])
			p.add(pos, "", fm[1], value, ErrInvalid, "%s", fm[3])
		case strings.HasPrefix(m, "unknown field"):
			p.add(pos, "", "", "", ErrUnknownField, "%s", strings.TrimPrefix(m, "unknown field "))
		default:
			p.add(pos, "", "", "", ErrSyntax, "%s", m)
		}
	}
	return p.err()
}

type nativeBuilder struct {
	file string
	d    *nDesign
	m    *Model
	p    problems
	base string // "/subscriptions/<sub>/resourceGroups/<rg>/providers/"
}

func (b *nativeBuilder) pos(a at) Pos { return Pos{File: b.file, Line: a.line, Col: a.col} }

// id returns the resource ID for a name of the given type
// ("Microsoft.Network/virtualNetworks"); a value that already is an ID is kept.
func (b *nativeBuilder) id(typ, name string) Ref {
	if name == "" {
		return ""
	}
	if strings.HasPrefix(name, "/") {
		return Ref(name)
	}
	return Ref(b.base + typ + "/" + name)
}

// ids returns the IDs of names of type typ (see id), nil for none.
func (b *nativeBuilder) ids(typ string, names []string) []Ref {
	var out []Ref
	for _, n := range names {
		out = append(out, b.id(typ, n))
	}
	return out
}

// childID returns the ID of a child: "vnet/subnet" style names under a parent type.
func (b *nativeBuilder) childID(parentType, childType, name string) Ref {
	if strings.HasPrefix(name, "/") {
		return Ref(name)
	}
	parent, child, ok := strings.Cut(name, "/")
	if !ok || name == "" {
		return Ref(b.base + parentType + "/" + name + "/" + childType + "/")
	}
	return Ref(b.base + parentType + "/" + parent + "/" + childType + "/" + child)
}

func (b *nativeBuilder) loc(l string) string {
	if l == "" {
		l = b.d.Location
	}
	return strings.ToLower(l)
}

func (b *nativeBuilder) meta(typ, name, location string, a at) Meta {
	return Meta{ID: b.id(typ, name), Name: name, Location: b.loc(location), Pos: b.pos(a)}
}

func (b *nativeBuilder) prefixes(a at, res, field string, ss []string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		switch {
		case err != nil:
			b.p.add(b.pos(a), res, field, s, ErrInvalid, "not a CIDR prefix")
		case p.Masked() != p:
			b.p.add(b.pos(a), res, field, s, ErrInvalid, "host bits set; did you mean %v?", p.Masked())
		case errtext.MappedPrefix(p) != "":
			b.p.add(b.pos(a), res, field, s, ErrInvalid, "%s", errtext.MappedPrefix(p))
		default:
			out = append(out, p)
		}
	}
	return out
}

func (b *nativeBuilder) addr(a at, res, field, s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		b.p.add(b.pos(a), res, field, s, ErrInvalid, "not an IP address")
		return netip.Addr{}
	}
	if msg := errtext.MappedAddr(ip); msg != "" {
		b.p.add(b.pos(a), res, field, s, ErrInvalid, "%s", msg)
		return netip.Addr{}
	}
	return ip
}

func (b *nativeBuilder) addrs(a at, res, field string, ss []string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		if ip := b.addr(a, res, field, s); ip.IsValid() {
			out = append(out, ip)
		}
	}
	return out
}

func what(kind, name string) string { return kind + " " + strconv.Quote(name) }

const (
	tVNet     = "Microsoft.Network/virtualNetworks"
	tRT       = "Microsoft.Network/routeTables"
	tNSG      = "Microsoft.Network/networkSecurityGroups"
	tASG      = "Microsoft.Network/applicationSecurityGroups"
	tNIC      = "Microsoft.Network/networkInterfaces"
	tVM       = "Microsoft.Compute/virtualMachines"
	tPIP      = "Microsoft.Network/publicIPAddresses"
	tPIPP     = "Microsoft.Network/publicIPPrefixes"
	tNAT      = "Microsoft.Network/natGateways"
	tLB       = "Microsoft.Network/loadBalancers"
	tGW       = "Microsoft.Network/virtualNetworkGateways"
	tLNG      = "Microsoft.Network/localNetworkGateways"
	tConn     = "Microsoft.Network/connections"
	tRS       = "Microsoft.Network/virtualHubs"
	tPE       = "Microsoft.Network/privateEndpoints"
	tFW       = "Microsoft.Network/azureFirewalls"
	tFWP      = "Microsoft.Network/firewallPolicies"
	tAI       = "Microsoft.CognitiveServices/accounts"
	tAdmin    = "Microsoft.Network/networkManagers/securityAdminConfigurations"
	tAVNM     = "Microsoft.Network/networkManagers"
	tIPGroups = "Microsoft.Network/ipGroups"
)

func (b *nativeBuilder) build() {
	d := b.d
	if d.Egress != "v1" {
		b.p.add(b.pos(d.at), "", "egress", d.Egress, ErrInvalid, `a native design starts with "egress: v1"`)
	}
	sub, rg := d.Subscription, d.ResourceGroup
	if sub == "" {
		sub = DefaultSubscription
	}
	if rg == "" {
		rg = DefaultResourceGroup
	}
	b.base = "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/"
	m := b.m
	for _, v := range d.VNets {
		res := what("vnet", v.Name)
		vn := &VNet{Meta: b.meta(tVNet, v.Name, v.Location, v.at)}
		vn.AddressSpace = b.prefixes(v.at, res, "addressSpace", v.AddressSpace)
		vn.DNSServers = b.addrs(v.at, res, "dnsServers", v.DNSServers)
		for _, s := range v.Subnets {
			sres := res + ": " + what("subnet", s.Name)
			sn := &Subnet{Meta: Meta{ID: b.childID(tVNet, "subnets", v.Name+"/"+s.Name), Name: s.Name, Location: vn.Location, Pos: b.pos(s.at)}, VNet: vn}
			ps := s.Prefixes
			if s.Prefix != "" {
				ps = append([]string{s.Prefix}, ps...)
			}
			sn.Prefixes = b.prefixes(s.at, sres, "prefix", ps)
			sn.RouteTable = b.id(tRT, s.RouteTable)
			sn.NSG = b.id(tNSG, s.NSG)
			sn.NATGateway = b.id(tNAT, s.NATGateway)
			for _, se := range s.ServiceEndpoints {
				sn.ServiceEndpoints = append(sn.ServiceEndpoints, ServiceEndpoint{Service: se})
			}
			if s.PrivateEndpointNetworkPolicies != "" {
				pol, err := ParsePrivateEndpointPolicy(s.PrivateEndpointNetworkPolicies)
				if err != nil {
					b.p.add(b.pos(s.at), sres, "privateEndpointNetworkPolicies", s.PrivateEndpointNetworkPolicies, ErrInvalid, "want Disabled, Enabled, NetworkSecurityGroupEnabled or RouteTableEnabled")
				}
				sn.PrivateEndpointPolicies = pol
			}
			sn.DefaultOutboundAccess = s.DefaultOutboundAccess
			sn.Delegations = s.Delegations
			vn.Subnets = append(vn.Subnets, sn)
		}
		for _, p := range v.Peerings {
			name := p.Name
			if name == "" {
				name = v.Name + "-to-" + p.Remote
			}
			pe := &Peering{
				Meta:                      Meta{ID: b.childID(tVNet, "virtualNetworkPeerings", v.Name+"/"+name), Name: name, Location: vn.Location, Pos: b.pos(p.at)},
				Local:                     vn,
				Remote:                    b.id(tVNet, p.Remote),
				AllowVirtualNetworkAccess: p.AllowVirtualNetworkAccess == nil || *p.AllowVirtualNetworkAccess,
				AllowForwardedTraffic:     p.AllowForwardedTraffic,
				AllowGatewayTransit:       p.AllowGatewayTransit,
				UseRemoteGateways:         p.UseRemoteGateways,
				Connected:                 p.State == "" || strings.EqualFold(p.State, "Connected"),
				RemoteAddressSpace:        b.prefixes(p.at, res+": "+what("peering", name), "remoteAddressSpace", p.RemoteAddressSpace),
			}
			if p.Remote == "" {
				b.p.add(b.pos(p.at), res+": "+what("peering", name), "remote", "", ErrMissing, "name the peered vnet")
			}
			if p.State != "" && !slicesContainsFold([]string{"Connected", "Initiated", "Disconnected"}, p.State) {
				b.p.add(b.pos(p.at), res+": "+what("peering", name), "state", p.State, ErrInvalid, "want Connected, Initiated or Disconnected")
			}
			vn.Peerings = append(vn.Peerings, pe)
		}
		m.VNets = append(m.VNets, vn)
	}
	for _, t := range d.RouteTables {
		rt := &RouteTable{Meta: b.meta(tRT, t.Name, t.Location, t.at), DisableBGPRoutePropagation: t.DisableBgpRoutePropagation}
		for _, r := range t.Routes {
			rt.Routes = append(rt.Routes, route.UserRoute{Name: r.Name, AddressPrefix: r.Prefix, NextHopType: r.NextHop,
				NextHopIPAddress: r.IP, NextHopIPAddresses: r.IPs, HasBgpOverride: r.HasBgpOverride})
			rt.RoutePos = append(rt.RoutePos, b.pos(r.at))
		}
		m.RouteTables = append(m.RouteTables, rt)
	}
	for _, g := range d.NSGs {
		sg := &NSG{Meta: b.meta(tNSG, g.Name, g.Location, g.at)}
		for _, r := range g.Rules {
			sg.Rules = append(sg.Rules, b.rule(sg.Name, r))
			sg.RulePos = append(sg.RulePos, b.pos(r.at))
		}
		m.NSGs = append(m.NSGs, sg)
	}
	for _, name := range d.ASGs {
		m.ASGs = append(m.ASGs, &ASG{Meta: b.meta(tASG, name, "", d.at)})
	}
	for _, p := range d.PublicIPs {
		res := what("public ip", p.Name)
		m.PublicIPs = append(m.PublicIPs, &PublicIP{Meta: b.meta(tPIP, p.Name, p.Location, p.at),
			Address: b.addr(p.at, res, "ip", p.IP), SKU: defaultStr(p.SKU, "Standard"), Prefix: b.id(tPIPP, p.Prefix)})
	}
	for _, p := range d.PublicIPPrefixes {
		res := what("public ip prefix", p.Name)
		pp := &PublicIPPrefix{Meta: b.meta(tPIPP, p.Name, p.Location, p.at), SKU: defaultStr(p.SKU, "Standard")}
		if ps := b.prefixes(p.at, res, "prefix", []string{p.Prefix}); len(ps) == 1 {
			pp.Prefix = ps[0]
		}
		m.PublicIPPrefixes = append(m.PublicIPPrefixes, pp)
	}
	for _, n := range d.NATGateways {
		ng := &NATGateway{Meta: b.meta(tNAT, n.Name, n.Location, n.at), SKU: defaultStr(n.SKU, "Standard"), SourceVirtualNetwork: b.id(tVNet, n.VNet)}
		ng.PublicIPs = b.ids(tPIP, n.PublicIPs)
		ng.PublicIPPrefixes = b.ids(tPIPP, n.PublicIPPrefixes)
		m.NATGateways = append(m.NATGateways, ng)
	}
	for _, n := range d.NICs {
		m.NICs = append(m.NICs, b.nic(n))
	}
	for _, l := range d.LoadBalancers {
		m.LoadBalancers = append(m.LoadBalancers, b.loadBalancer(l))
	}
	for _, g := range d.Gateways {
		res := what("gateway", g.Name)
		gw := &Gateway{Meta: b.meta(tGW, g.Name, g.Location, g.at), VNet: b.id(tVNet, g.VNet), ActiveActive: g.ActiveActive,
			PrivateIPs: b.addrs(g.at, res, "ips", g.IPs), PublicIPs: b.ids(tPIP, g.PublicIPs), DefaultSite: b.id(tLNG, g.DefaultSite)}
		switch strings.ToLower(g.Type) {
		case "", "vpn":
		case "expressroute":
			gw.Type = GatewayExpressRoute
		default:
			b.p.add(b.pos(g.at), res, "type", g.Type, ErrInvalid, "want Vpn or ExpressRoute")
		}
		gw.LearnedRoutes = b.learned(res, g.Name, g.LearnedRoutes, false)
		m.Gateways = append(m.Gateways, gw)
	}
	for _, l := range d.LocalNetworkGateways {
		res := what("local network gateway", l.Name)
		m.LocalNetworkGateways = append(m.LocalNetworkGateways, &LocalNetworkGateway{Meta: b.meta(tLNG, l.Name, l.Location, l.at),
			GatewayIP: b.addr(l.at, res, "gatewayIp", l.GatewayIP), AddressPrefixes: b.prefixes(l.at, res, "addressPrefixes", l.AddressPrefixes)})
	}
	for _, c := range d.Connections {
		m.Connections = append(m.Connections, &Connection{Meta: b.meta(tConn, c.Name, c.Location, c.at), Gateway: b.id(tGW, c.Gateway),
			LocalGateway: b.id(tLNG, c.LocalGateway), Peer: b.id(tGW, c.Peer), Type: defaultStr(c.Type, "IPsec")})
	}
	for _, r := range d.RouteServers {
		res := what("route server", r.Name)
		m.RouteServers = append(m.RouteServers, &RouteServer{Meta: b.meta(tRS, r.Name, r.Location, r.at), VNet: b.id(tVNet, r.VNet),
			Advertised: b.learned(res, r.Name, r.Advertised, true)})
	}
	for _, p := range d.PrivateEndpoints {
		res := what("private endpoint", p.Name)
		pe := &PrivateEndpoint{Meta: b.meta(tPE, p.Name, p.Location, p.at), Subnet: b.childID(tVNet, "subnets", p.Subnet),
			Service: Ref(p.Service), GroupID: p.GroupID}
		if ip := b.addr(p.at, res, "ip", p.IP); ip.IsValid() {
			pe.IPs = []netip.Addr{ip}
		} else if p.IP == "" {
			b.p.add(b.pos(p.at), res, "ip", "", ErrMissing, "a private endpoint needs its private IP address")
		}
		// The endpoint's NIC: Azure creates one; the design does not list it.
		nic := &NIC{Meta: Meta{ID: b.id(tNIC, p.Name+".nic"), Name: p.Name + ".nic", Location: pe.Location, Pos: pe.Pos}, PrivateEndpoint: pe.ID}
		if len(pe.IPs) == 1 {
			nic.IPConfigs = []*IPConfig{{Meta: Meta{Name: "privateEndpointIpConfig", Pos: pe.Pos}, NIC: nic, Primary: true, PrivateIP: pe.IPs[0], Subnet: pe.Subnet}}
		}
		pe.NIC = nic.ID
		m.NICs = append(m.NICs, nic)
		m.PrivateEndpoints = append(m.PrivateEndpoints, pe)
	}
	for _, f := range d.Firewalls {
		res := what("firewall", f.Name)
		fw := &Firewall{Meta: b.meta(tFW, f.Name, f.Location, f.at), SKU: defaultStr(f.SKU, "AZFW_VNet"), Tier: defaultStr(f.Tier, "Standard"),
			VNet: b.id(tVNet, f.VNet), PrivateIP: b.addr(f.at, res, "privateIp", f.PrivateIP), Policy: b.id(tFWP, f.Policy),
			ManagementIP: b.id(tPIP, f.ManagementIP), ThreatIntel: defaultStr(f.ThreatIntel, "Alert")}
		fw.PublicIPs = b.ids(tPIP, f.PublicIPs)
		b.classicFirewall(fw, f)
		m.Firewalls = append(m.Firewalls, fw)
	}
	for _, p := range d.FirewallPolicies {
		m.FirewallPolicies = append(m.FirewallPolicies, b.firewallPolicy(p))
	}
	for _, g := range d.IPGroups {
		for _, a := range g.Addresses {
			if msg := mappedIPGroupAddress(a); msg != "" {
				b.p.add(b.pos(g.at), what("IP group", g.Name), "addresses", a, ErrInvalid, "%s", msg)
			}
		}
		m.IPGroups = append(m.IPGroups, &IPGroup{Meta: b.meta(tIPGroups, g.Name, g.Location, g.at), Addresses: g.Addresses})
	}
	for _, a := range d.AIAccounts {
		ai := &AIAccount{Meta: b.meta(tAI, a.Name, a.Location, a.at), Kind: defaultStr(a.Kind, "OpenAI"),
			RestrictOutboundNetworkAccess: a.RestrictOutboundNetworkAccess, AllowedFqdnList: a.AllowedFqdns.vals, Tags: a.Tags,
			PublicNetworkAccess: a.PublicNetworkAccess, CustomSubDomain: a.CustomSubDomainName}
		for _, p := range a.AllowedFqdns.pos {
			ai.AllowedFqdnPos = append(ai.AllowedFqdnPos, b.pos(p))
		}
		m.AIAccounts = append(m.AIAccounts, ai)
	}
	for _, w := range d.WebApps {
		m.WebApps = append(m.WebApps, b.webApp(w))
	}
	for _, x := range d.Perimeters {
		b.perimeter(x)
	}
	for _, c := range d.ContainerGroups {
		m.Injected = append(m.Injected, b.containerGroup(c))
	}
	for _, f := range d.FlexibleServers {
		if r := b.flexibleServer(f); r != nil {
			m.Injected = append(m.Injected, r)
		}
	}
	for _, c := range d.AdminRules {
		ac := &AdminConfig{Meta: b.meta(tAdmin, c.Name, "", c.at)}
		ac.VNets = b.ids(tVNet, c.VNets)
		for _, r := range c.Rules {
			ac.Rules = append(ac.Rules, b.adminRule(c.Name, r))
		}
		m.AdminConfigs = append(m.AdminConfigs, ac)
	}
}

// emptyItems reports null items in the lists of a decoded design: YAML
// decodes "- " alone as a nil pointer. path names v; it is formatted only
// for a problem.
func emptyItems(v reflect.Value, path string, p *problems, pos Pos) {
	emptyItemsAt(v, &itemPath{name: path, index: -1}, p, pos)
}

// itemPath is a path in a decoded design, built as the walk descends and
// formatted only when a problem names it: "nics[3].ipConfigs".
type itemPath struct {
	parent *itemPath
	name   string // a field's YAML name, or the root's path
	index  int    // a list index, or -1
}

func (ip *itemPath) String() string {
	if ip == nil {
		return ""
	}
	s := ip.parent.String()
	if ip.index >= 0 {
		return s + "[" + strconv.Itoa(ip.index) + "]"
	}
	if s == "" {
		return ip.name
	}
	if ip.name == "" {
		return s
	}
	return s + "." + ip.name
}

// itemFields lists, by struct type, the exported fields with a YAML name:
// (field index, name).
var itemFields sync.Map

type itemField struct {
	index int
	name  string
}

func fieldsOf(t reflect.Type) []itemField {
	if fs, ok := itemFields.Load(t); ok {
		return fs.([]itemField)
	}
	var fs []itemField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		fs = append(fs, itemField{i, name})
	}
	itemFields.Store(t, fs)
	return fs
}

func emptyItemsAt(v reflect.Value, path *itemPath, p *problems, pos Pos) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			emptyItemsAt(v.Elem(), path, p, pos)
		}
	case reflect.Struct:
		for _, f := range fieldsOf(v.Type()) {
			emptyItemsAt(v.Field(f.index), &itemPath{parent: path, name: f.name, index: -1}, p, pos)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Pointer {
			return
		}
		for i := range v.Len() {
			e := v.Index(i)
			at := &itemPath{parent: path, index: i}
			if e.IsNil() {
				p.add(pos, "", at.String(), "", ErrMissing, "an empty list item")
				continue
			}
			emptyItemsAt(e, at, p, pos)
		}
	}
}

func slicesContainsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func defaultStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (b *nativeBuilder) nic(n *nNIC) *NIC {
	nic := &NIC{Meta: b.meta(tNIC, n.Name, n.Location, n.at), NSG: b.id(tNSG, n.NSG), EnableIPForwarding: n.IPForwarding,
		VirtualMachine: b.id(tVM, n.VM)}
	res := what("nic", n.Name)
	if n.MAC != "" {
		mac, err := NormalizeMAC(n.MAC)
		if err != nil {
			b.p.add(b.pos(n.at), res, "macAddress", n.MAC, ErrInvalid, "want 12 hex digits (00-0D-3A-F8-78-56)")
		}
		nic.MAC = mac
	}
	configs := n.IPConfigs
	if n.Subnet != "" || n.IP != "" || n.PublicIP != "" || len(n.ASGs) > 0 || len(n.BackendPools) > 0 {
		if len(configs) > 0 {
			b.p.add(b.pos(n.at), res, "ipConfigs", "", ErrNotAllowed, "give subnet/ip/publicIp/asgs/backendPools either on the nic (one configuration) or in ipConfigs, not both")
		}
		configs = []*nIPConfig{{Name: "ipconfig1", Primary: true, Subnet: n.Subnet, IP: n.IP, PublicIP: n.PublicIP, ASGs: n.ASGs, BackendPools: n.BackendPools, at: n.at}}
	}
	if len(configs) == 0 {
		b.p.add(b.pos(n.at), res, "subnet", "", ErrMissing, "a nic needs a subnet and an ip (or ipConfigs)")
	}
	for i, c := range configs {
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("ipconfig%d", i+1)
		}
		cres := res + ": " + what("ip configuration", name)
		ic := &IPConfig{Meta: Meta{ID: Ref(string(nic.ID) + "/ipConfigurations/" + name), Name: name, Location: nic.Location, Pos: b.pos(c.at)},
			NIC: nic, Primary: c.Primary || (len(configs) == 1), Subnet: b.childID(tVNet, "subnets", c.Subnet),
			PublicIP: b.id(tPIP, c.PublicIP)}
		if c.Subnet == "" {
			b.p.add(b.pos(c.at), cres, "subnet", "", ErrMissing, `name the subnet as "vnet/subnet"`)
		} else if !strings.Contains(c.Subnet, "/") {
			b.p.add(b.pos(c.at), cres, "subnet", c.Subnet, ErrInvalid, `name the subnet as "vnet/subnet"`)
		}
		ic.PrivateIP = b.addr(c.at, cres, "ip", c.IP)
		if c.IP == "" {
			b.p.add(b.pos(c.at), cres, "ip", "", ErrMissing, "give the private IP address (egress simulates static assignments)")
		}
		ic.ASGs = b.ids(tASG, c.ASGs)
		for _, p := range c.BackendPools {
			ic.BackendPools = append(ic.BackendPools, b.childID(tLB, "backendAddressPools", p))
		}
		nic.IPConfigs = append(nic.IPConfigs, ic)
	}
	return nic
}

func (b *nativeBuilder) loadBalancer(l *nLoadBalancer) *LoadBalancer {
	lb := &LoadBalancer{Meta: b.meta(tLB, l.Name, l.Location, l.at), SKU: defaultStr(l.SKU, "Standard")}
	res := what("load balancer", l.Name)
	sub := func(kind, name string) Ref {
		if name == "" || strings.HasPrefix(name, "/") {
			return Ref(name)
		}
		return Ref(string(lb.ID) + "/" + kind + "/" + name)
	}
	for _, f := range l.Frontends {
		lb.Frontends = append(lb.Frontends, &Frontend{Meta: Meta{ID: sub("frontendIPConfigurations", f.Name), Name: f.Name, Pos: b.pos(f.at)},
			PublicIP: b.id(tPIP, f.PublicIP), PublicIPPrefix: b.id(tPIPP, f.PublicIPPrefix),
			PrivateIP: b.addr(f.at, res, "privateIp", f.PrivateIP), Subnet: b.childIDOrZero(f.Subnet)})
	}
	for _, p := range l.BackendPools {
		lb.BackendPools = append(lb.BackendPools, &BackendPool{Meta: Meta{ID: sub("backendAddressPools", p.Name), Name: p.Name, Pos: b.pos(p.at)}, ByIPAddress: p.ByIPAddress})
	}
	for _, r := range l.Rules {
		lb.Rules = append(lb.Rules, &LBRule{Meta: Meta{ID: sub("loadBalancingRules", r.Name), Name: r.Name, Pos: b.pos(r.at)},
			Frontend: sub("frontendIPConfigurations", r.Frontend), BackendPool: sub("backendAddressPools", r.BackendPool),
			Protocol: defaultStr(r.Protocol, "Tcp"), DisableOutboundSnat: r.DisableOutboundSnat})
	}
	for _, r := range l.OutboundRules {
		or := &OutboundRule{Meta: Meta{ID: sub("outboundRules", r.Name), Name: r.Name, Pos: b.pos(r.at)},
			BackendPool: sub("backendAddressPools", r.BackendPool), Protocol: defaultStr(r.Protocol, "All"),
			AllocatedOutboundPorts: r.AllocatedOutboundPorts}
		for _, f := range r.Frontends {
			or.Frontends = append(or.Frontends, sub("frontendIPConfigurations", f))
		}
		lb.OutboundRules = append(lb.OutboundRules, or)
	}
	return lb
}

func (b *nativeBuilder) childIDOrZero(s string) Ref {
	if s == "" {
		return ""
	}
	return b.childID(tVNet, "subnets", s)
}

// learned converts learned routes; an AS path is a list of AS numbers
// separated by spaces, commas or dashes (az prints "65001-65002"). A Route
// Server route needs its next hop (the advertising NVA); a gateway's routes
// may omit it (see Model.gatewayRoutes for the addresses effective routes
// show).
func (b *nativeBuilder) learned(res, gateway string, rs []*nLearnedRoute, needHop bool) []route.GatewayRoute {
	var out []route.GatewayRoute
	for _, r := range rs {
		g := route.GatewayRoute{Gateway: gateway}
		ps := b.prefixes(r.at, res, "learnedRoutes.prefix", []string{r.Prefix})
		if len(ps) != 1 {
			continue
		}
		g.Prefix = ps[0]
		g.NextHops = b.addrs(r.at, res, "learnedRoutes.nextHop", r.NextHops)
		if needHop && len(r.NextHops) == 0 {
			b.p.add(b.pos(r.at), res, "advertised.nextHop", "", ErrMissing, "a Route Server route needs the address of the NVA that advertises it")
		}
		if fields := strings.FieldsFunc(r.ASPath, func(c rune) bool { return c == ' ' || c == ',' || c == '-' }); len(fields) > 0 {
			for _, f := range fields {
				if _, err := strconv.ParseUint(f, 10, 32); err != nil {
					b.p.add(b.pos(r.at), res, "learnedRoutes.asPath", r.ASPath, ErrInvalid, "AS numbers separated by spaces or dashes")
					break
				}
			}
			g.ASPathLength = len(fields)
		}
		switch strings.ToLower(r.Origin) {
		case "", "ebgp", "ibgp", "bgp":
			g.Origin = route.OriginBGP
		case "network", "static":
			g.Origin = route.OriginStatic
		case "routeserver":
			g.Origin = route.OriginRouteServer
		default:
			b.p.add(b.pos(r.at), res, "learnedRoutes.origin", r.Origin, ErrInvalid, "want EBgp, IBgp, Network or RouteServer")
		}
		out = append(out, g)
	}
	return out
}

func (b *nativeBuilder) rule(nsgName string, r *nRule) nsg.Rule {
	res := what("nsg", nsgName) + ": " + what("rule", r.Name)
	out := nsg.Rule{Name: r.Name, Description: r.Description, Priority: int(r.Priority)}
	if err := out.Direction.UnmarshalText([]byte(r.Direction)); err != nil {
		b.p.add(b.pos(r.at), res, "direction", r.Direction, ErrInvalid, "want Inbound or Outbound")
	}
	if err := out.Access.UnmarshalText([]byte(r.Access)); err != nil {
		b.p.add(b.pos(r.at), res, "access", r.Access, ErrInvalid, "want Allow or Deny")
	}
	proto := defaultStr(r.Protocol, "*")
	if err := out.Protocol.UnmarshalText([]byte(proto)); err != nil {
		b.p.add(b.pos(r.at), res, "protocol", r.Protocol, ErrInvalid, "want Tcp, Udp, Icmp, Esp, Ah or *")
	}
	side := func(addrs strList, asgs []string) (one string, many, ids []string) {
		for _, a := range asgs {
			ids = append(ids, string(b.id(tASG, a)))
		}
		switch {
		case len(ids) > 0:
		case len(addrs) == 0:
			one = "*"
		case len(addrs) == 1:
			one = addrs[0]
		default:
			many = addrs
		}
		return
	}
	out.SourceAddressPrefix, out.SourceAddressPrefixes, out.SourceApplicationSecurityGroups = side(r.Source, r.SourceASGs)
	out.DestinationAddressPrefix, out.DestinationAddressPrefixes, out.DestinationApplicationSecurityGroups = side(r.Destination, r.DestinationASGs)
	ports := func(ps strList) (string, []string) {
		switch len(ps) {
		case 0:
			return "*", nil
		case 1:
			return ps[0], nil
		}
		return "", ps
	}
	out.SourcePortRange, out.SourcePortRanges = ports(r.SourcePorts)
	out.DestinationPortRange, out.DestinationPortRanges = ports(r.DestinationPorts)
	return out
}

func (b *nativeBuilder) adminRule(config string, r *nAdminRule) nsg.AdminRule {
	res := what("admin configuration", config) + ": " + what("rule", r.Name)
	out := nsg.AdminRule{Name: r.Name, Collection: r.Collection, Description: r.Description, Priority: int(r.Priority),
		Sources: r.Sources, Destinations: r.Destinations, SourcePortRanges: r.SourcePorts, DestinationPortRanges: r.DestinationPorts}
	if len(out.Sources) == 0 {
		out.Sources = []string{"*"}
	}
	if len(out.Destinations) == 0 {
		out.Destinations = []string{"*"}
	}
	if err := out.Direction.UnmarshalText([]byte(r.Direction)); err != nil {
		b.p.add(b.pos(r.at), res, "direction", r.Direction, ErrInvalid, "want Inbound or Outbound")
	}
	if err := out.Access.UnmarshalText([]byte(r.Access)); err != nil {
		b.p.add(b.pos(r.at), res, "access", r.Access, ErrInvalid, "want Allow, Deny or AlwaysAllow")
	}
	if err := out.Protocol.UnmarshalText([]byte(defaultStr(r.Protocol, "Any"))); err != nil {
		b.p.add(b.pos(r.at), res, "protocol", r.Protocol, ErrInvalid, "want Tcp, Udp, Icmp, Esp, Ah or Any")
	}
	return out
}

func (b *nativeBuilder) firewallPolicy(p *nFirewallPolicy) *FirewallPolicy {
	fp := &FirewallPolicy{Meta: b.meta(tFWP, p.Name, p.Location, p.at), Parent: b.id(tFWP, p.Parent), DNSProxy: p.DNSProxy,
		SNATPrivateRanges: p.SNATPrivateRanges, ThreatIntel: defaultStr(p.ThreatIntel, "Alert")}
	res := what("firewall policy", p.Name)
	for _, g := range p.RuleCollectionGroups {
		rcg := &RuleCollectionGroup{Meta: Meta{ID: Ref(string(fp.ID) + "/ruleCollectionGroups/" + g.Name), Name: g.Name, Pos: b.pos(g.at)}, Priority: int(g.Priority)}
		for _, c := range g.Collections {
			rc := &RuleCollection{Name: c.Name, Priority: int(c.Priority), Action: c.Action, Pos: b.pos(c.at)}
			switch strings.ToLower(c.Kind) {
			case "", "filter", "firewallpolicyfilterrulecollection":
				rc.Kind = "FirewallPolicyFilterRuleCollection"
			case "nat", "firewallpolicynatrulecollection":
				rc.Kind = "FirewallPolicyNatRuleCollection"
			default:
				b.p.add(b.pos(c.at), res+": "+what("rule collection", c.Name), "kind", c.Kind, ErrInvalid, "want Filter or Nat")
			}
			for _, r := range c.Rules {
				fr := &FirewallRule{Name: r.Name, Type: r.Type, Protocols: r.Protocols, SourceAddresses: r.SourceAddresses,
					DestinationAddresses: r.DestinationAddresses, DestinationFqdns: r.DestinationFqdns, DestinationPorts: r.DestinationPorts,
					TargetFqdns: r.TargetFqdns, TargetURLs: r.TargetURLs, FqdnTags: r.FqdnTags, WebCategories: r.WebCategories,
					TerminateTLS: r.TerminateTLS, TranslatedAddress: r.TranslatedAddress, TranslatedPort: r.TranslatedPort,
					TranslatedFqdn: r.TranslatedFqdn, Pos: b.pos(r.at)}
				fr.SourceIPGroups = b.ids(tIPGroups, r.SourceIPGroups)
				fr.DestinationIPGroups = b.ids(tIPGroups, r.DestinationIPGroups)
				rc.Rules = append(rc.Rules, fr)
			}
			rcg.Collections = append(rcg.Collections, rc)
		}
		fp.RuleCollectionGroups = append(fp.RuleCollectionGroups, rcg)
	}
	return fp
}

// webApp builds a web app of a design.
func (b *nativeBuilder) webApp(w *nWebApp) *WebApp {
	res := what("web app", w.Name)
	app := &WebApp{Meta: b.meta(tWeb, w.Name, w.Location, w.at), Kind: defaultStr(w.Kind, "app"), VNetName: w.VNetName,
		PublicNetworkAccess: w.PublicNetworkAccess}
	if w.Subnet != "" {
		app.Subnet = b.childID(tVNet, "subnets", w.Subnet)
	}
	r := &app.Routing
	if o := w.OutboundVnetRouting; o != nil {
		r.AllTraffic, r.ApplicationTraffic, r.ContentShareTraffic = o.AllTraffic, o.ApplicationTraffic, o.ContentShareTraffic
		r.ImagePullTraffic, r.BackupRestoreTraffic, r.ManagedIdentityTraffic = o.ImagePullTraffic, o.BackupRestoreTraffic, o.ManagedIdentityTraffic
	}
	r.VnetRouteAllEnabled, r.VnetContentShareEnabled, r.VnetImagePullEnabled, r.VnetBackupRestoreEnabled =
		w.VnetRouteAllEnabled, w.VnetContentShareEnabled, w.VnetImagePullEnabled, w.VnetBackupRestoreEnabled
	r.SiteConfigVnetRouteAllEnabled = w.SiteConfigVnetRouteAllEnabled
	for _, s := range w.AppSettings {
		switch strings.ToUpper(s.Name) {
		case "WEBSITE_VNET_ROUTE_ALL":
			r.AppRouteAll = s.Value
		case "WEBSITE_CONTENTOVERVNET":
			r.AppContentOverVNet = s.Value
		case "WEBSITE_PULL_IMAGE_OVER_VNET":
			r.AppPullImageOverVNet = s.Value
		}
	}
	if w.OutboundIPs != nil {
		app.OutboundIPs = append([]netip.Addr{}, b.addrs(w.at, res, "outboundIpAddresses", w.OutboundIPs)...)
	}
	if w.PossibleOutboundIPs != nil {
		app.PossibleOutboundIPs = append([]netip.Addr{}, b.addrs(w.at, res, "possibleOutboundIpAddresses", w.PossibleOutboundIPs)...)
	}
	return app
}

// perimeter converts a perimeter with its nested profiles, rules and
// associations to the model's flat lists, linked by ID.
func (b *nativeBuilder) perimeter(x *nPerimeter) {
	m := b.m
	meta := b.meta(tNSP, x.Name, x.Location, x.at)
	m.Perimeters = append(m.Perimeters, &Perimeter{Meta: meta})
	child := func(seg, name string, a at) Meta {
		return Meta{ID: meta.ID + Ref("/"+seg+"/"+name), Name: name, Location: meta.Location, Pos: b.pos(a)}
	}
	for _, pr := range x.Profiles {
		pm := child("profiles", pr.Name, pr.at)
		m.PerimeterProfiles = append(m.PerimeterProfiles, &PerimeterProfile{Meta: pm, Perimeter: meta.ID})
		for _, r := range pr.AccessRules {
			rule := &PerimeterAccessRule{Meta: Meta{ID: pm.ID + Ref("/accessRules/"+r.Name), Name: r.Name, Location: meta.Location, Pos: b.pos(r.at)},
				Profile: pm.ID, Direction: r.Direction, FullyQualifiedDomainNames: r.FullyQualifiedDomainNames.vals,
				AddressPrefixes: r.AddressPrefixes, Subscriptions: r.Subscriptions}
			for _, p := range r.FullyQualifiedDomainNames.pos {
				rule.FQDNPos = append(rule.FQDNPos, b.pos(p))
			}
			m.PerimeterAccessRules = append(m.PerimeterAccessRules, rule)
		}
	}
	for _, a := range x.Associations {
		name := a.Name
		if name == "" {
			name = Ref(a.Resource).Name()
		}
		as := &PerimeterAssociation{Meta: child("resourceAssociations", name, a.at), Perimeter: meta.ID, AccessMode: a.AccessMode}
		if a.Profile != "" {
			as.Profile = meta.ID + Ref("/profiles/"+a.Profile)
		}
		as.Resource = b.paasRef(a.Resource)
		if as.Resource.IsZero() && a.Resource != "" {
			b.p.add(b.pos(a.at), what("perimeter association", name), "resource", a.Resource, ErrDangling,
				"names no AI services account or web app of the design; give another resource by its ID")
		}
		m.PerimeterAssociations = append(m.PerimeterAssociations, as)
	}
}

// paasRef resolves a name of an AI services account or web app of the
// design, or keeps a resource ID; "" for neither.
func (b *nativeBuilder) paasRef(s string) Ref {
	if strings.HasPrefix(s, "/") {
		return Ref(s)
	}
	for _, a := range b.d.AIAccounts {
		if strings.EqualFold(a.Name, s) {
			return b.id(tAI, a.Name)
		}
	}
	for _, w := range b.d.WebApps {
		if strings.EqualFold(w.Name, s) {
			return b.id(tWeb, w.Name)
		}
	}
	return ""
}

// containerGroup builds a container group of a design.
func (b *nativeBuilder) containerGroup(c *nContainerGroup) *InjectedResource {
	k := InjectedContainerGroup
	res := what("container group", c.Name)
	r := &InjectedResource{Meta: b.meta(k.Type(), c.Name, c.Location, c.at), Kind: k, OSType: defaultStr(c.OSType, "Linux")}
	if c.Subnet != "" {
		r.Subnets = []Ref{b.childID(tVNet, "subnets", c.Subnet)}
	}
	typ := c.IPAddressType
	if typ == "" && c.Subnet != "" {
		typ = "Private"
	}
	t, err := ParseIPAddressType(typ)
	if err != nil {
		b.p.add(b.pos(c.at), res, "ipAddressType", c.IPAddressType, ErrInvalid, "want Private or Public")
	}
	r.AddressType = t
	r.IP = b.addr(c.at, res, "ip", c.IP)
	for i, p := range c.Ports {
		field := fmt.Sprintf("ports[%d]", i)
		port := InjectedPort{Protocol: ipproto.TCP}
		switch strings.ToUpper(p.Protocol) {
		case "", "TCP":
		case "UDP":
			port.Protocol = ipproto.UDP
		default:
			b.p.add(b.pos(p.at), res, field+".protocol", p.Protocol, ErrInvalid, "want TCP or UDP")
		}
		if p.Port < 1 || p.Port > 65535 {
			b.p.add(b.pos(p.at), res, field+".port", strconv.Itoa(p.Port), ErrInvalid, "want a port number 1..65535")
			continue
		}
		port.Port = uint16(p.Port)
		r.Ports = append(r.Ports, port)
	}
	return r
}

// flexibleServer builds a flexible server of a design, or nil for an
// unknown engine (reported).
func (b *nativeBuilder) flexibleServer(f *nFlexibleServer) *InjectedResource {
	var k InjectedKind
	switch strings.ToLower(f.Engine) {
	case "postgresql", "postgres":
		k = InjectedPostgreSQL
	case "mysql":
		k = InjectedMySQL
	default:
		b.p.add(b.pos(f.at), what("flexible server", f.Name), "engine", f.Engine, ErrInvalid, "want PostgreSQL or MySQL")
		return nil
	}
	r := &InjectedResource{Meta: b.meta(k.Type(), f.Name, f.Location, f.at), Kind: k, PublicNetworkAccess: f.PublicNetworkAccess,
		PrivateDNSZone: Ref(f.PrivateDNSZone), FQDN: f.FQDN}
	if f.Subnet != "" {
		r.Subnets = []Ref{b.childID(tVNet, "subnets", f.Subnet)}
	}
	return r
}
