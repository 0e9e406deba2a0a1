package topology

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/nsg"
)

// NSG rules whose priority or direction a plan knows only after apply
//
// Azure evaluates an NSG's rules of one direction in priority order, the
// first that matches deciding; priorities are unique per direction and lie
// in 100..4096, ahead of the default rules at 65000 and above
// (https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#security-rules).
// A rule whose priority is unknown can therefore take any priority its
// direction leaves free, and the rules of lower numbers than the first free
// one always precede it. placeTFRules puts it at that first free priority,
// where it decides every flow it could decide: the flows it does not match
// are answered as Azure will, and the flows it matches are Unknown
// (NSG.KnownAfterApply) unless no rule it could precede could decide them
// otherwise (every such rule has its access, or provably matches none of its
// flows: another protocol, disjoint ports or disjoint address prefixes), in
// which case the answer is the rule's own wherever it sits, and it is left
// unflagged. A rule whose direction is unknown is a rule of each direction
// its priority leaves possible, flagged in each: the copy for Inbound is
// named "NAME_Inbound" (inboundCopy).

// tfPendingRule is an NSG rule of a plan with values placeTFRules settles.
type tfPendingRule struct {
	g                 *NSG
	name              string // as read
	addr              string // Terraform address
	field             string // the rule's path ("security_rule[0]", or "" for an azurerm_network_security_rule)
	pos               Pos
	prio, dir, access bool // which are known after apply
	// names are the rule's names in g.Rules once placed: its own, and
	// its Inbound copy's when its direction is unknown.
	names []string
	notes []string // what placeTFRules made of them
}

// inboundCopy returns a name for the Inbound copy of g's rule named name,
// whose direction is known after apply: NAME_Inbound, shortened to Azure's
// 80 characters and numbered if g has a rule of that name.
func inboundCopy(g *NSG, name string) string {
	const suffix = "_Inbound"
	for n := 1; ; n++ {
		sfx := suffix
		if n > 1 {
			sfx += strconv.Itoa(n)
		}
		c := name
		if len(c)+len(sfx) > 80 {
			c = c[:80-len(sfx)]
		}
		if c += sfx; ruleIndex(g, c) < 0 {
			return c
		}
	}
}

// pendRule records (or, for a rule read again, replaces or drops) the
// rule named name of g whose priority, direction or access is known after
// apply.
func (b *tfBuilder) pendRule(g *NSG, r *tfRes, prefix []any, name string, prio, dir, access bool, pos Pos) {
	key := g.ID.Key() + "\x00" + strings.ToLower(name)
	pr := b.pendingAt[key]
	if pr == nil {
		if !prio && !dir && !access {
			return
		}
		if b.pendingAt == nil {
			b.pendingAt = map[string]*tfPendingRule{}
		}
		pr = &tfPendingRule{}
		b.pendingAt[key] = pr
		b.pending = append(b.pending, pr)
	}
	field := pathString(prefix)
	if prefix == nil {
		field = ""
	}
	*pr = tfPendingRule{g: g, name: name, addr: r.addr, field: field, pos: pos, prio: prio, dir: dir, access: access}
}

// pendingRule returns the pending entry of g's rule named name, or nil.
func (b *tfBuilder) pendingRule(g *NSG, name string) *tfPendingRule {
	return b.pendingAt[g.ID.Key()+"\x00"+strings.ToLower(name)]
}

// placeTFRules settles the rules whose priority or direction is known after
// apply, once every rule of their NSGs is read: first the directions (so
// that every copy holds its place), then the priorities, in the order read.
func (b *tfBuilder) placeTFRules() {
	for _, pr := range b.pending {
		if i := ruleIndex(pr.g, pr.name); i >= 0 && (pr.dir || pr.prio) {
			pr.names = []string{pr.g.Rules[i].Name}
			if pr.dir {
				pr.notes = append(pr.notes, b.placeDirection(pr, i))
			}
		}
	}
	for _, pr := range b.pending {
		if len(pr.names) == 0 {
			continue
		}
		if pr.prio {
			for _, name := range pr.names {
				pr.notes = append(pr.notes, b.placePriority(pr, ruleIndex(pr.g, name)))
			}
		}
		var flagged []string
		for _, name := range pr.names {
			if pr.g.KnownAfterApply[strings.ToLower(name)] != "" {
				flagged = append(flagged, strconv.Quote(name))
			}
		}
		cost := "its answers do not depend on them"
		if len(flagged) > 0 {
			cost = "the answers " + strings.Join(flagged, " and ") + " decides are Unknown"
			if len(flagged) > 1 {
				cost = "the answers " + strings.Join(flagged, " and ") + " decide are Unknown"
			}
		}
		b.w.warn(pr.pos, pr.addr, pr.field, pr.name, ErrKnownAfterApply, "NSG rule %q: %s: %s", pr.name, strings.Join(pr.notes, "; "), cost)
	}
}

