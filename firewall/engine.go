package firewall

import (
	"iter"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/gaissmai/bart"

	"github.com/egresslab/egress/ipproto"
)

// Flow is a new connection arriving at the firewall, as the rule engine sees
// it: addresses, protocol and destination port, and, for HTTP, HTTPS and
// MSSQL connections, what the application layer reveals.
//
// The zero value is not a valid flow (Evaluate answers [ReasonInvalidFlow]).
// A Flow is a plain value; copy it freely.
type Flow struct {
	Src, Dst netip.Addr
	Proto    ipproto.Proto
	DstPort  uint16 // 0 for protocols without ports

	// App is the application protocol of a TCP flow that application rules
	// may match; AppNone (the zero value) means the flow is not HTTP, HTTPS
	// or MSSQL, and only DNAT and network rules see it.
	App AppProtocolType
	// Name is the TLS SNI (HTTPS), the Host header without port (HTTP) or
	// the server name (MSSQL); "" if the client sent none, in which case no
	// application-rule target matches. Compared case-insensitively; one
	// trailing dot is ignored.
	Name string
	// Path is the URL path (with optional query) of an HTTP request or of
	// TLS-inspected HTTPS, for target URLs; "" if unknown, in which case a
	// URL target whose host matches is undecidable ([FlagUnknown]).
	Path string
}

// Verdict is the answer of [Engine.Evaluate]: a small comparable value with
// no pointers. Rule is the index of the deciding rule in the engine's
// evaluation order ([Engine.RuleOf] names it), or -1 when no rule decided.
type Verdict struct {
	Action Action // Allow, Deny or DNAT
	Reason Reason
	Flags  Flags
	// SNAT reports whether the firewall translates the flow's source to
	// its own address: network-rule allows to a destination outside the
	// SNAT private ranges, every application-rule allow (transparent
	// proxy), and every DNAT (source becomes a firewall private address;
	// https://techcommunity.microsoft.com/blog/azurenetworksecurityblog/azure-firewall-nat-behaviors/3825834).
	SNAT bool
	Rule int32
	// Translated is the destination a DNAT verdict translates to; its
	// address is invalid if a translated FQDN did not resolve. Zero
	// otherwise.
	Translated netip.AddrPort
}

// Allowed reports whether the flow passes the firewall (Allow or DNAT).
func (v Verdict) Allowed() bool { return v.Action == Allow || v.Action == DNAT }

// Engine is a compiled Firewall Policy, or a firewall's compiled classic
// rules. It answers [Engine.Evaluate] for flows, and names rules for
// explanations.
//
// The zero value is not usable; build one with [Compile] or
// [CompileClassic]. An Engine is immutable and safe for concurrent use; it
// must not be copied (go vet reports copies). Evaluate costs a few bart
// lookups (and, for an application flow, a hash probe and a walk of the
// name's suffix trie) plus one AND over the rules' bit vectors that visits
// only the words the flow's sets all have non-empty, and allocates nothing;
// see the package documentation's "The engine" for figures.
type Engine struct {
	_ [0]sync.Mutex // no copying

	name     string
	threat   ThreatIntelMode
	dnsProxy bool
	rules    []RuleInfo // evaluation order: DNAT, network, application
	nNat     int
	nNet     int

	nat, net, app *matcher
	xlate         []netip.AddrPort
	xlateFQDN     []bool
	apps          []appRule
	appx          *appIndex // the application rules' protocols and names, as sets of app
	private       *bart.Lite
	spaces        []DestinationSpace // the DNAT and network rules' destination conditions, in evaluation order
	appSpaces     []DestinationSpace // the application rules' ones
	sources       [][]netip.Prefix   // every rule's source addresses and IP groups, in evaluation order
}

