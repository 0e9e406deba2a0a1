package topology

import (
	"errors"
	"fmt"
	"strings"

	"github.com/egresslab/egress/topology/arm"
)

// ErrConflict: the two sides of an association disagree: a NAT gateway
// lists a subnet that names another NAT gateway, a subnet names an NSG whose
// subnets leave it out, two resources name one public IP.
var ErrConflict = errors.New("conflicting association")

// Associations from either side
//
// ARM stores an association on one side and mirrors it, read-only, on the
// other: a subnet's natGateway, networkSecurityGroup and routeTable are
// listed back in the NAT gateway's, NSG's and route table's "subnets"; a
// NIC's networkSecurityGroup in the NSG's "networkInterfaces"; an IP
// configuration's loadBalancerBackendAddressPools in each pool's
// "backendIPConfigurations" (and its loadBalancerBackendAddresses'
// networkInterfaceIPConfiguration); the publicIPAddress of a NIC IP
// configuration, load balancer frontend, firewall or gateway IP configuration
// in the public IP's "ipConfiguration"; a NAT gateway's publicIpAddresses in
// each public IP's "natGateway" (REST API reference, Microsoft.Network
// stable 2025-03-01: NatGatewayPropertiesFormat.subnets,
// NetworkSecurityGroupPropertiesFormat.subnets and networkInterfaces,
// RouteTablePropertiesFormat.subnets,
// BackendAddressPoolPropertiesFormat.backendIPConfigurations,
// PublicIPAddressPropertiesFormat.ipConfiguration and natGateway). Some
// inputs give only the mirrored side: the NatGatewayGet example lists its
// subnet, which SubnetGet does not name back; a subnet exported before the
// NAT gateway was attached, next to the gateway exported after. An
// application security group's "ipConfigurations" is read too when an input
// has it, though the REST schema has no such property
// (ApplicationSecurityGroupPropertiesFormat holds resourceGuid and
// provisioningState only).
//
// The model keeps one side (Subnet.NATGateway, ...). complete fills it from
// the other side when it is empty (the input left it out), and reports an
// error naming both positions when both sides are given and disagree: the
// side the model keeps names another resource, or the mirrored list, when
// present, leaves out a resource that names its owner.

// assocKind is which association a mirrored list gives.
type assocKind uint8

const (
	assocNATSubnets  assocKind = iota // NAT gateway subnets → Subnet.NATGateway
	assocNSGSubnets                   // NSG subnets → Subnet.NSG
	assocNSGNICs                      // NSG networkInterfaces → NIC.NSG
	assocRTSubnets                    // route table subnets → Subnet.RouteTable
	assocPoolConfigs                  // pool backendIPConfigurations → IPConfig.BackendPools
	assocASGConfigs                   // ASG ipConfigurations → IPConfig.ASGs
	assocPIPOwner                     // public IP ipConfiguration → the owner's publicIPAddress
	assocPIPNAT                       // public IP natGateway → NATGateway.PublicIPs
)

// backref is one mirrored list: owner's field lists items.
type backref struct {
	kind     assocKind
	owner    Ref
	ownerPos Pos
	field    string // the owner's property, for messages
	items    []backItem
}

type backItem struct {
	target Ref
	pos    Pos
}

