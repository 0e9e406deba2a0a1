// Package fwref is the reference evaluator of package firewall: every rule
// of the policy put in the documented order by a plain sort, then matched
// one by one with plain address, range, port and string comparisons. It is
// slow and obvious on purpose, shares no code with firewall's compiled
// engine (it parses the rule strings itself), and exists for the
// differential tests, fuzz targets and benchmarks of firewall.
//
// The order, from https://learn.microsoft.com/azure/firewall/rule-processing:
// rule type first (DNAT, network, application), then parent policy before
// child, then rule collection group priority, then rule collection
// priority, then rule position.
//
// It assumes its input is valid, i.e. that firewall.Compile accepted it; on
// input it cannot parse, New returns an error.
package fwref

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
)

// Result is the reference's answer. Rule is the deciding rule's
// "policy/group/collection/rule" path, "" if none.
type Result struct {
	Action     firewall.Action
	Reason     firewall.Reason
	Flags      firewall.Flags
	SNAT       bool
	Rule       string
	Translated netip.AddrPort
}

// String renders the result for test failure messages.
func (r Result) String() string {
	return fmt.Sprintf("%v/%v flags=%q snat=%v rule=%q to=%v", r.Action, r.Reason, r.Flags, r.SNAT, r.Rule, r.Translated)
}

type span struct{ lo, hi netip.Addr }

func (s span) has(a netip.Addr) bool { return s.lo.Compare(a) <= 0 && a.Compare(s.hi) <= 0 }

type rule struct {
	typ      firewall.RuleType
	action   firewall.Action
	path     string
	order    []int
	protos   []firewall.Protocol
	starPort bool
	src, dst []span
	dnsAddrs []netip.Addr
	unresolv bool
	ports    [][2]int
	// Network and NAT rules' values unknown offline beside the known ones
	// (NetworkRule.SourcesUnknown, PortsUnknown, ProtocolsUnknown): any
	// other source, port or protocol is possible.
	anySrc, anyPort, anyProto4 bool
	xlate                      netip.AddrPort
	xlateFQDN                  bool

	appProtos []firewall.AppProtocol
	hasDest   bool
	fqdns     []string
	urls      []string
	undecided bool
	anyProto  bool // ApplicationRule.ProtocolsUnknown: every protocol and port, never deciding
}

// Evaluator holds one policy's rules in evaluation order.
type Evaluator struct {
	rules   []rule
	private []span
}

// New parses a policy that firewall.Compile accepts.
func New(p *firewall.Policy, res firewall.Resolvers) (*Evaluator, error) {
	e := &Evaluator{}
	var err error
	if p.Parent != nil {
		if err = e.addPolicy(p.Parent, 0, res); err != nil {
			return nil, err
		}
	}
	if err = e.addPolicy(p, 1, res); err != nil {
		return nil, err
	}
	slices.SortStableFunc(e.rules, func(a, b rule) int {
		if c := cmp.Compare(a.typ, b.typ); c != 0 {
			return c
		}
		return slices.Compare(a.order, b.order)
	})
	// SNAT private ranges (https://learn.microsoft.com/azure/firewall/snat-private-range).
	iana := []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"}
	items := p.SNATPrivateRanges
	if items == nil {
		items = []string{"IANAPrivateRanges"}
	}
	for _, s := range items {
		switch {
		case strings.ToLower(s) == "ianaprivateranges":
			for _, c := range iana {
				e.private = append(e.private, mustSpan(c))
			}
		case s == "255.255.255.255/32" || s == "255.255.255.255":
		default:
			sp, err := parseSpan(s)
			if err != nil {
				return nil, err
			}
			e.private = append(e.private, sp)
		}
	}
	return e, nil
}

func mustSpan(s string) span {
	sp, err := parseSpan(s)
	if err != nil {
		panic(err)
	}
	return sp
}

// parseSpan parses "*", an address, a CIDR or a range into an address span.
func parseSpan(s string) (span, error) {
	if s == "*" {
		return span{netip.AddrFrom4([4]byte{}), netip.AddrFrom4([4]byte{255, 255, 255, 255})}, nil
	}
	if a, b, ok := strings.Cut(s, "-"); ok {
		lo, err1 := netip.ParseAddr(a)
		hi, err2 := netip.ParseAddr(b)
		if err1 != nil || err2 != nil {
			return span{}, fmt.Errorf("fwref: bad range %q", s)
		}
		return span{lo, hi}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return span{}, err
		}
		return prefixSpan(p), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return span{}, fmt.Errorf("fwref: bad address %q", s)
	}
	return span{a, a}, nil
}

