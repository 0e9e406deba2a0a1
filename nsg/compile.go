package nsg

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/egresslab/egress/internal/errtext"
)

// Azure's limits (https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#networking-limits).
const (
	MaxRulesPerNSG        = 1000 // user rules per NSG
	MaxPrefixesPerSide    = 4000 // IP addresses and ranges per rule side
	MaxASGsPerSide        = 10   // ASGs referenced as source or destination per rule
	MaxASGsPerNSG         = 100  // distinct ASGs referenced across all rules of one NSG
	MinPriority           = 100  // lowest user rule priority number
	MaxPriority           = 4096 // highest user rule priority number
	MinAdminPriority      = 1    // lowest admin rule priority number
	MaxAdminRulesPerGroup = 1000 // admin rules accepted by one AdminConfig (this package's limit)
)

// Group is a compiled network security group, or a compiled set of AVNM
// security admin rules: its rules sorted by priority per direction, and the
// bit-vector tables that classify flows against them.
//
// A Group is built by [Compile] or [CompileAdmin] and does not depend on any
// NIC: compile each distinct NSG once and share the *Group between every NIC
// and subnet it is associated with ([NewClassifier] binds it to a NIC
// cheaply). A Group is immutable and safe for concurrent use. It must not be
// copied by value. (Its only mutable state is an internal cache of the fused
// tables built when NICs are bound, under its own mutex.)
type Group struct {
	_      [0]sync.Mutex
	admin  bool
	id     string
	name   string
	rules  [2][]rule // [dirIndex]: sorted by (priority, input order); NSGs end with their default rules
	tables [2]dirTable
	tags   []string   // canonical names of the static service tags referenced, sorted
	asgNet []string   // distinct lower-cased VNet IDs of the referenced ASGs, sorted
	pairs  *pairCache // NSGs: the fused tables with each subnet NSG this one is bound with (pair.go)
}

func dirIndex(d Direction) int { return int(d-1) & 1 }

// ID returns the NSG's (or admin configuration's) ID as given.
func (g *Group) ID() string { return g.id }

// Name returns the last segment of the ID.
func (g *Group) Name() string { return g.name }

// IsAdmin reports whether g holds AVNM security admin rules rather than an NSG.
func (g *Group) IsAdmin() bool { return g.admin }

// Len returns the number of rules of direction d, default rules included.
func (g *Group) Len(d Direction) int {
	if !d.IsValid() {
		return 0
	}
	return len(g.rules[dirIndex(d)])
}

// Rule returns the i-th rule of direction d in evaluation order. It panics if
// i is out of range, like a slice index.
func (g *Group) Rule(d Direction, i int) RuleInfo {
	return g.info(&g.rules[dirIndex(d)][i])
}

// Rules returns the rules of direction d in evaluation order, default rules
// last. The result is a fresh copy.
func (g *Group) Rules(d Direction) []RuleInfo {
	if !d.IsValid() {
		return nil
	}
	rs := g.rules[dirIndex(d)]
	out := make([]RuleInfo, len(rs))
	for i := range rs {
		out[i] = g.info(&rs[i])
	}
	return out
}

// Compile validates sg and compiles it, with its six default rules, into a
// [Group]. Service tags and ASGs are resolved through res; the
// context-dependent tags (VirtualNetwork, Internet, AzureLoadBalancer) are
// left symbolic and expanded per NIC by a [Scope].
//
// Every problem is reported, joined with [errors.Join]; each is an [*Error]
// naming the NSG, the rule and the ARM field. On error Compile returns a nil
// Group: there is no partial result. Compile never panics on bad input.
//
// Cost: about 10 µs per rule plus about 1 µs per distinct prefix (see the
// package benchmarks); it grows with the NSG, never with the NICs it serves.
func Compile(sg SecurityGroup, res Resolvers) (*Group, error) {
	g, c, err := parseGroup(sg, res)
	if err != nil {
		return nil, err
	}
	g.finish(c)
	return g, nil
}

// Check validates sg exactly as [Compile] does, and returns the same error,
// without building the classifier's tables (most of Compile's cost when
// rules name large service tags): for a loader that validates many NSGs
// before, or without, compiling them.
func Check(sg SecurityGroup, res Resolvers) error {
	_, _, err := parseGroup(sg, res)
	return err
}