func newEngine(p *Policy, rs []parsed, priv *bart.Lite) *Engine {
	e := &Engine{name: p.Name, threat: p.ThreatIntelMode, dnsProxy: p.DNSProxy, private: priv}
	var nat, net, app []mrule
	var appAllow []bool
	for i := range rs {
		r := &rs[i]
		e.rules = append(e.rules, r.info)
		r.m.allow = r.info.Action == Allow
		e.sources = append(e.sources, r.m.src[:len(r.m.src):len(r.m.src)])
		if r.info.Type != RuleTypeApplication {
			e.spaces = append(e.spaces, spaceOf(&r.m))
		} else {
			sp := spaceOf(&r.m)
			sp.Ports = nil
			for _, ap := range r.app.protos {
				sp.Ports = append(sp.Ports, [2]uint16{uint16(ap.Port), uint16(ap.Port)})
			}
			if r.app.anyProto {
				sp.Ports = [][2]uint16{{1, MaxAppPort}}
			}
			e.appSpaces = append(e.appSpaces, sp)
		}
		switch r.info.Type {
		case RuleTypeNat:
			nat = append(nat, r.m)
			e.xlate = append(e.xlate, r.xlate)
			e.xlateFQDN = append(e.xlateFQDN, r.xlateFQDN)
		case RuleTypeNetwork:
			net = append(net, r.m)
		case RuleTypeApplication:
			app = append(app, r.m)
			e.apps = append(e.apps, r.app)
			appAllow = append(appAllow, r.m.allow)
		}
	}
	e.nNat, e.nNet = len(nat), len(net)
	e.nat, e.net = newMatcher(nat), newMatcher(net)
	var b *setBuilder
	e.app, b = buildMatcher(app)
	e.appx = newAppIndex(b, e.apps, appAllow)
	return e
}

// Evaluate decides a flow: DNAT rules, then network rules, then (for
// HTTP/HTTPS/MSSQL flows) application rules, each in the documented order,
// the first match deciding; then the default deny
// (https://learn.microsoft.com/azure/firewall/rule-processing).
//
// It never fails: an invalid flow is denied with [ReasonInvalidFlow], an
// IPv6 flow with [ReasonIPv6]. It allocates nothing.
func (e *Engine) Evaluate(f Flow) Verdict {
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	if !src.IsValid() || !dst.IsValid() || f.Proto == ipproto.Unknown {
		return Verdict{Action: Deny, Reason: ReasonInvalidFlow, Rule: -1}
	}
	if !src.Is4() || !dst.Is4() {
		return Verdict{Action: Deny, Reason: ReasonIPv6, Rule: -1}
	}
	class := protoClassOf(f.Proto == ipproto.TCP, f.Proto == ipproto.UDP, f.Proto == ipproto.ICMP)
	var flags Flags

	if i, _, unk := e.nat.first(src, dst, class, f.DstPort); i >= 0 {
		v := Verdict{Action: DNAT, Reason: ReasonNatRule, SNAT: true, Rule: int32(i), Translated: e.xlate[i]}
		if e.xlateFQDN[i] {
			v.Flags |= FlagDNS
		}
		if !v.Translated.Addr().IsValid() || unk {
			v.Flags |= FlagUnknown
		}
		return v
	} else if unk {
		flags |= FlagUnknown
	}

	// Undecidable rules before the deciding one matter only when they could
	// change the outcome: an undecidable Deny before an Allow, an undecidable
	// Allow before a Deny, or an undecidable network-rule Allow (no SNAT to a
	// private destination) before an application-rule Allow (always SNAT).
	var und undecided
	i, viaDNS, unk := e.net.first(src, dst, class, f.DstPort)
	if unk {
		before := i
		if before < 0 {
			before = e.nNet
		}
		allow, deny := e.net.undecided(src, dst, class, f.DstPort, before)
		if allow {
			und.note(Allow, !e.private.Lookup(dst))
		}
		if deny {
			und.note(Deny, false)
		}
	}
	if i >= 0 {
		if viaDNS {
			flags |= FlagDNS
		}
		k := e.nNat + i
		a := e.rules[k].Action
		snat := a == Allow && !e.private.Lookup(dst)
		return Verdict{Action: a, Reason: ReasonNetworkRule, Flags: flags | und.flags(a, snat), Rule: int32(k), SNAT: snat}
	}

	if f.App != AppNone && f.Proto == ipproto.TCP {
		i := e.firstApp(src, dst, &f, &und)
		if i >= 0 {
			k := e.nNat + e.nNet + i
			a := e.rules[k].Action
			return Verdict{Action: a, Reason: ReasonApplicationRule, Flags: flags | und.flags(a, a == Allow), Rule: int32(k), SNAT: a == Allow}
		}
		flags |= FlagInfrastructure
	}
	return Verdict{Action: Deny, Reason: ReasonDefaultDeny, Flags: flags | und.flags(Deny, false), Rule: -1}
}