// prefixSpan returns the first and last address of an IPv4 prefix.
func prefixSpan(p netip.Prefix) span {
	a := p.Masked().Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	last := v | uint32(uint64(1)<<(32-p.Bits())-1)
	return span{p.Masked().Addr(), netip.AddrFrom4([4]byte{byte(last >> 24), byte(last >> 16), byte(last >> 8), byte(last)})}
}

func v4spans(ps []netip.Prefix) []span {
	var out []span
	for _, p := range ps {
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if p.IsValid() && p.Addr().Is4() {
			out = append(out, prefixSpan(p))
		}
	}
	return out
}

func (e *Evaluator) addPolicy(p *firewall.Policy, level int, res firewall.Resolvers) error {
	for gi, g := range p.RuleCollectionGroups {
		for ci, rc := range g.RuleCollections {
			mk := func(t firewall.RuleType, name string, ri int) rule {
				return rule{typ: t, action: rc.Action, path: p.Name + "/" + g.Name + "/" + rc.Name + "/" + name,
					order: []int{level, g.Priority, gi, rc.Priority, ci, ri}}
			}
			for ri, nr := range rc.NetworkRules {
				r := mk(firewall.RuleTypeNetwork, nr.Name, ri)
				var err error
				r.protos = nr.IPProtocols
				if r.src, err = spans(nr.SourceAddresses, nr.SourceIPGroups, res, false); err != nil {
					return err
				}
				if r.dst, err = spans(nr.DestinationAddresses, nr.DestinationIPGroups, res, true); err != nil {
					return err
				}
				r.unresolv = nr.DestinationsUnknown
				r.anySrc, r.anyPort, r.anyProto4 = nr.SourcesUnknown, nr.PortsUnknown, nr.ProtocolsUnknown
				for _, n := range nr.DestinationFqdns {
					addrs, ok := lookup(res, n)
					if !ok {
						r.unresolv = true
					}
					r.dnsAddrs = append(r.dnsAddrs, addrs...)
				}
				if r.ports, r.starPort, err = ports(nr.DestinationPorts); err != nil {
					return err
				}
				e.rules = append(e.rules, r)
			}
			for ri, ar := range rc.ApplicationRules {
				r := mk(firewall.RuleTypeApplication, ar.Name, ri)
				var err error
				if r.src, err = spans(ar.SourceAddresses, ar.SourceIPGroups, res, false); err != nil {
					return err
				}
				r.unresolv = ar.DestinationsUnknown
				if len(ar.DestinationAddresses) > 0 || ar.DestinationsUnknown {
					r.hasDest = true
					if r.dst, err = spans(ar.DestinationAddresses, nil, res, true); err != nil {
						return err
					}
				}
				r.appProtos, r.anyProto = ar.Protocols, ar.ProtocolsUnknown
				for _, f := range ar.TargetFqdns {
					r.fqdns = append(r.fqdns, strings.ToLower(strings.TrimSuffix(f, ".")))
				}
				for _, tag := range ar.FqdnTags {
					var fq []string
					ok := false
					if res.FQDNTags != nil {
						fq, ok = res.FQDNTags.FQDNTag(tag)
					}
					if !ok {
						r.undecided = true // a documented tag without FQDNs
					}
					for _, f := range fq {
						r.fqdns = append(r.fqdns, strings.ToLower(strings.TrimSuffix(f, ".")))
					}
				}
				r.urls = ar.TargetURLs
				r.undecided = r.undecided || len(ar.WebCategories) > 0 || ar.TargetsUnknown // any other name may match
				r.anySrc = ar.SourcesUnknown
				e.rules = append(e.rules, r)
			}
			for ri, nr := range rc.NatRules {
				r := mk(firewall.RuleTypeNat, nr.Name, ri)
				var err error
				r.protos = nr.IPProtocols
				if r.src, err = spans(nr.SourceAddresses, nr.SourceIPGroups, res, false); err != nil {
					return err
				}
				if r.dst, err = spans(nr.DestinationAddresses, nil, res, false); err != nil {
					return err
				}
				if r.ports, r.starPort, err = ports(nr.DestinationPorts); err != nil {
					return err
				}
				r.unresolv = nr.DestinationsUnknown
				r.anySrc, r.anyPort, r.anyProto4 = nr.SourcesUnknown, nr.PortsUnknown, nr.ProtocolsUnknown
				if nr.TranslatedUnknown { // no translated address: Unknown
					r.xlateFQDN = nr.TranslatedFqdn != ""
					e.rules = append(e.rules, r)
					continue
				}
				port, err := strconv.Atoi(nr.TranslatedPort)
				if err != nil {
					return err
				}
				var addr netip.Addr
				if nr.TranslatedFqdn != "" {
					r.xlateFQDN = true
					if addrs, ok := lookup(res, nr.TranslatedFqdn); ok && len(addrs) > 0 {
						addr = slices.MinFunc(addrs, netip.Addr.Compare)
					}
				} else if addr, err = netip.ParseAddr(nr.TranslatedAddress); err != nil {
					return err
				}
				r.xlate = netip.AddrPortFrom(addr, uint16(port))
				e.rules = append(e.rules, r)
			}
		}
	}
	return nil
}

