package topology

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/errtext"
	"github.com/egresslab/egress/route"
)

// FirewallPolicy returns the input of firewall.Compile for a firewall policy
// of the model, with its parent policy. Problems of the conversion (an
// unknown rule type, protocol or action) are reported with the rule's
// position; the rule engine's own checks happen in firewall.Compile.
func (m *Model) FirewallPolicy(id Ref) (*firewall.Policy, error) {
	var p problems
	fp, ok := lookup[*FirewallPolicy](m, id)
	if !ok {
		return nil, fmt.Errorf("firewall policy %s: not in the model", id)
	}
	chain, cycle := m.policyChain(fp)
	if cycle >= 0 {
		p.add(fp.Pos, string(fp.ID), "basePolicy", string(fp.Parent), ErrInvalid, "%s", policyCycleText(chain, cycle))
		return nil, p.err()
	}
	out := m.convertPolicy(fp, &p)
	if len(chain) > 1 {
		out.Parent = m.convertPolicy(chain[1], &p)
		if len(chain) > 2 {
			out.Parent.Parent = m.convertPolicy(chain[2], &p) // firewall.Compile reports the depth
		}
	} else if !fp.Parent.IsZero() {
		p.add(fp.Pos, string(fp.ID), "basePolicy", string(fp.Parent), ErrDangling, "no such firewall policy in the model")
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// policyChain returns fp and its base policies in the model, in order, up
// to the first policy seen twice or one whose base policy is not in the
// model, and the index in chain of the repeated policy (-1 if none):
// chain[cycle:] is then an inheritance cycle.
func (m *Model) policyChain(fp *FirewallPolicy) (chain []*FirewallPolicy, cycle int) {
	for q, ok := fp, true; ok; q, ok = lookup[*FirewallPolicy](m, q.Parent) {
		for i, c := range chain {
			if c == q {
				return chain, i
			}
		}
		chain = append(chain, q)
	}
	return chain, -1
}

// policyCycleText names the members of an inheritance cycle in order,
// closing it.
func policyCycleText(chain []*FirewallPolicy, cycle int) string {
	var names []string
	for _, q := range chain[cycle:] {
		names = append(names, strconv.Quote(q.Name))
	}
	msg := "inheritance cycle: " + strings.Join(names, " -> ") + " -> " + names[0]
	if cycle > 0 {
		msg = "the base policy chain enters the " + msg
	}
	return msg
}

// firstPolicy returns the one of ps listed first in the model.
func (m *Model) firstPolicy(ps []*FirewallPolicy) *FirewallPolicy {
	for _, fp := range m.FirewallPolicies {
		if slices.Contains(ps, fp) {
			return fp
		}
	}
	return nil
}

func (m *Model) convertPolicy(fp *FirewallPolicy, p *problems) *firewall.Policy {
	out := &firewall.Policy{Name: fp.Name, DNSProxy: fp.DNSProxy, SNATPrivateRanges: fp.SNATPrivateRanges}
	if fp.ThreatIntel != "" {
		if err := out.ThreatIntelMode.UnmarshalText([]byte(fp.ThreatIntel)); err != nil {
			p.add(fp.Pos, string(fp.ID), "threatIntelMode", fp.ThreatIntel, ErrInvalid, "%v", err)
		}
	}
	for _, g := range fp.RuleCollectionGroups {
		rg := firewall.RuleCollectionGroup{Name: g.Name, Priority: g.Priority}
		for _, c := range g.Collections {
			rc := firewall.RuleCollection{Name: c.Name, Priority: c.Priority}
			res := string(fp.ID) + " " + g.Name + "/" + c.Name
			if err := rc.Kind.UnmarshalText([]byte(c.Kind)); err != nil {
				p.add(c.Pos, res, "ruleCollectionType", c.Kind, ErrInvalid, "%v", err)
			}
			action := c.Action
			if action == "" && rc.Kind == firewall.KindNat {
				action = "Dnat"
			}
			if err := rc.Action.UnmarshalText([]byte(action)); err != nil {
				p.add(c.Pos, res, "action", c.Action, ErrInvalid, "%v", err)
			}
			for _, r := range c.Rules {
				rres := res + "/" + r.Name
				switch strings.ToLower(r.Type) {
				case "networkrule", "network", "":
					nr := firewall.NetworkRule{Name: r.Name, SourceAddresses: r.SourceAddresses, SourceIPGroups: refStrings(r.SourceIPGroups),
						DestinationAddresses: r.DestinationAddresses, DestinationIPGroups: refStrings(r.DestinationIPGroups),
						DestinationFqdns: r.DestinationFqdns, DestinationPorts: r.DestinationPorts}
					// A Terraform plan's values known after apply (terraform.go).
					nr.DestinationAddresses, nr.DestinationsUnknown = cutUnknown(nr.DestinationAddresses)
					nr.SourceAddresses, nr.SourcesUnknown = cutUnknown(nr.SourceAddresses)
					nr.DestinationPorts, nr.PortsUnknown = cutUnknown(nr.DestinationPorts)
					var protos []string
					protos, nr.ProtocolsUnknown = cutUnknown(r.Protocols)
					nr.IPProtocols = protocolList(r.Pos, protos, rres, p)
					rc.NetworkRules = append(rc.NetworkRules, nr)
				case "natrule", "nat":
					nr := firewall.NatRule{Name: r.Name, SourceAddresses: r.SourceAddresses, SourceIPGroups: refStrings(r.SourceIPGroups),
						DestinationAddresses: r.DestinationAddresses, DestinationPorts: r.DestinationPorts,
						TranslatedAddress: r.TranslatedAddress, TranslatedFqdn: r.TranslatedFqdn, TranslatedPort: r.TranslatedPort}
					// A Terraform plan's values known after apply (terraform.go).
					nr.SourceAddresses, nr.SourcesUnknown = cutUnknown(nr.SourceAddresses)
					nr.DestinationAddresses, nr.DestinationsUnknown = cutUnknown(nr.DestinationAddresses)
					nr.DestinationPorts, nr.PortsUnknown = cutUnknown(nr.DestinationPorts)
					if nr.TranslatedAddress == knownAfterApply {
						nr.TranslatedAddress, nr.TranslatedUnknown = "", true
					}
					var protos []string
					protos, nr.ProtocolsUnknown = cutUnknown(r.Protocols)
					nr.IPProtocols = protocolList(r.Pos, protos, rres, p)
					rc.NatRules = append(rc.NatRules, nr)
				case "applicationrule", "application":
					ar := firewall.ApplicationRule{Name: r.Name, SourceAddresses: r.SourceAddresses, SourceIPGroups: refStrings(r.SourceIPGroups),
						TargetFqdns: r.TargetFqdns, FqdnTags: r.FqdnTags, TargetURLs: r.TargetURLs, WebCategories: r.WebCategories,
						TerminateTLS: r.TerminateTLS, DestinationAddresses: r.DestinationAddresses}
					ar.TargetFqdns, ar.TargetsUnknown = cutUnknown(ar.TargetFqdns) // a Terraform plan's (terraform.go)
					ar.SourceAddresses, ar.SourcesUnknown = cutUnknown(ar.SourceAddresses)
					ar.DestinationAddresses, ar.DestinationsUnknown = cutUnknown(ar.DestinationAddresses)
					for _, s := range r.Protocols {
						if s == knownAfterApply { // a Terraform plan's (terraform.go)
							ar.ProtocolsUnknown = true
							continue
						}
						typ, port, _ := strings.Cut(s, ":")
						var ap firewall.AppProtocol
						n, err := strconv.Atoi(port)
						if err2 := ap.Type.UnmarshalText([]byte(typ)); err2 != nil || err != nil {
							p.add(r.Pos, rres, "protocols", s, ErrInvalid, `want "Http:80", "Https:443" or "Mssql:1433"`)
							continue
						}
						ap.Port = n
						ar.Protocols = append(ar.Protocols, ap)
					}
					rc.ApplicationRules = append(rc.ApplicationRules, ar)
				default:
					p.add(r.Pos, rres, "ruleType", r.Type, ErrInvalid, "want NetworkRule, ApplicationRule or NatRule")
				}
			}
			rg.RuleCollections = append(rg.RuleCollections, rc)
		}
		out.RuleCollectionGroups = append(out.RuleCollectionGroups, rg)
	}
	return out
}

// cutUnknown returns l without the knownAfterApply marker a Terraform plan's
// values known after apply leave (terraform.go), and whether it held one.
func cutUnknown(l []string) ([]string, bool) {
	if !slices.Contains(l, knownAfterApply) {
		return l, false
	}
	return slices.DeleteFunc(slices.Clone(l), func(s string) bool { return s == knownAfterApply }), true
}

func refStrings(rs []Ref) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// protocolList parses a network or NAT rule's protocols, reporting the
// bad ones at pos.
func protocolList(pos Pos, list []string, res string, p *problems) []firewall.Protocol {
	var out []firewall.Protocol
	for _, s := range list {
		var fp firewall.Protocol
		if err := fp.UnmarshalText([]byte(s)); err != nil {
			p.add(pos, res, "ipProtocols", s, ErrInvalid, "want TCP, UDP, ICMP or Any")
			continue
		}
		out = append(out, fp)
	}
	return out
}

// ipGroupResolver resolves IP group IDs to prefixes (ranges "a-b" become
// the prefixes covering them).
type ipGroupResolver struct{ m *Model }

// IPGroup implements firewall.IPGroupResolver.
func (r ipGroupResolver) IPGroup(id string) ([]netip.Prefix, bool) {
	g, ok := lookup[*IPGroup](r.m, Ref(id))
	if !ok {
		return nil, false
	}
	var out []netip.Prefix
	for _, a := range g.Addresses {
		if p, err := netip.ParsePrefix(a); err == nil {
			out = append(out, p.Masked())
		} else if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
		} else if lo, hi, ok := strings.Cut(a, "-"); ok {
			from, err1 := netip.ParseAddr(strings.TrimSpace(lo))
			to, err2 := netip.ParseAddr(strings.TrimSpace(hi))
			if err1 != nil || err2 != nil {
				return nil, false
			}
			out = append(out, rangePrefixes(from, to)...)
		} else {
			return nil, false
		}
	}
	return out, true
}

// mappedIPGroupAddress says what is wrong with an IP group address (an
// address, CIDR or range "a-b") written as IPv4-mapped IPv6, or "".
func mappedIPGroupAddress(s string) string {
	if p, err := netip.ParsePrefix(s); err == nil {
		return errtext.MappedPrefix(p.Masked())
	}
	lo, hi, _ := strings.Cut(s, "-")
	for _, part := range []string{lo, hi} {
		if a, err := netip.ParseAddr(strings.TrimSpace(part)); err == nil && a.Is4In6() {
			return errtext.MappedAddr(a)
		}
	}
	return ""
}

// rangePrefixes returns the prefixes covering from..to (inclusive).
func rangePrefixes(from, to netip.Addr) []netip.Prefix {
	var out []netip.Prefix
	for from.IsValid() && from.Compare(to) <= 0 {
		bits := from.BitLen()
		for bits > 0 {
			p := netip.PrefixFrom(from, bits-1).Masked()
			if p.Addr() != from || lastAddr(p).Compare(to) > 0 {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(from, bits)
		out = append(out, p)
		from = lastAddr(p).Next()
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As16()
	off := 0
	if p.Addr().Is4() {
		off = 12
	}
	hostBits := p.Addr().BitLen() - p.Bits()
	for i := 15; i >= off && hostBits > 0; i-- {
		n := min(hostBits, 8)
		a[i] |= byte(1<<n - 1)
		hostBits -= n
	}
	if p.Addr().Is4() {
		return netip.AddrFrom4([4]byte(a[12:]))
	}
	return netip.AddrFrom16(a)
}

// FirewallResolvers returns what firewall.Compile needs for this model:
// service tags, the model's IP groups, and DNS for network-rule FQDNs (dns
// may be nil: such rules are then undecidable offline).
func (m *Model) FirewallResolvers(tags route.TagResolver, dns firewall.DNSResolver) firewall.Resolvers {
	return firewall.Resolvers{Tags: tags, IPGroups: ipGroupResolver{m}, DNS: dns}
}

// validateFirewalls compiles every firewall policy, positioning the rule
// engine's errors at the rule; with keep, it keeps each engine (or what
// stopped it).
func (m *Model) validateFirewalls(p *problems, tags route.TagResolver, keep *compiled) {
	// Each policy's own conversion problems, once (FirewallPolicy converts
	// the parent with every child); then the rule engine's checks for the
	// policies whose whole chain converted.
	broken := map[*FirewallPolicy]bool{}
	for _, fp := range m.FirewallPolicies {
		var own problems
		m.convertPolicy(fp, &own)
		p.errs = append(p.errs, own.errs...)
		broken[fp] = len(own.errs) > 0
	}
	for _, fp := range m.FirewallPolicies {
		if chain, cycle := m.policyChain(fp); cycle >= 0 {
			// A cycle is reported once, at its member listed first in the
			// model, naming the members from it; a chain leading into a
			// cycle, at the policy it starts from.
			if cycle > 0 || m.firstPolicy(chain) == fp {
				p.add(fp.Pos, string(fp.ID), "basePolicy", string(fp.Parent), ErrInvalid, "%s", policyCycleText(chain, cycle))
			}
			continue
		}
		parent, ok := lookup[*FirewallPolicy](m, fp.Parent)
		if broken[fp] || ok && broken[parent] || !ok && !fp.Parent.IsZero() { // a dangling parent: validateRefs reports it
			continue
		}
		pol, err := m.FirewallPolicy(fp.ID)
		if err != nil {
			p.errs = append(p.errs, unjoin(err)...)
			continue
		}
		eng, err := firewall.Compile(pol, m.FirewallResolvers(tags, nil))
		if keep != nil {
			keep.policies[fp] = engineOrErr{eng, err}
		}
		for _, e := range unjoin(err) {
			pos := fp.Pos
			var fe *firewall.Error
			if errors.As(e, &fe) && fe.Resource == "policy "+strconv.Quote(fp.Name) && inRange(fe.Index("ruleCollectionGroups"), len(fp.RuleCollectionGroups)) {
				g := fp.RuleCollectionGroups[fe.Index("ruleCollectionGroups")]
				pos = g.Pos
				if ci := fe.Index("ruleCollections"); ci >= 0 && ci < len(g.Collections) {
					c := g.Collections[ci]
					pos = c.Pos
					if ri := fe.Index("rules"); ri >= 0 && ri < len(c.Rules) {
						pos = c.Rules[ri].Pos
					}
				}
			}
			p.addErr(pos, string(fp.ID), e)
		}
	}
}