// parseGroup is Compile up to the tables: every check, the rules resolved
// and in evaluation order.
func parseGroup(sg SecurityGroup, res Resolvers) (*Group, *compiler, error) {
	g := &Group{id: sg.ID, name: lastSegment(sg.ID), pairs: &pairCache{}}
	el := &errList{object: "nsg", name: g.name, list: "securityRules"}
	if g.name == "" {
		el.add("", -1, "id", "", ErrName, "missing")
	}
	if len(sg.Rules) > MaxRulesPerNSG {
		el.add("", -1, "securityRules", strconv.Itoa(len(sg.Rules)), ErrLimit,
			"more than "+strconv.Itoa(MaxRulesPerNSG)+" rules")
	}
	c := compiler{res: res, el: el, asgs: map[string]string{}}
	names := map[string]int{}
	prio := map[[2]int]int{}
	for i := range sg.Rules {
		in := &sg.Rules[i]
		r, ok := c.rule(in, i)
		if lname := strings.ToLower(in.Name); in.Name != "" {
			if j, dup := names[lname]; dup {
				el.add(in.Name, i, "name", in.Name, ErrDuplicate, "same name as rule #"+strconv.Itoa(j))
			} else {
				names[lname] = i
			}
		}
		if in.Direction.IsValid() && in.Priority >= MinPriority && in.Priority <= MaxPriority {
			k := [2]int{in.Priority, int(in.Direction)}
			if j, dup := prio[k]; dup {
				el.add(in.Name, i, "priority", strconv.Itoa(in.Priority), ErrDuplicate,
					"same priority and direction as rule #"+strconv.Itoa(j))
			} else {
				prio[k] = i
			}
		}
		if ok {
			g.rules[dirIndex(r.dir)] = append(g.rules[dirIndex(r.dir)], r)
		}
	}
	if len(c.asgs) > MaxASGsPerNSG {
		el.add("", -1, "securityRules", strconv.Itoa(len(c.asgs)), ErrLimit,
			"more than "+strconv.Itoa(MaxASGsPerNSG)+" distinct ASGs referenced")
	}
	if err := el.err(); err != nil {
		return nil, nil, err
	}
	for _, d := range []Direction{Inbound, Outbound} {
		rs := g.rules[dirIndex(d)]
		slices.SortStableFunc(rs, func(a, b rule) int { return cmp.Compare(a.priority, b.priority) })
		g.rules[dirIndex(d)] = append(rs, defaultRules(d)...)
	}
	return g, &c, nil
}

// CompileAdmin validates and compiles AVNM security admin rules into a
// [Group] with no default rules: a flow that matches no admin rule goes on to
// the NSGs. Rules are ordered by priority; rules of equal priority (possible
// across rule collections, an order Azure does not document) keep their input
// order. Errors are reported as for [Compile].
func CompileAdmin(ac AdminConfig, res Resolvers) (*Group, error) {
	g := &Group{admin: true, id: ac.ID, name: lastSegment(ac.ID)}
	el := &errList{object: "admin", name: g.name, list: "rules"}
	if len(ac.Rules) > MaxAdminRulesPerGroup {
		el.add("", -1, "rules", strconv.Itoa(len(ac.Rules)), ErrLimit,
			"more than "+strconv.Itoa(MaxAdminRulesPerGroup)+" rules")
	}
	c := compiler{res: res, el: el, admin: true, asgs: map[string]string{}}
	names := map[[2]string]int{}
	prio := map[[3]string]int{}
	for i := range ac.Rules {
		in := &ac.Rules[i]
		r, ok := c.adminRule(in, i)
		coll := strings.ToLower(in.Collection)
		if in.Name != "" {
			k := [2]string{coll, strings.ToLower(in.Name)}
			if j, dup := names[k]; dup {
				el.add(in.Name, i, "name", in.Name, ErrDuplicate, "same name as rule #"+strconv.Itoa(j)+" in the collection")
			} else {
				names[k] = i
			}
		}
		if in.Direction.IsValid() && in.Priority >= MinAdminPriority && in.Priority <= MaxPriority {
			k := [3]string{coll, strconv.Itoa(in.Priority), in.Direction.String()}
			if j, dup := prio[k]; dup {
				el.add(in.Name, i, "priority", strconv.Itoa(in.Priority), ErrDuplicate,
					"same priority and direction as rule #"+strconv.Itoa(j)+" in the collection")
			} else {
				prio[k] = i
			}
		}
		if ok {
			g.rules[dirIndex(r.dir)] = append(g.rules[dirIndex(r.dir)], r)
		}
	}
	if err := el.err(); err != nil {
		return nil, err
	}
	for d := range g.rules {
		slices.SortStableFunc(g.rules[d], func(a, b rule) int { return cmp.Compare(a.priority, b.priority) })
	}
	g.finish(&c)
	return g, nil
}