// associations records the mirrored lists of r for complete.
func (b *armBuilder) associations(r arm.Resource) {
	v := r.Body
	// add records a list; an empty one too (it says "none"), unless
	// onlyItems (a pool's loadBalancerBackendAddresses, whose entries
	// may be IP addresses rather than IP configurations).
	add := func(kind assocKind, owner Ref, pos Pos, field string, list *arm.Value, ref func(*arm.Value) Ref, onlyItems bool) {
		if list.Kind() != arm.KindArray {
			if list != nil {
				b.p.add(list.Pos(), string(owner), field, "", ErrInvalid, "want a list of {id} references, not %v", list.Kind())
			}
			return
		}
		br := backref{kind: kind, owner: owner, ownerPos: pos, field: field}
		for _, e := range list.Elems() {
			if t := ref(e); !t.IsZero() {
				br.items = append(br.items, backItem{t, e.Pos()})
			}
		}
		if len(br.items) > 0 || !onlyItems {
			b.m.backrefs = append(b.m.backrefs, br)
		}
	}
	one := func(kind assocKind, field string, x *arm.Value) {
		if t := b.ref(x); !t.IsZero() {
			b.m.backrefs = append(b.m.backrefs, backref{kind: kind, owner: Ref(r.ID), ownerPos: r.Pos, field: field, items: []backItem{{t, x.Pos()}}})
		}
	}
	id := Ref(r.ID)
	switch {
	case typeIs(r, tNAT):
		add(assocNATSubnets, id, r.Pos, "subnets", v.Prop("subnets"), b.ref, false)
	case typeIs(r, tNSG):
		add(assocNSGSubnets, id, r.Pos, "subnets", v.Prop("subnets"), b.ref, false)
		add(assocNSGNICs, id, r.Pos, "networkInterfaces", v.Prop("networkInterfaces"), b.ref, false)
	case typeIs(r, tRT):
		add(assocRTSubnets, id, r.Pos, "subnets", v.Prop("subnets"), b.ref, false)
	case typeIs(r, tASG):
		add(assocASGConfigs, id, r.Pos, "ipConfigurations", v.Prop("ipConfigurations"), b.ref, false)
	case typeIs(r, tPIP):
		one(assocPIPOwner, "ipConfiguration", v.Prop("ipConfiguration"))
		one(assocPIPNAT, "natGateway", v.Prop("natGateway"))
	case typeIs(r, tLB):
		for _, pool := range elems(v.Prop("backendAddressPools")) {
			pid, _ := b.id(pool, id, "backendAddressPools")
			add(assocPoolConfigs, pid, pool.Pos(), "backendIPConfigurations", pool.Prop("backendIPConfigurations"), b.ref, false)
			add(assocPoolConfigs, pid, pool.Pos(), "loadBalancerBackendAddresses", pool.Prop("loadBalancerBackendAddresses"),
				func(a *arm.Value) Ref { return b.ref(a.Prop("networkInterfaceIPConfiguration")) }, true)
		}
	}
}

// associate carries the associations of the mirrored lists over to the side
// the model keeps, and reports the ones that disagree. Items naming
// resources that are not in the model are warnings (ErrExternal).
func (m *Model) associate(p *problems, w *warnList) {
	if len(m.backrefs) == 0 {
		return
	}
	m.idx = nil
	listed := map[assocKind]map[string]backref{} // owner key → its list, for the reverse checks
	members := map[assocKind]map[string]bool{}   // owner key + "|" + item key
	pipOwner := map[string]backItem{}            // public IP key → the owner its ipConfiguration names
	pipNAT := map[string]backItem{}              // public IP key → the NAT gateway its natGateway names
	for _, br := range m.backrefs {
		if listed[br.kind] == nil {
			listed[br.kind], members[br.kind] = map[string]backref{}, map[string]bool{}
		}
		listed[br.kind][br.owner.Key()] = br
		var missing []backItem
		for _, it := range br.items {
			members[br.kind][br.owner.Key()+"|"+it.target.Key()] = true
			if !m.associateOne(p, br, it) {
				missing = append(missing, it)
			}
			switch br.kind {
			case assocPIPOwner:
				pipOwner[br.owner.Key()] = it
			case assocPIPNAT:
				pipNAT[br.owner.Key()] = it
			}
		}
		if len(missing) > 0 {
			more := ""
			if len(missing) > 1 {
				more = fmt.Sprintf(" (and %d more)", len(missing)-1)
			}
			w.warn(missing[0].pos, string(br.owner), br.field, string(missing[0].target), ErrExternal,
				"lists a resource that is not in the input%s; the association is not used", more)
		}
	}
	m.reverseChecks(p, listed, members, pipOwner)
	for _, n := range m.NATGateways {
		for _, ip := range n.PublicIPs {
			if it, ok := pipNAT[ip.Key()]; ok && it.target.Key() != n.ID.Key() {
				p.add(n.Pos, string(n.ID), "publicIpAddresses", string(ip), ErrConflict,
					"public IP %q is listed, but its natGateway at %s is %q", ip.Name(), posString(it.pos), string(it.target))
			}
			m.checkPIPOwner(p, pipOwner, ip, n.ID, n.Pos, "NAT gateway "+n.Name)
		}
	}
}