// ruleIndex returns the index of g's rule named name (any letter case), or -1.
func ruleIndex(g *NSG, name string) int {
	for i := range g.Rules {
		if strings.EqualFold(g.Rules[i].Name, name) {
			return i
		}
	}
	return -1
}

// flagRule adds why to the values of g's rule named name known after apply.
func flagRule(g *NSG, name, why string) {
	if g.KnownAfterApply == nil {
		g.KnownAfterApply = map[string]string{}
	}
	k := strings.ToLower(name)
	if old := g.KnownAfterApply[k]; old != "" {
		why = old + "; " + why
	}
	g.KnownAfterApply[k] = why
}

// placeDirection makes rule i of pr (direction unknown, read as Outbound) a
// rule of each direction its priority leaves possible, and says how.
func (b *tfBuilder) placeDirection(pr *tfPendingRule, i int) string {
	g, x := pr.g, pr.g.Rules[i]
	taken := map[nsg.Direction]string{} // by the rule holding its priority there
	for _, d := range []nsg.Direction{nsg.Outbound, nsg.Inbound} {
		if pr.prio {
			continue
		}
		for j, o := range g.Rules {
			if j == i || o.Priority != x.Priority || o.Direction != d {
				continue
			}
			if op := b.pendingRule(g, o.Name); op != nil && (op.dir || op.prio) {
				continue // its own place is not settled either
			}
			taken[d] = o.Name
		}
	}
	why := "direction known after apply (Terraform plan " + pr.addr + ")"
	switch out, in := taken[nsg.Outbound], taken[nsg.Inbound]; {
	case out == "" && in == "":
		c := x
		c.Name, c.Direction = inboundCopy(g, x.Name), nsg.Inbound
		b.pendingAt[g.ID.Key()+"\x00"+strings.ToLower(c.Name)] = pr
		g.Rules = append(g.Rules, c)
		g.RulePos = append(g.RulePos, g.RulePos[i])
		if old := g.KnownAfterApply[strings.ToLower(x.Name)]; old != "" {
			flagRule(g, c.Name, old)
		}
		flagRule(g, x.Name, why+": taken as an Outbound rule and as an Inbound one")
		flagRule(g, c.Name, why+": taken as an Inbound rule (and as the Outbound rule "+strconv.Quote(x.Name)+")")
		pr.names = append(pr.names, c.Name)
		return fmt.Sprintf("direction: taken as an Outbound rule and as an Inbound one, %q", c.Name)
	case out != "" && in == "":
		g.Rules[i].Direction = nsg.Inbound
		return fmt.Sprintf("direction: Inbound, since Outbound rule %q holds priority %d", out, x.Priority)
	case out == "" && in != "":
		return fmt.Sprintf("direction: Outbound, since Inbound rule %q holds priority %d", in, x.Priority)
	default: // Azure takes neither: the NSG's check reports the duplicate priority
		return fmt.Sprintf("direction: neither, since Outbound rule %q and Inbound rule %q hold priority %d", out, in, x.Priority)
	}
}

// placePriority puts rule i of pr (priority unknown) at the first priority
// its direction leaves free, flags it unless its answers cannot depend on
// the priority, and says how.
func (b *tfBuilder) placePriority(pr *tfPendingRule, i int) string {
	g := pr.g
	x := &g.Rules[i]
	used := map[int]bool{}
	for j, o := range g.Rules {
		if j != i && o.Direction == x.Direction && o.Priority >= nsg.MinPriority && o.Priority <= nsg.MaxPriority {
			used[o.Priority] = true
		}
	}
	lo := nsg.MinPriority
	for used[lo] && lo <= nsg.MaxPriority {
		lo++
	}
	if lo > nsg.MaxPriority {
		// No NSG holds that many rules (MaxRulesPerNSG): its check
		// reports the rule's priority.
		return "priority: no free " + x.Direction.String() + " priority"
	}
	x.Priority = lo
	by := ""
	for j, o := range g.Rules {
		if j == i || o.Direction != x.Direction {
			continue
		}
		op := b.pendingRule(g, o.Name)
		if o.Priority < lo && (op == nil || !op.prio && !op.dir) {
			continue // it precedes the rule wherever the rule sits
		}
		if o.Access == x.Access && !pr.access && (op == nil || !op.access) {
			continue // it decides the flows both match as the rule does
		}
		if tfRulesDisjoint(*x, o) {
			continue
		}
		by = o.Name
		break
	}
	what := fmt.Sprintf("priority: placed at %d, the first free %s priority", lo, x.Direction)
	if by == "" {
		return what + ", and no rule it could precede decides its flows otherwise"
	}
	flagRule(g, x.Name, fmt.Sprintf("priority known after apply (Terraform plan %s): placed at %d, the first it could take, ahead of rule %q, which it could follow", pr.addr, lo, by))
	return fmt.Sprintf("%s, ahead of rule %q, which it could follow", what, by)
}