func (g *Group) finish(c *compiler) {
	for t := range c.tags {
		g.tags = append(g.tags, t)
	}
	slices.Sort(g.tags)
	seen := map[string]bool{}
	for _, v := range c.asgs {
		if v = strings.ToLower(v); v != "" && !seen[v] {
			seen[v] = true
			g.asgNet = append(g.asgNet, v)
		}
	}
	slices.Sort(g.asgNet)
	for d := range g.rules {
		g.tables[d] = buildDirTable(g.rules[d], c.res.Cache)
	}
}

// compiler holds the state of one Compile or CompileAdmin call.
type compiler struct {
	res   Resolvers
	el    *errList
	admin bool
	asgs  map[string]string // lower-cased ASG ID -> VNet
	tags  map[string]bool
	cache map[string][]netip.Prefix // resolved, masked tag prefixes by canonical name
}

func (c *compiler) rule(in *Rule, i int) (rule, bool) {
	n := c.el.errs.Len()
	name := in.Name
	if !validName(name) {
		c.el.add(name, i, "name", name, ErrName,
			"want 1..80 word characters, '.', '-' or '_', starting with a word character and ending with a word character or '_'")
	}
	if in.Priority < MinPriority || in.Priority > MaxPriority {
		c.el.add(name, i, "priority", strconv.Itoa(in.Priority), ErrPriority, "want 100..4096")
	}
	r := rule{name: name, index: i, priority: in.Priority, dir: in.Direction, access: in.Access, proto: in.Protocol}
	c.common(&r, i)
	if in.Access == AlwaysAllow {
		c.el.add(name, i, "access", in.Access.String(), ErrAccess, "AlwaysAllow is for admin rules only; want Allow or Deny")
	}
	r.src = c.side(name, i, "source", in.SourceAddressPrefix, in.SourceAddressPrefixes, in.SourceApplicationSecurityGroups)
	r.dst = c.side(name, i, "destination", in.DestinationAddressPrefix, in.DestinationAddressPrefixes, in.DestinationApplicationSecurityGroups)
	r.sports, r.sportsIn = c.ports(name, i, "sourcePortRange", in.SourcePortRange, in.SourcePortRanges, false)
	r.dports, r.dportsIn = c.ports(name, i, "destinationPortRange", in.DestinationPortRange, in.DestinationPortRanges, false)
	c.checkRule(&r, i)
	return r, c.el.errs.Len() == n
}

func (c *compiler) adminRule(in *AdminRule, i int) (rule, bool) {
	n := c.el.errs.Len()
	name := in.Name
	if !validName(name) {
		c.el.add(name, i, "name", name, ErrName,
			"want 1..80 word characters, '.', '-' or '_', starting with a word character and ending with a word character or '_'")
	}
	if in.Priority < MinAdminPriority || in.Priority > MaxPriority {
		c.el.add(name, i, "priority", strconv.Itoa(in.Priority), ErrPriority, "want 1..4096")
	}
	r := rule{name: name, index: i, coll: in.Collection, priority: in.Priority, dir: in.Direction, access: in.Access, proto: in.Protocol}
	c.common(&r, i)
	r.src = c.side(name, i, "sources", "", in.Sources, nil)
	r.dst = c.side(name, i, "destinations", "", in.Destinations, nil)
	r.sports, r.sportsIn = c.ports(name, i, "sourcePortRanges", "", in.SourcePortRanges, true)
	r.dports, r.dportsIn = c.ports(name, i, "destinationPortRanges", "", in.DestinationPortRanges, true)
	c.checkRule(&r, i)
	return r, c.el.errs.Len() == n
}

func (c *compiler) common(r *rule, i int) {
	if !r.dir.IsValid() {
		c.el.add(r.name, i, "direction", r.dir.String(), ErrDirection, "want Inbound or Outbound")
	}
	if !r.access.IsValid() {
		c.el.add(r.name, i, "access", r.access.String(), ErrAccess, "want Allow or Deny")
	}
	if !r.proto.IsValid() {
		c.el.add(r.name, i, "protocol", r.proto.String(), ErrProtocol, "want *, Tcp, Udp, Icmp, Esp or Ah")
	}
}