// undecided collects the outcomes that rules undecidable offline, evaluated
// before the deciding one, would have given had they matched.
type undecided struct {
	allowSNAT, allowNoSNAT, deny bool
}

func (u *undecided) note(a Action, snat bool) {
	switch {
	case a != Allow:
		u.deny = true
	case snat:
		u.allowSNAT = true
	default:
		u.allowNoSNAT = true
	}
}

// flags returns FlagUnknown when an undecidable rule could have decided
// differently from the verdict (action a, translation snat).
func (u *undecided) flags(a Action, snat bool) Flags {
	differs := false
	if a == Allow {
		differs = u.deny || (snat && u.allowNoSNAT) || (!snat && u.allowSNAT)
	} else {
		differs = u.allowSNAT || u.allowNoSNAT
	}
	if differs {
		return FlagUnknown
	}
	return 0
}

// firstApp returns the first application rule matching f (-1 if none),
// noting in und the undecidable ones before it. The rule sets of the flow's
// source, destination, protocol entry and name (see nameIndex) decide it
// in one AND; only rules with a target URL whose host matches the name are
// looked at one by one, for their paths.
func (e *Engine) firstApp(src, dst netip.Addr, f *Flow, und *undecided) int {
	name := strings.TrimSuffix(f.Name, ".")
	if name == "" {
		return -1 // no SNI or Host: no target matches, not even "*"
	}
	m, x := e.app, e.appx
	pk, pok := x.proto(f.App, f.DstPort)
	anyProto := (x.anyAllow != setEmpty || x.anyDeny != setEmpty) && f.DstPort >= 1 && f.DstPort <= MaxAppPort
	if !pok && !anyProto {
		return -1
	}
	sk, dk, ok := m.addrKeys(src, dst)
	if !ok {
		return -1
	}
	fk, uk := x.names.lookup(name)
	if !pok { // only rules whose protocols are unknown can match
		e.anyProtoApp(f, name, sk, dk, fk, uk, m.n, und)
		e.anySrcApp(f, name, sk, dk, setEmpty, fk, uk, m.n, und)
		return -1
	}
	i := m.firstAnd(sk, dk, pk, fk, 0, m.n)
	below := i
	if i < 0 {
		below = m.n
	}
	if uk != setEmpty {
		for j := m.firstAnd(sk, dk, pk, uk, 0, below); j >= 0; j = m.firstAnd(sk, dk, pk, uk, j+1, below) {
			if f.Path == "" {
				und.note(e.rules[e.nNat+e.nNet+j].Action, true)
			} else if e.apps[j].matchURL(name, f.Path) {
				i, below = j, j
				break
			}
		}
	}
	if x.undDeny != setEmpty && m.firstAnd(sk, dk, pk, x.undDeny, 0, below) >= 0 {
		und.note(Deny, true)
	}
	if x.undAllow != setEmpty && m.firstAnd(sk, dk, pk, x.undAllow, 0, below) >= 0 {
		und.note(Allow, true)
	}
	if anyProto {
		e.anyProtoApp(f, name, sk, dk, fk, uk, below, und)
	}
	e.anySrcApp(f, name, sk, dk, pk, fk, uk, below, und)
	return i
}

