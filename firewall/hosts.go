package firewall

import "slices"

// HostWitness is a server name that application rules tell apart: one
// name that a target FQDN (or FQDN-tag FQDN, or target URL host) of the
// engine's application rules matches, for [Engine.HostWitnesses].
type HostWitness struct {
	// Pattern is the target as the rule matches it, in lower case:
	// "*.blob.core.windows.net", "www.contoso.com", "*"; for a target URL,
	// its host ("www.contoso.com" of "www.contoso.com/path/*").
	Pattern string
	// Host is a name Pattern matches: the pattern itself when it has no
	// wildcard, else the suffix behind an "x" ("x.blob.core.windows.net"
	// for "*.blob.core.windows.net", "xcontoso.com" for "*contoso.com"),
	// or "x.invalid" (RFC 2606) for "*".
	Host string
	// Rule is the first rule (in evaluation order, the index
	// [Engine.Rules] gives) that carries Pattern.
	Rule int
	// URL: Pattern is a target URL's host, whose rules also match on the
	// path (a flow with no path is undecidable there).
	URL bool
}

// OtherHost is a server name that no target pattern matches but the ones
// that match every name ("*", "*.invalid", "*invalid" and the like): the
// witness of "a name no rule names".
const OtherHost = "other.invalid"

// HostWitnesses returns one witness per distinct target pattern of the
// application rules, in rule order, then [OtherHost] (Pattern "", Rule -1)
// when there is any application rule: together they are names whose flows
// can meet every application-rule outcome but those that hinge on a name
// matching two patterns at once (a flow's outcome is decided by the first
// rule that matches, so a name matched by an Allow pattern and an earlier
// Deny pattern has its own outcome; such overlaps are not enumerated). Web
// categories and unresolvable FQDN tags have no witness (they are
// undecidable offline). A classic firewall's application rules count as
// well. The result is nil for an engine without application rules.
func (e *Engine) HostWitnesses() []HostWitness {
	if len(e.apps) == 0 {
		return nil
	}
	first := e.nNat + e.nNet // rules are DNAT, network, application
	var out []HostWitness
	seen := map[string]bool{}
	add := func(p fqdnPattern, rule int, url bool) {
		pat := p.suffix
		if p.wildcard {
			pat = "*" + p.suffix
		}
		if seen[pat] {
			return
		}
		seen[pat] = true
		out = append(out, HostWitness{Pattern: pat, Host: witnessHost(p), Rule: first + rule, URL: url})
	}
	for i := range e.apps {
		for _, p := range e.apps[i].fqdns {
			add(p, i, false)
		}
		for _, u := range e.apps[i].urls {
			add(u.host, i, true)
		}
	}
	out = append(out, HostWitness{Host: OtherHost, Rule: -1})
	return slices.Clip(out)
}

// witnessHost returns a name p matches.
func witnessHost(p fqdnPattern) string {
	switch {
	case !p.wildcard:
		return p.suffix
	case p.suffix == "":
		return "x.invalid"
	}
	return "x" + p.suffix
}