// assocNames names the resources of each association for messages: the owner,
// the target and the target's property.
var assocNames = [...]struct{ owner, target, prop string }{
	assocNATSubnets:  {"NAT gateway", "subnet", "natGateway"},
	assocNSGSubnets:  {"network security group", "subnet", "networkSecurityGroup"},
	assocNSGNICs:     {"network security group", "network interface", "networkSecurityGroup"},
	assocRTSubnets:   {"route table", "subnet", "routeTable"},
	assocPoolConfigs: {"backend pool", "IP configuration", "loadBalancerBackendAddressPools"},
	assocASGConfigs:  {"application security group", "IP configuration", "applicationSecurityGroups"},
	assocPIPOwner:    {"public IP", "IP configuration", "publicIPAddress"},
	assocPIPNAT:      {"public IP", "NAT gateway", "publicIpAddresses"},
}

// associateOne carries one item over. It returns false when the item names
// a resource that is not in the model.
func (m *Model) associateOne(p *problems, br backref, it backItem) bool {
	names := assocNames[br.kind]
	found := true
	missing := func(string) { found = false }
	// single fills a single-valued side, or reports that it names another.
	single := func(side *Ref, at Pos, res string) {
		switch {
		case side.IsZero():
			*side = br.owner
		case side.Key() != br.owner.Key():
			p.add(it.pos, string(br.owner), br.field, string(it.target), ErrConflict,
				"the %s lists %s, whose %s at %s is %q", names.owner, res, names.prop, posString(at), string(*side))
		}
	}
	// multi adds to a list side when it is empty, or reports that a
	// non-empty one leaves the owner out.
	multi := func(side *[]Ref, owner Ref, at Pos, res, prop string) {
		for _, r := range *side {
			if r.Key() == owner.Key() {
				return
			}
		}
		if len(*side) == 0 {
			*side = append(*side, owner)
			return
		}
		p.add(it.pos, string(br.owner), br.field, string(it.target), ErrConflict,
			"the %s lists %s, whose %s at %s does not include it: %v", names.owner, res, prop, posString(at), refNames(*side))
	}
	switch br.kind {
	case assocNATSubnets, assocNSGSubnets, assocRTSubnets:
		s, ok := m.Subnet(it.target)
		if !ok {
			return false
		}
		side := map[assocKind]*Ref{assocNATSubnets: &s.NATGateway, assocNSGSubnets: &s.NSG, assocRTSubnets: &s.RouteTable}[br.kind]
		single(side, s.Pos, "subnet "+s.VNet.Name+"/"+s.Name)
	case assocNSGNICs:
		n, ok := m.NIC(it.target)
		if !ok {
			return false
		}
		single(&n.NSG, n.Pos, "network interface "+n.Name)
	case assocPoolConfigs, assocASGConfigs:
		c, ok := lookup[*IPConfig](m, it.target)
		if !ok {
			return false
		}
		if br.kind == assocPoolConfigs {
			multi(&c.BackendPools, br.owner, c.Pos, "IP configuration "+c.NIC.Name+"/"+c.Name, "loadBalancerBackendAddressPools")
		} else {
			multi(&c.ASGs, br.owner, c.Pos, "IP configuration "+c.NIC.Name+"/"+c.Name, "applicationSecurityGroups")
		}
	case assocPIPNAT:
		n, ok := m.NATGateway(it.target)
		if !ok {
			return false
		}
		multi(&n.PublicIPs, br.owner, n.Pos, "NAT gateway "+n.Name, "publicIpAddresses")
	case assocPIPOwner:
		m.associatePublicIP(p, br, it, single, multi, missing)
	}
	return found
}

// associatePublicIP carries a public IP's ipConfiguration over to its owner:
// a NIC IP configuration, a load balancer frontend, or an IP configuration of
// a firewall or virtual network gateway. Owners egress does not model
// (application gateways, Bastion hosts, ...) are left alone.
func (m *Model) associatePublicIP(p *problems, br backref, it backItem, single func(*Ref, Pos, string),
	multi func(*[]Ref, Ref, Pos, string, string), missing func(string)) {
	rid, err := arm.ParseLooseID(string(it.target))
	if err != nil {
		p.add(it.pos, string(br.owner), br.field, string(it.target), ErrInvalid, "not a resource ID")
		return
	}
	parent, _ := rid.Parent()
	switch t := strings.ToLower(rid.Type()); t {
	case "microsoft.network/networkinterfaces/ipconfigurations":
		if c, ok := lookup[*IPConfig](m, it.target); ok {
			single(&c.PublicIP, c.Pos, "IP configuration "+c.NIC.Name+"/"+c.Name)
		} else {
			missing("NIC IP configuration")
		}
	case "microsoft.network/loadbalancers/frontendipconfigurations":
		if f, ok := lookup[*Frontend](m, it.target); ok {
			single(&f.PublicIP, f.Pos, "frontend "+f.Name)
		} else {
			missing("load balancer frontend")
		}
	case "microsoft.network/azurefirewalls/azurefirewallipconfigurations", "microsoft.network/azurefirewalls/ipconfigurations":
		fw, ok := lookup[*Firewall](m, Ref(parent.String()))
		if !ok {
			missing("firewall")
			return
		}
		if fw.ManagementIP.Key() == br.owner.Key() {
			return
		}
		multi(&fw.PublicIPs, br.owner, fw.Pos, "firewall "+fw.Name, "ipConfigurations.publicIPAddress")
	case "microsoft.network/virtualnetworkgateways/ipconfigurations":
		gw, ok := lookup[*Gateway](m, Ref(parent.String()))
		if !ok {
			missing("virtual network gateway")
			return
		}
		multi(&gw.PublicIPs, br.owner, gw.Pos, "gateway "+gw.Name, "ipConfigurations.publicIPAddress")
	}
}