// checkRule checks what involves both sides: address families and ASG VNets.
func (c *compiler) checkRule(r *rule, i int) {
	fam := 0 // 4 or 6 once an explicit prefix is seen
	for _, s := range []*side{&r.src, &r.dst} {
		if s.kind != sidePrefixes {
			continue
		}
		for _, p := range s.prefixes {
			f := 4
			if p.Addr().Is6() {
				f = 6
			}
			if fam == 0 {
				fam = f
			} else if fam != f {
				c.el.add(r.name, i, "addressPrefixes", p.String(), ErrFamily, "a rule's explicit prefixes must all be IPv4 or all IPv6")
				return
			}
		}
	}
	vnet := ""
	for _, s := range []*side{&r.src, &r.dst} {
		if s.kind != sideASG {
			continue
		}
		for _, id := range s.items {
			v := c.asgs[strings.ToLower(id)]
			if vnet == "" {
				vnet = v
			} else if v != "" && !strings.EqualFold(v, vnet) {
				c.el.add(r.name, i, "applicationSecurityGroups", id, ErrASG,
					"all ASGs of a rule must be in one virtual network; this one is in "+lastSegment(v)+", another in "+lastSegment(vnet))
				return
			}
		}
	}
}

func (c *compiler) ports(name string, i int, field, one string, many []string, admin bool) ([]portRange, []string) {
	items := many
	switch {
	case one != "" && len(many) > 0:
		c.el.add(name, i, field, one, ErrPort, "set only one of "+field+" and "+field+"s")
		return nil, nil
	case one != "":
		items = []string{one}
	case len(many) == 0 && admin:
		return anyPorts, []string{"*"}
	case len(many) == 0:
		c.el.add(name, i, field, "", ErrPort, "missing")
		return nil, nil
	}
	rs, bad, msg := parsePorts(items)
	if bad >= 0 {
		f := field
		if one == "" {
			f = fieldIndex(field, admin, bad)
		}
		c.el.add(name, i, f, items[bad], ErrPort, msg)
		return nil, nil
	}
	if len(rs) == 1 && rs[0] == anyPorts[0] {
		return anyPorts, slices.Clone(items)
	}
	return rs, slices.Clone(items)
}

func fieldIndex(field string, plural bool, i int) string {
	if !plural {
		field += "s"
	}
	return field + "[" + strconv.Itoa(i) + "]"
}

// side parses one address side of a rule. ruleField is "source" or
// "destination" for NSG rules, "sources" or "destinations" for admin rules.
func (c *compiler) side(name string, i int, ruleField, one string, many, asgs []string) side {
	pf, pfs, af := ruleField+"AddressPrefix", ruleField+"AddressPrefixes", ruleField+"ApplicationSecurityGroups"
	if c.admin {
		pf, pfs = ruleField, ruleField
	}
	set := 0
	for _, b := range []bool{one != "", len(many) > 0, len(asgs) > 0} {
		if b {
			set++
		}
	}
	switch {
	case set == 0:
		c.el.add(name, i, pf, "", ErrAddress, "missing")
		return side{}
	case set > 1:
		c.el.add(name, i, pf, "", ErrAddress, "set only one of "+pf+", "+pfs+" and "+af)
		return side{}
	case len(asgs) > 0:
		return c.asgSide(name, i, af, asgs)
	}
	items, field := many, pfs
	if one != "" {
		items, field = []string{one}, pf
	}
	if len(items) > MaxPrefixesPerSide {
		c.el.add(name, i, field, strconv.Itoa(len(items)), ErrLimit, "more than "+strconv.Itoa(MaxPrefixesPerSide)+" addresses")
		return side{}
	}
	fieldAt := func(k int) string {
		if one != "" {
			return field
		}
		return field + "[" + strconv.Itoa(k) + "]"
	}
	s := side{kind: sidePrefixes}
	for k, it := range items {
		it = strings.TrimSpace(it)
		switch {
		case it == "*" || strings.EqualFold(it, "any"):
			if len(items) > 1 {
				c.el.add(name, i, fieldAt(k), it, ErrAddress, "* must be the only address of its side")
				return side{}
			}
			return anySide()
		case it == "":
			c.el.add(name, i, fieldAt(k), it, ErrAddress, "empty")
			continue
		case strings.ContainsAny(it, ".:") && (it[0] >= '0' && it[0] <= '9' || strings.Contains(it, ":")):
			p, msg := parseAddrPrefix(it)
			if msg != "" {
				c.el.add(name, i, fieldAt(k), it, ErrAddress, msg)
				continue
			}
			s.prefixes = append(s.prefixes, p)
			s.items = append(s.items, it)
			continue
		}
		// A service tag.
		if len(items) > 1 {
			c.el.add(name, i, fieldAt(k), it, ErrAddress, "a service tag must be the only address of its side")
			return side{}
		}
		return c.tagSide(name, i, fieldAt(k), it)
	}
	return s
}