func lookup(res firewall.Resolvers, name string) ([]netip.Addr, bool) {
	if res.DNS == nil {
		return nil, false
	}
	addrs, ok := res.DNS.LookupFQDN(name)
	var out []netip.Addr
	for _, a := range addrs {
		if a.Unmap().Is4() {
			out = append(out, a.Unmap())
		}
	}
	return out, ok
}

func spans(items, groups []string, res firewall.Resolvers, tags bool) ([]span, error) {
	var out []span
	for _, s := range items {
		sp, err := parseSpan(s)
		if err == nil {
			out = append(out, sp)
			continue
		}
		if !tags || res.Tags == nil {
			return nil, err
		}
		ps, _, ok := res.Tags.ServiceTag(s)
		if !ok {
			return nil, fmt.Errorf("fwref: unknown tag %q", s)
		}
		out = append(out, v4spans(ps)...)
	}
	for _, g := range groups {
		ps, ok := res.IPGroups.IPGroup(g)
		if !ok {
			return nil, fmt.Errorf("fwref: unknown IP group %q", g)
		}
		out = append(out, v4spans(ps)...)
	}
	return out, nil
}

func ports(items []string) ([][2]int, bool, error) {
	var out [][2]int
	star := false
	for _, s := range items {
		if s == "*" {
			star = true
			out = append(out, [2]int{0, 65535})
			continue
		}
		a, b, isRange := strings.Cut(s, "-")
		lo, err := strconv.Atoi(a)
		if err != nil {
			return nil, false, err
		}
		hi := lo
		if isRange {
			if hi, err = strconv.Atoi(b); err != nil {
				return nil, false, err
			}
		}
		out = append(out, [2]int{lo, hi})
	}
	return out, star, nil
}

// natResult is the verdict of DNAT rule r matching: translated (an FQDN's
// translation depends on DNS; an unknown one is no translation at all).
func (r *rule) natResult(flags firewall.Flags) Result {
	res := Result{Action: firewall.DNAT, Reason: firewall.ReasonNatRule, SNAT: true, Rule: r.path, Translated: r.xlate, Flags: flags}
	if r.xlateFQDN {
		res.Flags |= firewall.FlagDNS
	}
	if !r.xlate.Addr().IsValid() {
		res.Flags |= firewall.FlagUnknown
	}
	return res
}

func inSpans(ss []span, a netip.Addr) bool {
	for _, s := range ss {
		if s.has(a) {
			return true
		}
	}
	return false
}

// protoOK: TCP, UDP, ICMP match themselves; Any matches every protocol when
// the ports are "*" in a network rule, else TCP and UDP.
func (r *rule) protoOK(p ipproto.Proto) bool {
	for _, q := range r.protos {
		switch q {
		case firewall.ProtocolTCP:
			if p == ipproto.TCP {
				return true
			}
		case firewall.ProtocolUDP:
			if p == ipproto.UDP {
				return true
			}
		case firewall.ProtocolICMP:
			if p == ipproto.ICMP {
				return true
			}
		case firewall.ProtocolAny:
			if p == ipproto.TCP || p == ipproto.UDP || (r.starPort && r.typ == firewall.RuleTypeNetwork) {
				return true
			}
		}
	}
	return false
}

