package topology

import (
	"reflect"
	"strings"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"go.yaml.in/yaml/v3"
)

// An overlay is a patch applied on top of a loaded model: the unit of a
// what-if ("add a UDR", "change a rule", "attach a NAT gateway"). It is a YAML
// document that starts with "egress: overlay/v1" and lists changes in order:
//
//	egress: overlay/v1
//	changes:
//	  - setRoute: {routeTable: rt-spoke, name: storage-direct, prefix: Storage, nextHop: Internet}
//	  - removeRoute: {routeTable: rt-spoke, name: old}
//	  - setRule: {nsg: nsg-app, name: deny-ssh-out, priority: 150, direction: Outbound, access: Deny, protocol: Tcp, destinationPorts: "22"}
//	  - removeRule: {nsg: nsg-app, name: allow-all-out}
//	  - setSubnet: {subnet: vnet-spoke/snet-app, natGateway: natgw-new, routeTable: "", defaultOutboundAccess: false}
//	  - setNic: {nic: vm1-nic, publicIp: "", nsg: nsg-app, ipForwarding: true}
//	  - setWebApp: {webApp: app-orders, subnet: vnet-spoke/snet-int, outboundVnetRouting: {allTraffic: true}}
//	  - setPerimeterAssociation: {association: nsp-ai/oai-contoso, accessMode: Enforced}
//	  - add:                         # new resources, in the native design format
//	      publicIps: [{name: pip-new, ip: 20.1.2.3}]
//	      natGateways: [{name: natgw-new, publicIps: [pip-new]}]
//
// Resources are named as in the native format (a subnet as "vnet/subnet") or
// by full resource ID; a name must match exactly one resource of its kind in
// the model (case-insensitively). In setSubnet, setNic and setWebApp, an omitted key
// leaves the field unchanged and "" detaches it. setRoute and setRule replace
// the route or rule of the same name, or add it. Resources added by "add" get
// IDs from the overlay's subscription and resourceGroup keys (default: the
// native format's); references inside them by name are resolved against the
// model first.

type nOverlay struct {
	Egress        string     `yaml:"egress"`
	Name          string     `yaml:"name"`
	Subscription  string     `yaml:"subscription"`
	ResourceGroup string     `yaml:"resourceGroup"`
	Changes       []*nChange `yaml:"changes"`
	at            at
}

func (v *nOverlay) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nOverlay
	v.at, err = strict(n, (*plain)(v), "the overlay")
	return err
}

type nChange struct {
	SetRoute    *nSetRoute  `yaml:"setRoute"`
	RemoveRoute *nRemove    `yaml:"removeRoute"`
	SetRule     *nSetRule   `yaml:"setRule"`
	RemoveRule  *nRemove    `yaml:"removeRule"`
	SetSubnet   *nSetSubnet `yaml:"setSubnet"`
	SetNIC      *nSetNIC    `yaml:"setNic"`
	SetWebApp   *nSetWebApp `yaml:"setWebApp"`
	SetAssoc    *nSetAssoc  `yaml:"setPerimeterAssociation"`
	Add         yaml.Node   `yaml:"add"` // Kind 0 when absent
	at          at
}

func (v *nChange) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nChange
	v.at, err = strict(n, (*plain)(v), "a change")
	return err
}

// nSetRoute is a route (the fields of nRoute) plus its route table. The
// fields are repeated rather than embedded or inlined: yaml.v3 hands an
// inline or embedded nRoute the whole mapping through nRoute's own strict
// UnmarshalYAML, which then rejects routeTable.
type nSetRoute struct {
	RouteTable     string   `yaml:"routeTable"`
	Name           string   `yaml:"name"`
	Prefix         string   `yaml:"prefix"`
	NextHop        string   `yaml:"nextHop"`
	IP             string   `yaml:"ip"`
	IPs            []string `yaml:"ips"`
	HasBgpOverride bool     `yaml:"hasBgpOverride"`
}

func (v *nSetRoute) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nSetRoute
	_, err = strict(n, (*plain)(v), "setRoute")
	return err
}

// nSetRule is a security rule (the fields of nRule) plus its NSG.
type nSetRule struct {
	NSG              string   `yaml:"nsg"`
	Name             string   `yaml:"name"`
	Description      string   `yaml:"description"`
	Priority         yamlInt  `yaml:"priority"`
	Direction        string   `yaml:"direction"`
	Access           string   `yaml:"access"`
	Protocol         string   `yaml:"protocol"`
	Source           strList  `yaml:"source"`
	SourceASGs       []string `yaml:"sourceAsgs"`
	SourcePorts      strList  `yaml:"sourcePorts"`
	Destination      strList  `yaml:"destination"`
	DestinationASGs  []string `yaml:"destinationAsgs"`
	DestinationPorts strList  `yaml:"destinationPorts"`
}

