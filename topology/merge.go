package topology

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
)

// One resource set across files
//
// A resource, or a child of one (subnet, peering, route, security rule, IP
// configuration, load balancer frontend, pool or rule, rule collection
// group, admin rule), may be declared more than once: inline in its parent
// and again as its own resource (REST exports, template exports, az ...
// subnet show next to az ... vnet show), or in two files. mergeDuplicates
// keeps one of them: declarations that build the same model object merge
// silently, and declarations that differ are an error naming both positions
// and the first field that differs.
//
// "The same" is judged on what the model reads, not on the JSON text:
// read-only noise (etag, provisioningState, resourceGuid), the az CLI's
// injected resourceGroup keys, the shape (REST or flattened) and keys egress
// does not read never make two declarations differ. Children are merged by
// ID (routes and rules by name within their table or group), so a child
// listed by only one declaration of its parent is kept: two snapshots of a VNet,
// one taken before a subnet was added, merge into the VNet with every subnet.
// A location given by one declaration and not the other is not a difference
// (child resources carry none). Everything else, a field set in one
// declaration and unset in the other included, is: egress does not guess
// which snapshot is current.

// mergeDuplicates merges the resources and children of m declared more than
// once, reporting the ones that differ. The first declaration (in input
// order) is kept, with its position.
func (m *Model) mergeDuplicates(p *problems) {
	m.VNets = dedupe(p, m.VNets, func(keep, drop *VNet) {
		for _, s := range drop.Subnets {
			s.VNet = keep
		}
		for _, pe := range drop.Peerings {
			pe.Local = keep
		}
		keep.Subnets = append(keep.Subnets, drop.Subnets...)
		keep.Peerings = append(keep.Peerings, drop.Peerings...)
	})
	for _, v := range m.VNets {
		v.Subnets = dedupe(p, v.Subnets, nil)
		v.Peerings = dedupe(p, v.Peerings, nil)
	}
	m.NICs = dedupe(p, m.NICs, func(keep, drop *NIC) {
		for _, c := range drop.IPConfigs {
			c.NIC = keep
		}
		keep.IPConfigs = append(keep.IPConfigs, drop.IPConfigs...)
	})
	for _, n := range m.NICs {
		n.IPConfigs = dedupe(p, n.IPConfigs, nil)
	}
	m.RouteTables = dedupe(p, m.RouteTables, func(keep, drop *RouteTable) {
		keep.Routes = append(keep.Routes, drop.Routes...)
		keep.RoutePos = append(keep.RoutePos, padPos(drop.RoutePos, len(drop.Routes), drop.Pos)...)
	})
	for _, rt := range m.RouteTables {
		rt.RoutePos = padPos(rt.RoutePos, len(rt.Routes), rt.Pos)
		rt.Routes, rt.RoutePos = dedupeNamed(p, string(rt.ID), "routes", rt.Routes, rt.RoutePos, func(r route.UserRoute) string { return r.Name })
	}
	m.NSGs = dedupe(p, m.NSGs, func(keep, drop *NSG) {
		for k, v := range drop.KnownAfterApply {
			if keep.KnownAfterApply == nil {
				keep.KnownAfterApply = map[string]string{}
			}
			keep.KnownAfterApply[k] = v
		}
		keep.Rules = append(keep.Rules, drop.Rules...)
		keep.RulePos = append(keep.RulePos, padPos(drop.RulePos, len(drop.Rules), drop.Pos)...)
	})
	for _, g := range m.NSGs {
		g.RulePos = padPos(g.RulePos, len(g.Rules), g.Pos)
		g.Rules, g.RulePos = dedupeNamed(p, string(g.ID), "securityRules", g.Rules, g.RulePos, func(r nsg.Rule) string { return r.Name })
	}
	m.ASGs = dedupe(p, m.ASGs, nil)
	m.PublicIPs = dedupe(p, m.PublicIPs, nil)
	m.PublicIPPrefixes = dedupe(p, m.PublicIPPrefixes, nil)
	m.NATGateways = dedupe(p, m.NATGateways, nil)
	m.LoadBalancers = dedupe(p, m.LoadBalancers, func(keep, drop *LoadBalancer) {
		keep.Frontends = append(keep.Frontends, drop.Frontends...)
		keep.BackendPools = append(keep.BackendPools, drop.BackendPools...)
		keep.Rules = append(keep.Rules, drop.Rules...)
		keep.OutboundRules = append(keep.OutboundRules, drop.OutboundRules...)
	})
	for _, lb := range m.LoadBalancers {
		lb.Frontends = dedupe(p, lb.Frontends, nil)
		lb.BackendPools = dedupe(p, lb.BackendPools, nil)
		lb.Rules = dedupe(p, lb.Rules, nil)
		lb.OutboundRules = dedupe(p, lb.OutboundRules, nil)
	}
	m.Gateways = dedupe(p, m.Gateways, nil)
	m.LocalNetworkGateways = dedupe(p, m.LocalNetworkGateways, nil)
	m.Connections = dedupe(p, m.Connections, nil)
	m.RouteServers = dedupe(p, m.RouteServers, nil)
	m.PrivateEndpoints = dedupe(p, m.PrivateEndpoints, nil)
	m.Firewalls = dedupe(p, m.Firewalls, nil)
	m.FirewallPolicies = dedupe(p, m.FirewallPolicies, func(keep, drop *FirewallPolicy) {
		keep.RuleCollectionGroups = append(keep.RuleCollectionGroups, drop.RuleCollectionGroups...)
	})
	for _, fp := range m.FirewallPolicies {
		fp.RuleCollectionGroups = dedupe(p, fp.RuleCollectionGroups, nil)
	}
	m.IPGroups = dedupe(p, m.IPGroups, nil)
	m.AIAccounts = dedupe(p, m.AIAccounts, nil)
	m.WebApps = dedupe(p, m.WebApps, nil)
	m.Injected = dedupe(p, m.Injected, nil)
	m.OtherPaaS = dedupe(p, m.OtherPaaS, nil)
	m.FlowLogs = dedupe(p, m.FlowLogs, nil)
	m.Perimeters = dedupe(p, m.Perimeters, nil)
	m.PerimeterProfiles = dedupe(p, m.PerimeterProfiles, nil)
	m.PerimeterAccessRules = dedupe(p, m.PerimeterAccessRules, nil)
	m.PerimeterAssociations = dedupe(p, m.PerimeterAssociations, nil)
	m.AdminConfigs = dedupe(p, m.AdminConfigs, func(keep, drop *AdminConfig) {
		keep.Rules = append(keep.Rules, drop.Rules...)
	})
	for _, ac := range m.AdminConfigs {
		rules := make([]Pos, len(ac.Rules))
		for i := range rules {
			rules[i] = ac.Pos
		}
		ac.Rules, _ = dedupeNamed(p, string(ac.ID), "rules", ac.Rules, rules, func(r nsg.AdminRule) string { return r.Name })
	}
	m.idx = nil
}