func (r *rule) portOK(p ipproto.Proto, port uint16) bool {
	if p != ipproto.TCP && p != ipproto.UDP {
		return true
	}
	for _, iv := range r.ports {
		if iv[0] <= int(port) && int(port) <= iv[1] {
			return true
		}
	}
	return false
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// fqdnMatch: "*" any; "*x" any name ending in x; else equality; lower case.
func fqdnMatch(pattern, name string) bool {
	if rest, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(name, rest)
	}
	return pattern == name
}

// urlMatch returns (host matches, path matches); path "" is unknown.
func urlMatch(u, name, path string) (bool, bool) {
	host, p, hasPath := strings.Cut(u, "/")
	if !fqdnMatch(strings.ToLower(strings.TrimSuffix(host, ".")), name) { // one trailing dot ignored, as in target FQDNs
		return false, false
	}
	if !hasPath {
		return true, true
	}
	path, _, _ = strings.Cut(path, "?")
	p = "/" + p
	if pre, ok := strings.CutSuffix(p, "*"); ok {
		return true, strings.HasPrefix(path, pre)
	}
	return true, path == p
}

// Evaluate walks the rules in order.
func (e *Evaluator) Evaluate(f firewall.Flow) Result {
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	if !src.IsValid() || !dst.IsValid() || f.Proto == ipproto.Unknown {
		return Result{Action: firewall.Deny, Reason: firewall.ReasonInvalidFlow}
	}
	if !src.Is4() || !dst.Is4() {
		return Result{Action: firewall.Deny, Reason: firewall.ReasonIPv6}
	}
	var flags firewall.Flags
	// Outcomes that undecidable rules before the deciding one would give:
	// they make the verdict unknown only if they differ from it.
	var undAllowSNAT, undAllowNoSNAT, undDeny bool
	undecidable := func(a firewall.Action, snat bool) {
		switch {
		case a != firewall.Allow:
			undDeny = true
		case snat:
			undAllowSNAT = true
		default:
			undAllowNoSNAT = true
		}
	}
	unknownFor := func(a firewall.Action, snat bool) firewall.Flags {
		var differs bool
		if a == firewall.Allow {
			differs = undDeny || (snat && undAllowNoSNAT) || (!snat && undAllowSNAT)
		} else {
			differs = undAllowSNAT || undAllowNoSNAT
		}
		if differs {
			return firewall.FlagUnknown
		}
		return 0
	}
	name := lowerASCII(strings.TrimSuffix(f.Name, "."))
	appFlow := f.App != firewall.AppNone && f.Proto == ipproto.TCP
	for i := range e.rules {
		r := &e.rules[i]
		if r.typ == firewall.RuleTypeNat && (r.wide() || r.unresolv) {
			// As a network rule's below; a NAT rule that may match makes
			// every verdict after it Unknown: it could translate the flow.
			sure, maybe := r.maybeNetwork(f, src, dst)
			if sure {
				return r.natResult(flags)
			}
			if maybe {
				flags |= firewall.FlagUnknown
			}
			continue
		}
		if r.typ == firewall.RuleTypeNetwork && r.wide() {
			// Some values unknown: the rule decides where its known
			// values match, and may match where an unknown one could.
			sure, maybe := r.maybeNetwork(f, src, dst)
			if sure {
				snat := r.action == firewall.Allow && !inSpans(e.private, dst)
				if !inSpans(r.dst, dst) {
					flags |= firewall.FlagDNS
				}
				return Result{Action: r.action, Reason: firewall.ReasonNetworkRule, Flags: flags | unknownFor(r.action, snat), SNAT: snat, Rule: r.path}
			}
			if maybe {
				undecidable(r.action, !inSpans(e.private, dst))
			}
			continue
		}
		srcIn := inSpans(r.src, src)
		if !srcIn && !(r.typ == firewall.RuleTypeApplication && r.anySrc) {
			continue
		}
		switch r.typ {
		case firewall.RuleTypeNat:
			if r.protoOK(f.Proto) && r.portOK(f.Proto, f.DstPort) && inSpans(r.dst, dst) {
				return r.natResult(flags)
			}
		case firewall.RuleTypeNetwork:
			if !r.protoOK(f.Proto) || !r.portOK(f.Proto, f.DstPort) {
				continue
			}
			static := inSpans(r.dst, dst)
			viaDNS := slices.Contains(r.dnsAddrs, dst)
			if static || viaDNS {
				if !static {
					flags |= firewall.FlagDNS
				}
				snat := r.action == firewall.Allow && !inSpans(e.private, dst)
				return Result{Action: r.action, Reason: firewall.ReasonNetworkRule, Flags: flags | unknownFor(r.action, snat), SNAT: snat, Rule: r.path}
			}
			if r.unresolv {
				undecidable(r.action, !inSpans(e.private, dst))
			}
		case firewall.RuleTypeApplication:
			dstIn := !r.hasDest || inSpans(r.dst, dst)
			if !appFlow || !dstIn && !r.unresolv {
				continue
			}
			anyProto := r.anyProto && f.DstPort >= 1 && f.DstPort <= firewall.MaxAppPort
			if !anyProto && !slices.Contains(r.appProtos, firewall.AppProtocol{Type: f.App, Port: int(f.DstPort)}) || name == "" {
				continue
			}
			matched, maybe := false, r.undecided
			for _, p := range r.fqdns {
				matched = matched || fqdnMatch(p, name)
			}
			for _, u := range r.urls {
				h, pm := urlMatch(u, name, f.Path)
				switch {
				case h && f.Path == "":
					maybe = true
				case h && pm:
					matched = true
				}
			}
			if anyProto || !srcIn || !dstIn {
				matched, maybe = false, maybe || matched // its protocols, or sources, are unknown: it could have matched
			}
			if matched {
				return Result{Action: r.action, Reason: firewall.ReasonApplicationRule, Flags: flags | unknownFor(r.action, r.action == firewall.Allow),
					SNAT: r.action == firewall.Allow, Rule: r.path}
			}
			if maybe {
				undecidable(r.action, true)
			}
		}
	}
	if appFlow {
		flags |= firewall.FlagInfrastructure
	}
	return Result{Action: firewall.Deny, Reason: firewall.ReasonDefaultDeny, Flags: flags | unknownFor(firewall.Deny, false)}
}