func (v *nSetRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nSetRule
	_, err = strict(n, (*plain)(v), "setRule")
	return err
}

func (v *nRemove) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nRemove
	_, err = strict(n, (*plain)(v), "a removal")
	return err
}

func (v *nSetSubnet) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nSetSubnet
	_, err = strict(n, (*plain)(v), "setSubnet")
	return err
}

func (v *nSetNIC) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nSetNIC
	_, err = strict(n, (*plain)(v), "setNic")
	return err
}

type nRemove struct {
	RouteTable string `yaml:"routeTable"`
	NSG        string `yaml:"nsg"`
	Name       string `yaml:"name"`
}

type nSetSubnet struct {
	Subnet                string   `yaml:"subnet"`
	RouteTable            *string  `yaml:"routeTable"`
	NSG                   *string  `yaml:"nsg"`
	NATGateway            *string  `yaml:"natGateway"`
	DefaultOutboundAccess *bool    `yaml:"defaultOutboundAccess"`
	ServiceEndpoints      []string `yaml:"serviceEndpoints"`
}

// nSetWebApp changes a web app's integration and routing settings: the
// what-if of "route all traffic through the VNet".
type nSetWebApp struct {
	WebApp                        string                `yaml:"webApp"`
	Subnet                        *string               `yaml:"subnet"`
	OutboundVnetRouting           *nOutboundVnetRouting `yaml:"outboundVnetRouting"`
	VnetRouteAllEnabled           *bool                 `yaml:"vnetRouteAllEnabled"`
	SiteConfigVnetRouteAllEnabled *bool                 `yaml:"siteConfigVnetRouteAllEnabled"`
}

func (v *nSetWebApp) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nSetWebApp
	_, err = strict(n, (*plain)(v), "setWebApp")
	return err
}

// nSetAssoc changes a perimeter association's access mode or profile: the
// what-if of "enforce the perimeter" (audit before deny). The association
// is named "perimeter/association" or by ID.
type nSetAssoc struct {
	Association string  `yaml:"association"`
	AccessMode  *string `yaml:"accessMode"`
	Profile     *string `yaml:"profile"` // a profile of the same perimeter, by name
}

func (v *nSetAssoc) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nSetAssoc
	_, err = strict(n, (*plain)(v), "setPerimeterAssociation")
	return err
}

type nSetNIC struct {
	NIC          string  `yaml:"nic"`
	NSG          *string `yaml:"nsg"`
	PublicIP     *string `yaml:"publicIp"`
	IPForwarding *bool   `yaml:"ipForwarding"`
}