// tfRulesDisjoint reports whether no flow can match both a and b, as far as
// their protocols, ports and plain address prefixes tell; false when it
// cannot tell (a service tag, an ASG, "*").
func tfRulesDisjoint(a, b nsg.Rule) bool {
	if a.Protocol != nsg.ProtocolAny && b.Protocol != nsg.ProtocolAny && a.Protocol != b.Protocol {
		return true
	}
	ported := func(p nsg.Protocol) bool { return p == nsg.ProtocolTCP || p == nsg.ProtocolUDP }
	if ported(a.Protocol) && ported(b.Protocol) &&
		(portsDisjoint(a.DestinationPortRange, a.DestinationPortRanges, b.DestinationPortRange, b.DestinationPortRanges) ||
			portsDisjoint(a.SourcePortRange, a.SourcePortRanges, b.SourcePortRange, b.SourcePortRanges)) {
		return true
	}
	return prefixesDisjoint(a.DestinationAddressPrefix, a.DestinationAddressPrefixes, a.DestinationApplicationSecurityGroups,
		b.DestinationAddressPrefix, b.DestinationAddressPrefixes, b.DestinationApplicationSecurityGroups) ||
		prefixesDisjoint(a.SourceAddressPrefix, a.SourceAddressPrefixes, a.SourceApplicationSecurityGroups,
			b.SourceAddressPrefix, b.SourceAddressPrefixes, b.SourceApplicationSecurityGroups)
}

// items returns one and list as one list, without empty items.
func items(one string, list []string) []string {
	var out []string
	for _, s := range append([]string{one}, list...) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// portsDisjoint reports whether two rules' port specifications ("*", "n",
// "a-b") share no port; false when one does not parse.
func portsDisjoint(a string, al []string, b string, bl []string) bool {
	parse := func(s string) (lo, hi int, ok bool) {
		if s == "*" {
			return 0, 65535, true
		}
		l, h, isRange := strings.Cut(s, "-")
		lo, err1 := strconv.Atoi(l)
		hi, err2 := lo, error(nil)
		if isRange {
			hi, err2 = strconv.Atoi(h)
		}
		return lo, hi, err1 == nil && err2 == nil && lo <= hi
	}
	as, bs := items(a, al), items(b, bl)
	if len(as) == 0 || len(bs) == 0 {
		return false
	}
	for _, x := range as {
		xl, xh, ok := parse(x)
		if !ok {
			return false
		}
		for _, y := range bs {
			yl, yh, ok := parse(y)
			if !ok || xl <= yh && yl <= xh {
				return false
			}
		}
	}
	return true
}

// prefixesDisjoint reports whether two rules' address sides, both plain IP
// addresses and CIDRs, share no address; false for "*", a service tag or
// an ASG.
func prefixesDisjoint(a string, al, aASG []string, b string, bl, bASG []string) bool {
	if len(aASG) > 0 || len(bASG) > 0 {
		return false
	}
	parse := func(ss []string) ([]netip.Prefix, bool) {
		var out []netip.Prefix
		for _, s := range ss {
			if p, err := netip.ParsePrefix(s); err == nil {
				out = append(out, p.Masked())
			} else if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
			} else {
				return nil, false
			}
		}
		return out, len(out) > 0
	}
	ap, ok1 := parse(items(a, al))
	bp, ok2 := parse(items(b, bl))
	if !ok1 || !ok2 {
		return false
	}
	for _, x := range ap {
		for _, y := range bp {
			if x.Overlaps(y) {
				return false
			}
		}
	}
	return true
}