// parseAddrPrefix parses an IP address or a CIDR without host bits. An
// IPv4-mapped IPv6 one is an error naming its IPv4 form (internal/errtext:
// one rule in every engine; it was applied as IPv4 here and never matched
// in package route).
func parseAddrPrefix(s string) (netip.Prefix, string) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, "not an IP address, CIDR, service tag or *"
		}
		if msg := errtext.MappedAddr(a); msg != "" {
			return netip.Prefix{}, msg
		}
		return netip.PrefixFrom(a, a.BitLen()), ""
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, "not an IP address, CIDR, service tag or *"
	}
	if p.Masked() != p {
		return netip.Prefix{}, "host bits set; the network is " + p.Masked().String()
	}
	if msg := errtext.MappedPrefix(p); msg != "" {
		return netip.Prefix{}, msg
	}
	return p, ""
}

func (c *compiler) tagSide(name string, i int, field, tag string) side {
	if canon, ok := builtinTags[strings.ToLower(tag)]; ok {
		switch canon {
		case "VirtualNetwork":
			return ctxSide(ctxVirtualNetwork)
		case "Internet":
			return ctxSide(ctxInternet)
		case "AzureLoadBalancer":
			return ctxSide(ctxLoadBalancer)
		}
		return side{kind: sideTag, platform: true, items: []string{canon}, prefixes: platformTagPrefixes[canon]}
	}
	if c.cache == nil {
		c.cache = map[string][]netip.Prefix{}
		c.tags = map[string]bool{}
	}
	if ps, ok := c.cache[tag]; ok {
		return side{kind: sideTag, items: []string{tag}, prefixes: ps}
	}
	if ps, ok := c.res.Cache.tag(tag); ok {
		c.cache[tag] = ps
		c.tags[tag] = true
		return side{kind: sideTag, items: []string{tag}, prefixes: ps}
	}
	if c.res.Tags == nil {
		c.el.add(name, i, field, tag, ErrTag, "no service-tag resolver was given")
		return side{}
	}
	raw, _, ok := c.res.Tags.ServiceTag(tag)
	if !ok {
		c.el.add(name, i, field, tag, ErrTag, "not a service tag, IP address, CIDR or *")
		return side{}
	}
	// Share the resolver's slice when it is already normalised (the usual
	// case): large tags then cost no copy. Prefixes are never modified.
	ps, copied := raw, false
	for k, p := range raw {
		if !p.IsValid() {
			c.el.add(name, i, field, tag, ErrTag, "the resolver returned an invalid prefix")
			return side{}
		}
		norm := p
		if norm.Addr().Is4In6() && norm.Bits() >= 96 {
			norm = netip.PrefixFrom(norm.Addr().Unmap(), norm.Bits()-96)
		}
		norm = netip.PrefixFrom(norm.Addr().WithZone(""), norm.Bits()).Masked()
		if !copied && norm != p {
			ps, copied = slices.Clone(raw[:k]), true
		}
		if copied {
			ps = append(ps, norm)
		}
	}
	c.cache[tag] = ps
	c.tags[tag] = true
	c.res.Cache.putTag(tag, ps)
	return side{kind: sideTag, items: []string{tag}, prefixes: ps}
}

func (c *compiler) asgSide(name string, i int, field string, ids []string) side {
	if c.admin {
		c.el.add(name, i, field, "", ErrASG, "admin rules cannot reference ASGs")
		return side{}
	}
	if len(ids) > MaxASGsPerSide {
		c.el.add(name, i, field, strconv.Itoa(len(ids)), ErrLimit, "more than "+strconv.Itoa(MaxASGsPerSide)+" ASGs")
		return side{}
	}
	s := side{kind: sideASG}
	vnet := ""
	for k, id := range ids {
		f := field + "[" + strconv.Itoa(k) + "]"
		if c.res.ASGs == nil {
			c.el.add(name, i, f, id, ErrASG, "no ASG resolver was given")
			continue
		}
		members, v, ok := c.res.ASGs.ApplicationSecurityGroup(id)
		if !ok {
			c.el.add(name, i, f, id, ErrASG, "unknown ASG")
			continue
		}
		if vnet == "" {
			vnet = v
		} else if v != "" && !strings.EqualFold(v, vnet) {
			c.el.add(name, i, f, id, ErrASG, "ASG is in virtual network "+lastSegment(v)+", another ASG of the rule in "+lastSegment(vnet))
			continue
		}
		c.asgs[strings.ToLower(id)] = v
		s.items = append(s.items, id)
		for _, a := range members {
			if a.IsValid() {
				a = a.Unmap().WithZone("")
				s.prefixes = append(s.prefixes, netip.PrefixFrom(a, a.BitLen()))
			}
		}
	}
	return s
}