// reverseChecks reports resources that name an owner whose mirrored list,
// present in the input, leaves them out, and public IPs named by a resource
// other than the one their ipConfiguration names.
func (m *Model) reverseChecks(p *problems, listed map[assocKind]map[string]backref, members map[assocKind]map[string]bool, pipOwner map[string]backItem) {
	check := func(kind assocKind, side Ref, target Ref, at Pos, res string) {
		br, ok := listed[kind][side.Key()]
		if !ok || members[kind][side.Key()+"|"+target.Key()] {
			return
		}
		names := assocNames[kind]
		p.add(at, string(target), names.prop, string(side), ErrConflict,
			"%s names %s %q, whose %s at %s does not list it", res, names.owner, side.Name(), br.field, posString(br.ownerPos))
	}
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			res := "subnet " + v.Name + "/" + s.Name
			check(assocNATSubnets, s.NATGateway, s.ID, s.Pos, res)
			check(assocNSGSubnets, s.NSG, s.ID, s.Pos, res)
			check(assocRTSubnets, s.RouteTable, s.ID, s.Pos, res)
		}
	}
	for _, n := range m.NICs {
		check(assocNSGNICs, n.NSG, n.ID, n.Pos, "network interface "+n.Name)
		for _, c := range n.IPConfigs {
			res := "IP configuration " + n.Name + "/" + c.Name
			for _, bp := range c.BackendPools {
				check(assocPoolConfigs, bp, c.ID, c.Pos, res)
			}
			for _, a := range c.ASGs {
				check(assocASGConfigs, a, c.ID, c.Pos, res)
			}
			m.checkPIPOwner(p, pipOwner, c.PublicIP, c.ID, c.Pos, res)
		}
	}
	for _, lb := range m.LoadBalancers {
		for _, f := range lb.Frontends {
			m.checkPIPOwner(p, pipOwner, f.PublicIP, f.ID, f.Pos, "frontend "+lb.Name+"/"+f.Name)
		}
	}
	for _, fw := range m.Firewalls {
		for _, ip := range fw.PublicIPs {
			m.checkPIPOwner(p, pipOwner, ip, fw.ID, fw.Pos, "firewall "+fw.Name)
		}
	}
	for _, gw := range m.Gateways {
		for _, ip := range gw.PublicIPs {
			m.checkPIPOwner(p, pipOwner, ip, gw.ID, gw.Pos, "gateway "+gw.Name)
		}
	}
}

// checkPIPOwner reports a public IP named by owner (an IP configuration or
// frontend ID, or a firewall's or gateway's ID) when its ipConfiguration
// names another resource: a public IP is associated with one resource at a
// time.
func (m *Model) checkPIPOwner(p *problems, pipOwner map[string]backItem, pip, owner Ref, at Pos, res string) {
	it, ok := pipOwner[pip.Key()]
	if pip.IsZero() || !ok {
		return
	}
	k := it.target.Key()
	if k == owner.Key() || strings.HasPrefix(k, owner.Key()+"/") {
		return
	}
	p.add(at, string(owner), "publicIPAddress", string(pip), ErrConflict,
		"%s names public IP %q, whose ipConfiguration at %s is %q: a public IP belongs to one resource", res, pip.Name(), posString(it.pos), string(it.target))
}

// refNames lists the names of refs for a message.
func refNames(rs []Ref) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Name()
	}
	return out
}