// padPos makes a position list parallel to n items (models built by hand may
// leave it short), filling with the parent's position.
func padPos(ps []Pos, n int, fill Pos) []Pos {
	for len(ps) < n {
		ps = append(ps, fill)
	}
	return ps[:n]
}

// metaOf is what every deduplicated resource has.
type metaOf interface{ meta() *Meta }

// dedupe keeps the first of the items with the same ID (case-insensitively),
// reports the later ones that differ from it, and hands each later one to
// merge (nil: nothing to carry over) so that its children join the kept one.
// Items without an ID are kept as they are. Order is preserved.
func dedupe[T metaOf](p *problems, list []T, merge func(keep, drop T)) []T {
	if len(list) < 2 {
		return list
	}
	var seen map[string]int
	out := list[:0]
	for _, x := range list {
		k := x.meta().ID.Key()
		if k == "" {
			out = append(out, x)
			continue
		}
		if seen == nil {
			seen = make(map[string]int, len(list))
		}
		i, dup := seen[k]
		if !dup {
			seen[k] = len(out)
			out = append(out, x)
			continue
		}
		keep := out[i]
		km, dm := keep.meta(), x.meta()
		if d, ok := diffResources(keep, x); ok {
			p.add(dm.Pos, string(dm.ID), d.field, d.b, ErrDuplicate, "declared twice with different values: %s at %s", quoteValue(d.a), posString(km.Pos))
		} else if km.Location == "" {
			km.Location = dm.Location
		}
		if merge != nil {
			merge(keep, x)
		}
	}
	clear(list[len(out):])
	return out
}

