package topology

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// index (re)builds the ID → resource map and reports duplicate IDs. IDs are
// case-insensitive.
func (m *Model) index(p *problems) {
	m.idx = map[string]any{}
	put := func(id Ref, pos Pos, r any) {
		if id.IsZero() {
			return
		}
		k := id.Key()
		if prev, dup := m.idx[k]; dup {
			p.add(pos, string(id), "id", "", ErrDuplicate, "also defined at %s", posString(posOf(prev)))
			return
		}
		m.idx[k] = r
	}
	for _, v := range m.VNets {
		put(v.ID, v.Pos, v)
		for _, s := range v.Subnets {
			s.VNet = v
			put(s.ID, s.Pos, s)
		}
		for _, pe := range v.Peerings {
			pe.Local = v
			put(pe.ID, pe.Pos, pe)
		}
	}
	for _, n := range m.NICs {
		put(n.ID, n.Pos, n)
		for _, c := range n.IPConfigs {
			c.NIC = n
			put(c.ID, c.Pos, c)
		}
	}
	for _, r := range m.RouteTables {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.NSGs {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.ASGs {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.PublicIPs {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.PublicIPPrefixes {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.NATGateways {
		put(r.ID, r.Pos, r)
	}
	for _, lb := range m.LoadBalancers {
		put(lb.ID, lb.Pos, lb)
		for _, f := range lb.Frontends {
			put(f.ID, f.Pos, f)
		}
		for _, bp := range lb.BackendPools {
			put(bp.ID, bp.Pos, bp)
		}
	}
	for _, r := range m.Gateways {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.LocalNetworkGateways {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.Connections {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.RouteServers {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.PrivateEndpoints {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.Firewalls {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.FirewallPolicies {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.AIAccounts {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.WebApps {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.Injected {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.OtherPaaS {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.FlowLogs {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.Perimeters {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.PerimeterProfiles {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.PerimeterAccessRules {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.PerimeterAssociations {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.IPGroups {
		put(r.ID, r.Pos, r)
	}
	for _, r := range m.AdminConfigs {
		put(r.ID, r.Pos, r)
	}
}

func posOf(r any) Pos {
	type positioned interface{ position() Pos }
	if p, ok := r.(positioned); ok {
		return p.position()
	}
	return Pos{}
}

func (m Meta) position() Pos { return m.Pos }

// lookup returns the resource with the given ID, of type T.
func lookup[T any](m *Model, id Ref) (T, bool) {
	var zero T
	if m.idx == nil {
		m.index(&problems{})
	}
	r, ok := get(m.idx, id)
	if !ok {
		return zero, false
	}
	t, ok := r.(T)
	return t, ok
}

// VNet returns the virtual network with the given ID.
func (m *Model) VNet(id Ref) (*VNet, bool) { return lookup[*VNet](m, id) }

// Subnet returns the subnet with the given ID.
func (m *Model) Subnet(id Ref) (*Subnet, bool) { return lookup[*Subnet](m, id) }

// RouteTable returns the route table with the given ID.
func (m *Model) RouteTable(id Ref) (*RouteTable, bool) { return lookup[*RouteTable](m, id) }

// NSG returns the network security group with the given ID.
func (m *Model) NSG(id Ref) (*NSG, bool) { return lookup[*NSG](m, id) }

// PublicIP returns the public IP address resource with the given ID.
func (m *Model) PublicIP(id Ref) (*PublicIP, bool) { return lookup[*PublicIP](m, id) }

// NATGateway returns the NAT gateway with the given ID.
func (m *Model) NATGateway(id Ref) (*NATGateway, bool) { return lookup[*NATGateway](m, id) }

// NIC returns the network interface with the given ID.
func (m *Model) NIC(id Ref) (*NIC, bool) { return lookup[*NIC](m, id) }

// FindNIC finds a NIC by full resource ID or by name (case-insensitively).
// An ambiguous or unknown name gives a *[LookupError] ([ErrAmbiguousNIC],
// [ErrUnknownNIC]) with the candidates.
func (m *Model) FindNIC(nameOrID string) (*NIC, error) {
	if strings.HasPrefix(nameOrID, "/") {
		if n, ok := m.NIC(Ref(nameOrID)); ok {
			return n, nil
		}
		return nil, &LookupError{Kind: ErrUnknownNIC, Name: nameOrID, ByID: true}
	}
	var found []*NIC
	for _, n := range m.NICs {
		if strings.EqualFold(n.Name, nameOrID) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		names := make([]string, 0, len(m.NICs))
		for _, n := range m.NICs {
			names = append(names, n.Name)
		}
		slices.Sort(names)
		return nil, &LookupError{Kind: ErrUnknownNIC, Name: nameOrID, Candidates: names}
	}
	ids := make([]string, len(found))
	for i, n := range found {
		ids[i] = string(n.ID)
	}
	slices.Sort(ids)
	return nil, &LookupError{Kind: ErrAmbiguousNIC, Name: nameOrID, Candidates: ids}
}

// compareFold orders strings case-insensitively, then exactly.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x >= utf8.RuneSelf || y >= utf8.RuneSelf {
			return compareFoldSlow(a, b)
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return int(x) - int(y)
		}
	}
	if len(a) != len(b) {
		if len(a) > len(b) && hasNonASCII(a[len(b):]) || len(b) > len(a) && hasNonASCII(b[len(a):]) {
			return compareFoldSlow(a, b)
		}
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// compareFoldSlow is compareFold for IDs with non-ASCII letters.
func compareFoldSlow(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