// anySrcApp notes in und the application rules whose sources or
// destinations are unknown (ApplicationRule.SourcesUnknown,
// DestinationsUnknown) before rule below that the flow's source is not
// among the known ones of (sk), or its destination (dk), but whose other
// conditions match it or are undecidable: each could have decided the
// flow. pk is the set of the flow's protocol entry (setEmpty if none).
// Only policies with such rules pay for it.
func (e *Engine) anySrcApp(f *Flow, name string, sk, dk, pk, fk, uk uint32, below int, und *undecided) {
	m := e.app
	if m.unres != setEmpty {
		e.anyAddrApp(f, name, sk, dk, pk, fk, uk, m.unres, below, und)
	}
	if !m.wide || m.srcAny == setEmpty {
		return
	}
	e.anyAddrApp(f, name, sk, dk, pk, fk, uk, m.srcAny, below, und)
}

// anyAddrApp is anySrcApp for the rules of set wide (those whose sources,
// or destinations, are unknown): a rule whose known source and destination
// both hold the flow's is decided, or noted, in firstApp; one whose side
// that does not hold it is unknown may match.
func (e *Engine) anyAddrApp(f *Flow, name string, sk, dk, pk, fk, uk, wide uint32, below int, und *undecided) {
	m, x := e.app, e.appx
	in := func(k uint32, j int) bool {
		return k != setEmpty && m.firstAnd(k, setFull, setFull, setFull, j, j+1) >= 0
	}
	portOK := f.DstPort >= 1 && f.DstPort <= MaxAppPort
	for j := m.firstAnd(wide, setFull, setFull, setFull, 0, below); j >= 0; j = m.firstAnd(wide, setFull, setFull, setFull, j+1, below) {
		srcOK, dstOK := in(sk, j), in(dk, j)
		if srcOK && dstOK || !srcOK && !in(m.srcAny, j) || !dstOK && !in(m.unres, j) {
			continue // decided, or noted, in firstApp; or it cannot match
		}
		a := e.rules[e.nNat+e.nNet+j].Action
		anyP := portOK && (in(x.anyAllow, j) || in(x.anyDeny, j))
		if !anyP && !in(pk, j) {
			continue
		}
		if in(fk, j) || in(x.undAllow, j) || in(x.undDeny, j) || in(uk, j) && (f.Path == "" || e.apps[j].matchURL(name, f.Path)) {
			und.note(a, true)
		}
	}
}

// anyProtoApp notes in und the application rules with unknown protocols
// (ApplicationRule.ProtocolsUnknown) before rule below whose addresses
// match (sk, dk) and whose targets match the flow's name (fk; a target URL
// whose host matches (uk) and whose path matches or is unknown) or are
// undecidable: each could have decided the flow, but never does.
func (e *Engine) anyProtoApp(f *Flow, name string, sk, dk, fk, uk uint32, below int, und *undecided) {
	m, x := e.app, e.appx
	for _, s := range [2]struct {
		set, und uint32
		a        Action
	}{{x.anyAllow, x.undAllow, Allow}, {x.anyDeny, x.undDeny, Deny}} {
		if s.set == setEmpty {
			continue
		}
		hit := m.firstAnd(sk, dk, s.set, fk, 0, below) >= 0 || s.und != setEmpty && m.firstAnd(sk, dk, s.set, s.und, 0, below) >= 0
		if !hit && uk != setEmpty {
			for j := m.firstAnd(sk, dk, s.set, uk, 0, below); j >= 0 && !hit; j = m.firstAnd(sk, dk, s.set, uk, j+1, below) {
				hit = f.Path == "" || e.apps[j].matchURL(name, f.Path)
			}
		}
		if hit {
			und.note(s.a, true)
		}
	}
}

// matchURL reports whether one of the rule's target URLs matches the name
// (non-empty, without trailing dot) and the path (non-empty).
func (r *appRule) matchURL(name, path string) bool {
	for _, u := range r.urls {
		if u.host.match(name) && u.matchPath(path) {
			return true
		}
	}
	return false
}