// dedupeNamed is dedupe for children identified by name within their parent
// (routes, security rules, admin rules), whose positions are kept in a
// parallel list.
func dedupeNamed[T any](p *problems, parent, kind string, list []T, pos []Pos, name func(T) string) ([]T, []Pos) {
	if len(list) < 2 {
		return list, pos
	}
	seen := make(map[string]int, len(list))
	out, outPos := list[:0], pos[:0]
	for i, x := range list {
		k := strings.ToLower(name(x))
		j, dup := seen[k]
		if !dup {
			seen[k] = len(out)
			out, outPos = append(out, x), append(outPos, pos[i])
			continue
		}
		if d, ok := diffValues(reflect.ValueOf(out[j]), reflect.ValueOf(x), "", reflect.TypeOf(x).Name()); ok {
			p.add(pos[i], parent+"/"+kind+"/"+name(x), d.field, d.b, ErrDuplicate, "declared twice with different values: %s at %s", quoteValue(d.a), posString(outPos[j]))
		}
	}
	return out, outPos
}

// difference is the first field where two declarations differ.
type difference struct {
	field string // the ARM property, such as "natGateway" or "securityRules.priority"
	a, b  string // the values, formatted
}

// diffResources compares two declarations of one resource.
func diffResources[T metaOf](a, b T) (difference, bool) {
	return diffValues(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), "", reflect.TypeOf(a).Elem().Name())
}

var (
	posType      = reflect.TypeFor[Pos]()
	posSliceType = reflect.TypeFor[[]Pos]()
	// Fields that are not compared: parents (back pointers), and children,
	// which mergeDuplicates merges by ID or name.
	notCompared = map[string]bool{
		"Subnet.VNet": true, "Peering.Local": true, "IPConfig.NIC": true,
		"VNet.Subnets": true, "VNet.Peerings": true, "NIC.IPConfigs": true,
		"RouteTable.Routes": true, "NSG.Rules": true, "NSG.KnownAfterApply": true, "AdminConfig.Rules": true,
		"LoadBalancer.Frontends": true, "LoadBalancer.BackendPools": true, "LoadBalancer.Rules": true, "LoadBalancer.OutboundRules": true,
		"FirewallPolicy.RuleCollectionGroups": true,
		// Children identified by name: equal case-insensitively by
		// construction (dedupeNamed), and spelled as each input spells them.
		"Rule.Name": true, "UserRoute.Name": true, "AdminRule.Name": true,
	}
	// ARM property names of model fields where they are not the field's
	// name in lower camel case.
	armNames = map[string]string{
		"VNet.AddressSpace": "addressSpace.addressPrefixes", "VNet.DNSServers": "dhcpOptions.dnsServers",
		"Subnet.Prefixes": "addressPrefix", "Subnet.NSG": "networkSecurityGroup", "NIC.NSG": "networkSecurityGroup",
		"Subnet.PrivateEndpointPolicies": "privateEndpointNetworkPolicies",
		"Peering.Remote":                 "remoteVirtualNetwork", "Peering.Connected": "peeringState",
		"IPConfig.PrivateIP": "privateIPAddress", "IPConfig.PublicIP": "publicIPAddress", "IPConfig.ASGs": "applicationSecurityGroups",
		"IPConfig.BackendPools": "loadBalancerBackendAddressPools", "IPConfig.GatewayLBFront": "gatewayLoadBalancer",
		"UserRoute.NextHopIPAddress": "nextHopIpAddress", "UserRoute.NextHopIPAddresses": "nextHop.nextHopIpAddresses",
		"NATGateway.PublicIPs": "publicIpAddresses", "NATGateway.PublicIPPrefixes": "publicIpPrefixes",
		"PublicIP.Address": "ipAddress", "PublicIP.SKU": "sku.name", "PublicIP.Prefix": "publicIPPrefix",
		"Firewall.PublicIPs": "ipConfigurations.publicIPAddress", "Firewall.PrivateIP": "ipConfigurations.privateIPAddress",
		"Firewall.Policy": "firewallPolicy", "Firewall.VNet": "ipConfigurations.subnet", "Gateway.VNet": "ipConfigurations.subnet",
		"FirewallPolicy.Parent": "basePolicy", "Meta.Name": "name", "Meta.Location": "location",
		"InjectedResource.Subnets": "subnetIds", "InjectedResource.IP": "ipAddress.ip", "InjectedResource.AddressType": "ipAddress.type",
		"InjectedResource.Ports": "ipAddress.ports", "InjectedResource.PublicNetworkAccess": "network.publicNetworkAccess",
		"InjectedResource.PrivateDNSZone": "network.privateDnsZoneArmResourceId", "InjectedResource.FQDN": "fullyQualifiedDomainName",
	}
)