// ApplyOverlay applies an overlay (see the format above) to m, in place, and
// does not validate the result: call [Model.Validate] after the last overlay.
// Every problem is reported, with file:line:col; on error m may be partly
// changed and must not be used.
func (m *Model) ApplyOverlay(file string, data []byte) error {
	doc, err := parseYAML(file, data, "an overlay")
	if err != nil {
		return err
	}
	var o nOverlay
	if err := doc.Decode(&o); err != nil {
		return yamlErrors(file, err)
	}
	b := nativeBuilder{file: file, m: m}
	if emptyItems(reflect.ValueOf(&o).Elem(), "", &b.p, b.pos(o.at)); len(b.p.errs) > 0 {
		return b.p.err()
	}
	if o.Egress != "overlay/v1" {
		b.p.add(b.pos(o.at), "", "egress", o.Egress, ErrInvalid, `an overlay starts with "egress: overlay/v1"`)
		return b.p.err()
	}
	sub, rg := defaultStr(o.Subscription, DefaultSubscription), defaultStr(o.ResourceGroup, DefaultResourceGroup)
	b.base = "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/"
	m.index(&problems{})
	for _, c := range o.Changes {
		pos := b.pos(c.at)
		n := 0
		for _, set := range []bool{c.SetRoute != nil, c.RemoveRoute != nil, c.SetRule != nil, c.RemoveRule != nil, c.SetSubnet != nil, c.SetNIC != nil, c.SetWebApp != nil, c.SetAssoc != nil, c.Add.Kind != 0} {
			if set {
				n++
			}
		}
		if n != 1 {
			b.p.add(pos, "", "changes", "", ErrInvalid, "each change has exactly one of setRoute, removeRoute, setRule, removeRule, setSubnet, setNic, setWebApp, setPerimeterAssociation, add")
			continue
		}
		switch {
		case c.SetRoute != nil:
			if rt := findNamed(m, &b.p, pos, "route table", c.SetRoute.RouteTable, m.RouteTables); rt != nil {
				r := c.SetRoute
				ur := route.UserRoute{Name: r.Name, AddressPrefix: r.Prefix, NextHopType: r.NextHop, NextHopIPAddress: r.IP,
					NextHopIPAddresses: r.IPs, HasBgpOverride: r.HasBgpOverride}
				if i := indexFold(len(rt.Routes), func(i int) string { return rt.Routes[i].Name }, r.Name); i >= 0 {
					rt.Routes[i], rt.RoutePos[i] = ur, pos
				} else {
					rt.Routes, rt.RoutePos = append(rt.Routes, ur), append(rt.RoutePos, pos)
				}
			}
		case c.RemoveRoute != nil:
			if rt := findNamed(m, &b.p, pos, "route table", c.RemoveRoute.RouteTable, m.RouteTables); rt != nil {
				i := indexFold(len(rt.Routes), func(i int) string { return rt.Routes[i].Name }, c.RemoveRoute.Name)
				if i < 0 {
					b.p.add(pos, string(rt.ID), "routes", c.RemoveRoute.Name, ErrDangling, "no route of that name")
					continue
				}
				rt.Routes, rt.RoutePos = append(rt.Routes[:i], rt.Routes[i+1:]...), append(rt.RoutePos[:i], rt.RoutePos[i+1:]...)
			}
		case c.SetRule != nil:
			if g := findNamed(m, &b.p, pos, "network security group", c.SetRule.NSG, m.NSGs); g != nil {
				sr := c.SetRule
				r := nRule{Name: sr.Name, Description: sr.Description, Priority: sr.Priority, Direction: sr.Direction, Access: sr.Access,
					Protocol: sr.Protocol, Source: sr.Source, SourceASGs: sr.SourceASGs, SourcePorts: sr.SourcePorts,
					Destination: sr.Destination, DestinationASGs: sr.DestinationASGs, DestinationPorts: sr.DestinationPorts, at: c.at}
				nr := b.rule(g.Name, &r)
				b.resolveASGs(&nr)
				delete(g.KnownAfterApply, strings.ToLower(r.Name)) // the overlay's rule is known
				if i := indexFold(len(g.Rules), func(i int) string { return g.Rules[i].Name }, r.Name); i >= 0 {
					g.Rules[i], g.RulePos[i] = nr, pos
				} else {
					g.Rules, g.RulePos = append(g.Rules, nr), append(g.RulePos, pos)
				}
			}
		case c.RemoveRule != nil:
			if g := findNamed(m, &b.p, pos, "network security group", c.RemoveRule.NSG, m.NSGs); g != nil {
				i := indexFold(len(g.Rules), func(i int) string { return g.Rules[i].Name }, c.RemoveRule.Name)
				if i < 0 {
					b.p.add(pos, string(g.ID), "securityRules", c.RemoveRule.Name, ErrDangling, "no rule of that name")
					continue
				}
				delete(g.KnownAfterApply, strings.ToLower(g.Rules[i].Name))
				g.Rules, g.RulePos = append(g.Rules[:i], g.Rules[i+1:]...), append(g.RulePos[:i], g.RulePos[i+1:]...)
			}
		case c.SetSubnet != nil:
			b.setSubnet(pos, c.SetSubnet)
		case c.SetNIC != nil:
			b.setNIC(pos, c.SetNIC)
		case c.SetWebApp != nil:
			b.setWebApp(pos, c.SetWebApp)
		case c.SetAssoc != nil:
			b.setAssoc(pos, c.SetAssoc)
		case c.Add.Kind != 0:
			b.add(&c.Add)
		}
	}
	m.idx = nil
	return b.p.err()
}

// named is a resource with a name and an ID.
type named interface{ meta() *Meta }