// wide reports a network or NAT rule with sources, ports or protocols
// unknown offline.
func (r *rule) wide() bool { return r.anySrc || r.anyPort || r.anyProto4 }

// maybeNetwork matches a wide network rule (or NAT rule, whose
// protocols are TCP and UDP only) against a flow: sure when its known
// values match, maybe when it is not sure but every condition either
// matches on a known value or is unknown (destinations: r.unresolv).
func (r *rule) maybeNetwork(f firewall.Flow, src, dst netip.Addr) (sure, maybe bool) {
	srcOK := inSpans(r.src, src)
	protoOK := r.protoOK(f.Proto)
	portOK := r.portOK(f.Proto, f.DstPort)
	dstOK := inSpans(r.dst, dst) || slices.Contains(r.dnsAddrs, dst)
	if srcOK && protoOK && portOK && dstOK {
		return true, false
	}
	tcpUDP := f.Proto == ipproto.TCP || f.Proto == ipproto.UDP
	srcMay := srcOK || r.anySrc
	// Unknown protocols: TCP, UDP, ICMP in a network rule, and every
	// protocol if its ports may be "*" (Any); TCP and UDP in a NAT rule.
	netProto := tcpUDP || f.Proto == ipproto.ICMP || r.starPort || r.anyPort
	protoMay := protoOK || r.anyProto4 && (r.typ == firewall.RuleTypeNetwork && netProto || tcpUDP) ||
		// Any, which with "*" ports (an unknown port could be "*")
		// matches every protocol.
		r.anyPort && r.typ == firewall.RuleTypeNetwork && slices.Contains(r.protos, firewall.ProtocolAny)
	portMay := portOK || r.anyPort
	dstMay := dstOK || r.unresolv
	return false, srcMay && protoMay && portMay && dstMay
}