// diffValues compares a and b, values of the model type named typ, field by
// field, and returns the first difference. path is the ARM path so far.
func diffValues(a, b reflect.Value, path, typ string) (difference, bool) {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return difference{path, format(a), format(b)}, true
			}
			return difference{}, false
		}
		return diffValues(a.Elem(), b.Elem(), path, a.Elem().Type().Name())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return difference{path, format(a), format(b)}, true
		}
		for i := range a.Len() {
			if d, ok := diffValues(a.Index(i), b.Index(i), path, a.Type().Elem().Name()); ok {
				if d.field == path { // a leaf element: show the whole lists
					d.a, d.b = format(a), format(b)
				}
				return d, true
			}
		}
		return difference{}, false
	case reflect.Struct:
		if a.Type().Comparable() && a.Type().PkgPath() == "net/netip" {
			if a.Interface() != b.Interface() {
				return difference{path, format(a), format(b)}, true
			}
			return difference{}, false
		}
		t := a.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Type == posType || f.Type == posSliceType || notCompared[typ+"."+f.Name] {
				continue
			}
			fa, fb := a.Field(i), b.Field(i)
			if f.Anonymous && f.Type == reflect.TypeFor[Meta]() {
				if d, ok := diffMeta(fa.Interface().(Meta), fb.Interface().(Meta), path); ok {
					return d, true
				}
				continue
			}
			name := armNames[typ+"."+f.Name]
			if name == "" {
				name = lowerCamel(f.Name)
			}
			if path != "" {
				name = path + "." + name
			}
			if d, ok := diffValues(fa, fb, name, f.Type.Name()); ok {
				return d, true
			}
		}
		return difference{}, false
	case reflect.Map:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return difference{path, format(a), format(b)}, true
		}
		return difference{}, false
	}
	if !a.Equal(b) {
		return difference{path, format(a), format(b)}, true
	}
	return difference{}, false
}

// diffMeta compares what two declarations' Meta say beyond their ID (equal by
// construction) and position: the name, case-insensitively, and the
// location when both give one.
func diffMeta(a, b Meta, path string) (difference, bool) {
	join := func(f string) string {
		if path == "" {
			return f
		}
		return path + "." + f
	}
	if !strings.EqualFold(a.Name, b.Name) {
		return difference{join("name"), a.Name, b.Name}, true
	}
	if a.Location != "" && b.Location != "" && !strings.EqualFold(a.Location, b.Location) {
		return difference{join("location"), a.Location, b.Location}, true
	}
	return difference{}, false
}

// format renders a value for an error message, bounded.
func format(v reflect.Value) string {
	var s string
	switch {
	case v.Kind() == reflect.Pointer && v.IsNil():
		s = "unset"
	case v.Kind() == reflect.Pointer:
		s = format(v.Elem())
	case v.Kind() == reflect.Slice && v.Len() == 0:
		s = "[]"
	case v.Kind() == reflect.String && v.Len() == 0:
		s = "unset"
	default:
		s = fmt.Sprint(v.Interface())
	}
	const max = 200
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// quoteValue quotes a formatted value unless it says "unset".
func quoteValue(s string) string {
	if s == "unset" || strings.HasPrefix(s, "[") {
		return s
	}
	return fmt.Sprintf("%q", s)
}

// lowerCamel turns a Go field name into the ARM spelling: "SourcePortRange"
// → "sourcePortRange", "SKU" → "sku", "DNSProxy" → "dnsProxy".
func lowerCamel(s string) string {
	r := []rune(s)
	for i := range r {
		if !unicode.IsUpper(r[i]) {
			break
		}
		if i > 0 && i+1 < len(r) && unicode.IsLower(r[i+1]) {
			break
		}
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}