// findNamed finds the one resource of a kind whose name (or ID) is given.
func findNamed[T named](m *Model, p *problems, pos Pos, kind, name string, list []T) T {
	var zero T
	var found []T
	for _, r := range list {
		mt := r.meta()
		if strings.EqualFold(mt.Name, name) || (strings.HasPrefix(name, "/") && mt.ID.Key() == strings.ToLower(name)) {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 1:
		return found[0]
	case 0:
		p.add(pos, "", kind, name, ErrDangling, "no %s of that name in the model", kind)
	default:
		p.add(pos, "", kind, name, ErrInvalid, "%d resources have that name; use the resource ID", len(found))
	}
	return zero
}

func indexFold(n int, name func(int) string, want string) int {
	for i := range n {
		if strings.EqualFold(name(i), want) {
			return i
		}
	}
	return -1
}

// refTo resolves a name against the model's resources of one kind (one
// match), else builds
// the overlay's own ID for it ("" stays "": detach).
func (b *nativeBuilder) refTo(typ, name string, list func() []named) Ref {
	if name == "" || strings.HasPrefix(name, "/") {
		return Ref(name)
	}
	var found []Ref
	for _, r := range list() {
		if strings.EqualFold(r.meta().Name, name) {
			found = append(found, r.meta().ID)
		}
	}
	if len(found) == 1 {
		return found[0]
	}
	return b.id(typ, name)
}

func asNamed[T named](list []T) func() []named {
	return func() []named {
		out := make([]named, len(list))
		for i, x := range list {
			out[i] = x
		}
		return out
	}
}

func (b *nativeBuilder) setSubnet(pos Pos, c *nSetSubnet) {
	vnet, sub, ok := strings.Cut(c.Subnet, "/")
	var s *Subnet
	if strings.HasPrefix(c.Subnet, "/") {
		s, _ = b.m.Subnet(Ref(c.Subnet))
	} else if ok {
		v := findNamed(b.m, &b.p, pos, "virtual network", vnet, b.m.VNets)
		if v == nil {
			return
		}
		a := findNamed(b.m, &b.p, pos, "subnet", v.Name+"/"+sub, prefixed(v))
		if a == nil {
			return
		}
		s = a.s
	}
	if s == nil {
		if !ok && !strings.HasPrefix(c.Subnet, "/") {
			b.p.add(pos, "", "subnet", c.Subnet, ErrInvalid, `name the subnet as "vnet/subnet"`)
		} else if strings.HasPrefix(c.Subnet, "/") {
			b.p.add(pos, "", "subnet", c.Subnet, ErrDangling, "no such subnet in the model")
		}
		return
	}
	if c.RouteTable != nil {
		s.RouteTable = b.refTo(tRT, *c.RouteTable, asNamed(b.m.RouteTables))
	}
	if c.NSG != nil {
		s.NSG = b.refTo(tNSG, *c.NSG, asNamed(b.m.NSGs))
	}
	if c.NATGateway != nil {
		s.NATGateway = b.refTo(tNAT, *c.NATGateway, asNamed(b.m.NATGateways))
	}
	if c.DefaultOutboundAccess != nil {
		v := *c.DefaultOutboundAccess
		s.DefaultOutboundAccess = &v
	}
	if c.ServiceEndpoints != nil {
		s.ServiceEndpoints = nil
		for _, se := range c.ServiceEndpoints {
			s.ServiceEndpoints = append(s.ServiceEndpoints, ServiceEndpoint{Service: se})
		}
	}
}

// prefixed lists a VNet's subnets under "vnet/subnet" names for findNamed.
func prefixed(v *VNet) []*subnetAlias {
	out := make([]*subnetAlias, len(v.Subnets))
	for i, s := range v.Subnets {
		out[i] = &subnetAlias{Meta: Meta{ID: s.ID, Name: v.Name + "/" + s.Name}, s: s}
	}
	return out
}

type subnetAlias struct {
	Meta
	s *Subnet
}

func (b *nativeBuilder) setNIC(pos Pos, c *nSetNIC) {
	n := findNamed(b.m, &b.p, pos, "network interface", c.NIC, b.m.NICs)
	if n == nil {
		return
	}
	if c.NSG != nil {
		n.NSG = b.refTo(tNSG, *c.NSG, asNamed(b.m.NSGs))
	}
	if c.PublicIP != nil {
		if p := n.Primary(); p != nil {
			p.PublicIP = b.refTo(tPIP, *c.PublicIP, asNamed(b.m.PublicIPs))
		}
	}
	if c.IPForwarding != nil {
		n.EnableIPForwarding = *c.IPForwarding
	}
}

// add decodes a native design fragment and merges its resources.
func (b *nativeBuilder) add(node *yaml.Node) {
	var d nDesign
	if err := node.Decode(&d); err != nil {
		b.p.errs = append(b.p.errs, yamlErrors(b.file, err))
		return
	}
	d.Egress = "v1"
	frag := nativeBuilder{file: b.file, d: &d, m: &Model{}}
	if emptyItems(reflect.ValueOf(&d).Elem(), "add", &b.p, b.pos(d.at)); len(b.p.errs) > 0 {
		return
	}
	frag.d.Subscription = strings.Split(strings.TrimPrefix(b.base, "/subscriptions/"), "/")[0]
	frag.d.ResourceGroup = strings.Split(b.base, "/")[4]
	frag.build()
	b.p.errs = append(b.p.errs, frag.p.errs...)
	b.m.merge(frag.m)
}

// resolveASGs points a rule's ASG references at the model's ASGs by name.
func (b *nativeBuilder) resolveASGs(r *nsg.Rule) {
	fix := func(ids []string) {
		for i, id := range ids {
			name := Ref(id).Name()
			if ref := b.refTo(tASG, name, asNamed(b.m.ASGs)); !ref.IsZero() {
				ids[i] = string(ref)
			}
		}
	}
	fix(r.SourceApplicationSecurityGroups)
	fix(r.DestinationApplicationSecurityGroups)
}

// ApplyOverlayFile reads an overlay file and applies it; see
// [Model.ApplyOverlay].
func (m *Model) ApplyOverlayFile(path string) error {
	data, err := readFile(path, MaxNativeSize)
	if err != nil {
		return err
	}
	return m.ApplyOverlay(path, data)
}

// setWebApp changes a web app's integration subnet (a "vnet/subnet" name
// of the model, a resource ID, or "" to detach) and routing flags (each
// given flag replaces the app's; the others stay).
func (b *nativeBuilder) setWebApp(pos Pos, c *nSetWebApp) {
	w := findNamed(b.m, &b.p, pos, "web app", c.WebApp, b.m.WebApps)
	if w == nil {
		return
	}
	if c.Subnet != nil {
		w.Subnet = b.subnetRef(*c.Subnet)
	}
	r := &w.Routing
	if o := c.OutboundVnetRouting; o != nil {
		for _, f := range []struct{ dst, v **bool }{{&r.AllTraffic, &o.AllTraffic}, {&r.ApplicationTraffic, &o.ApplicationTraffic},
			{&r.ContentShareTraffic, &o.ContentShareTraffic}, {&r.ImagePullTraffic, &o.ImagePullTraffic},
			{&r.BackupRestoreTraffic, &o.BackupRestoreTraffic}, {&r.ManagedIdentityTraffic, &o.ManagedIdentityTraffic}} {
			if *f.v != nil {
				*f.dst = *f.v
			}
		}
	}
	if c.VnetRouteAllEnabled != nil {
		r.VnetRouteAllEnabled = c.VnetRouteAllEnabled
	}
	if c.SiteConfigVnetRouteAllEnabled != nil {
		r.SiteConfigVnetRouteAllEnabled = c.SiteConfigVnetRouteAllEnabled
	}
}

// setAssoc changes a perimeter association's access mode or profile.
func (b *nativeBuilder) setAssoc(pos Pos, c *nSetAssoc) {
	var a *PerimeterAssociation
	perim, name, ok := strings.Cut(c.Association, "/")
	switch {
	case strings.HasPrefix(c.Association, "/"):
		a = findNamed(b.m, &b.p, pos, "perimeter association", c.Association, b.m.PerimeterAssociations)
	case !ok:
		b.p.add(pos, "", "association", c.Association, ErrInvalid, `name an association as "perimeter/association", or by its resource ID`)
		return
	default:
		for _, x := range b.m.PerimeterAssociations {
			if strings.EqualFold(x.Name, name) && strings.EqualFold(x.Perimeter.Name(), perim) {
				a = x
				break
			}
		}
		if a == nil {
			b.p.add(pos, "", "association", c.Association, ErrDangling, "no perimeter association of that name in the model")
		}
	}
	if a == nil {
		return
	}
	if c.AccessMode != nil {
		a.AccessMode = *c.AccessMode
	}
	if c.Profile != nil {
		a.Profile = a.Perimeter + Ref("/profiles/"+*c.Profile)
	}
}

// subnetRef resolves a "vnet/subnet" name against the model's subnets,
// else builds the overlay's own ID for it; an ID and "" stay as they are.
func (b *nativeBuilder) subnetRef(name string) Ref {
	if name == "" || strings.HasPrefix(name, "/") {
		return Ref(name)
	}
	if vnet, sub, ok := strings.Cut(name, "/"); ok {
		for _, v := range b.m.VNets {
			if !strings.EqualFold(v.Name, vnet) {
				continue
			}
			for _, s := range v.Subnets {
				if strings.EqualFold(s.Name, sub) {
					return s.ID
				}
			}
		}
	}
	return b.childID(tVNet, "subnets", name)
}