// Name returns the policy's name, or the firewall's for classic rules.
func (e *Engine) Name() string { return e.name }

// ThreatIntelMode returns the policy's threat-intelligence mode, which is
// recorded but not evaluated: Azure filters known-malicious addresses and
// FQDNs before any rule, and this package has no such feed.
func (e *Engine) ThreatIntelMode() ThreatIntelMode { return e.threat }

// Len returns the number of rules of all types.
func (e *Engine) Len() int { return len(e.rules) }

// RuleOf returns the rule that decided v, and false if none did (default
// deny, invalid or IPv6 flows) or v did not come from this engine.
func (e *Engine) RuleOf(v Verdict) (RuleInfo, bool) {
	if v.Rule < 0 || int(v.Rule) >= len(e.rules) {
		return RuleInfo{}, false
	}
	return e.rules[v.Rule], true
}

// Rules returns the rules in evaluation order with their indices (the
// values of [Verdict.Rule]).
func (e *Engine) Rules() iter.Seq2[int, RuleInfo] {
	return func(yield func(int, RuleInfo) bool) {
		for i, r := range e.rules {
			if !yield(i, r) {
				return
			}
		}
	}
}

// Explain renders v as one line, for example
//
//	Allow: network rule "child/rcg-300/net-700/web" (Allow): a network rule matched; SNAT
func (e *Engine) Explain(v Verdict) string {
	var b strings.Builder
	b.WriteString(v.Action.String())
	b.WriteString(": ")
	if r, ok := e.RuleOf(v); ok {
		b.WriteString(r.String())
		b.WriteString(": ")
	}
	b.WriteString(v.Reason.Text())
	if v.Action == DNAT {
		b.WriteString("; to ")
		if v.Translated.Addr().IsValid() {
			b.WriteString(v.Translated.String())
		} else {
			b.WriteString("unresolved FQDN:" + strconv.Itoa(int(v.Translated.Port())))
		}
	}
	if v.SNAT {
		b.WriteString("; SNAT")
	}
	if v.Flags&FlagDNS != 0 {
		b.WriteString("; depends on DNS")
	}
	if v.Flags&FlagUnknown != 0 {
		b.WriteString("; an earlier rule could not be decided offline")
	}
	if v.Flags&FlagInfrastructure != 0 {
		b.WriteString("; the built-in infrastructure rule collection is not modelled")
	}
	return b.String()
}

// RuleInfo names one rule and where it sits in the policy, or among a
// firewall's classic rules.
type RuleInfo struct {
	Type      RuleType
	Action    Action // the collection's action
	Inherited bool   // the rule belongs to the parent policy
	// Policy is the name of the policy that holds the rule; for a classic
	// rule, the name of the firewall.
	Policy string
	// Classic marks a firewall's classic rule ([CompileClassic]): it has no
	// group (Group "", GroupPriority 0, GroupIndex -1), and CollectionIndex
	// counts in the list of its type (natRuleCollections,
	// networkRuleCollections or applicationRuleCollections).
	Classic bool

	Group, Collection, Rule           string
	GroupPriority, CollectionPriority int
	// Positions in the input lists, 0-based.
	GroupIndex, CollectionIndex, RuleIndex int
}

// Path returns "policy/group/collection/rule", or for a classic rule
// "firewall/collection/rule".
func (r RuleInfo) Path() string {
	if r.Classic {
		return r.Policy + "/" + r.Collection + "/" + r.Rule
	}
	return r.Policy + "/" + r.Group + "/" + r.Collection + "/" + r.Rule
}

// String returns, for example, `network rule "child/rcg/net/web" (Allow)`.
func (r RuleInfo) String() string {
	t := map[RuleType]string{RuleTypeNat: "DNAT rule", RuleTypeNetwork: "network rule", RuleTypeApplication: "application rule"}[r.Type]
	if t == "" {
		t = r.Type.String()
	}
	return t + " " + strconv.Quote(r.Path()) + " (" + r.Action.String() + ")"
}
