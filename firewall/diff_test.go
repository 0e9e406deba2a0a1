package firewall_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// TestDifferential holds the compiled engine equal to the reference
// evaluator (internal/fwref) on seeded random policies — parent
// and child, DNAT, network and application rules, service tags, IP groups,
// DNS-resolved FQDNs, FQDN tags, URLs and web categories, application
// rules of up to 30 names drawn from shared exact, "*.x", "*x" and "*"
// patterns, up to 1,500 rules — and random flows, a third of them aimed at
// an application rule with a name that matches one of its targets or
// narrowly misses it. Every outcome in requiredOutcomes must occur.
func TestDifferential(t *testing.T) {
	policies, flows, maxRules := 200, 4000, 1500
	if testing.Short() {
		policies, flows, maxRules = 40, 1500, 400
	}
	total := 0
	stats := map[string]int{}
	seen := map[string]int{}
	for pi := range policies {
		g := newGen(uint64(pi + 1))
		n := 1 + g.r.IntN(60)
		if pi%4 == 0 {
			n = maxRules/2 + g.r.IntN(maxRules/2)
		}
		p := g.policy(n)
		e, err := firewall.Compile(p, g.res)
		require.NoError(t, err, "policy %d", pi)
		ref, err := fwref.New(p, g.res)
		require.NoError(t, err, "policy %d", pi)
		c := newClassifier(e, g, ref)
		bad := 0
		for range flows {
			f := g.flow()
			got, want := result(e, e.Evaluate(f)), ref.Evaluate(f)
			total++
			stats[want.Reason.String()+"/"+want.Action.String()+"/"+want.Flags.String()]++
			for _, o := range c.outcomes(f, g.last, want) {
				seen[o]++
			}
			if got != want {
				bad++
				if bad <= 3 {
					t.Errorf("policy %d (%d rules): Evaluate(%+v)\n got %v\nwant %v", pi, e.Len(), f, got, want)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("policy %d: %d disagreements", pi, bad)
		}
	}
	for _, o := range requiredOutcomes {
		if seen[o] == 0 {
			t.Errorf("outcome %q never occurred in %d flows", o, total)
		}
	}
	t.Logf("%d flows, 0 disagreements; outcomes %v; verdicts %v", total, seen, stats)
}

// requiredOutcomes are the cases TestDifferential must meet at least once,
// so that a generator change cannot quietly stop testing one of them. The
// wildcard cases are those of the FAQ's table
// (https://learn.microsoft.com/azure/firewall/firewall-faq, wildcards).
var requiredOutcomes = []string{
	"app rule Allow", "app rule Deny",
	"via exact name", "via *.x", "via *x at a label", "via *x inside a label", "via *x equal to x", "via *", "via target URL",
	"app rule for an upper-case name", "app rule for a trailing-dot name",
	"app rule, earlier rule undecidable",
	"undecidable: URL without the flow's path",
	"app verdict unknown though the flow has a path",
	"default deny, application rule undecidable",
	"app flow without a name: default deny",
	"aimed name decided by its rule",
	"name shadowed by an earlier rule of the other action",
	"near miss passed over the rule",
	"near miss decided by a later application rule",
	"network rule via DNS", "network rule, earlier rule undecidable", "DNAT",
}

// classifier names the outcomes of flows on one policy, from the
// reference's verdicts and the policy's own rules, with plain string
// comparisons.
type classifier struct {
	order  map[string]int             // rule path -> index in evaluation order
	action map[string]firewall.Action // rule path -> action
	apps   map[string]firewall.ApplicationRule
	tags   firewall.FQDNTagResolver
	ref    *fwref.Evaluator
}

func newClassifier(e *firewall.Engine, g *gen, ref *fwref.Evaluator) *classifier {
	c := &classifier{order: map[string]int{}, action: map[string]firewall.Action{}, apps: map[string]firewall.ApplicationRule{}, tags: g.res.FQDNTags, ref: ref}
	for i, r := range e.Rules() {
		c.order[r.Path()], c.action[r.Path()] = i, r.Action
	}
	for _, a := range g.aims {
		c.apps[a.path] = a.rule
	}
	return c
}

func (c *classifier) outcomes(f firewall.Flow, info flowInfo, v fwref.Result) []string {
	var out []string
	appFlow := f.App != firewall.AppNone && f.Proto == ipproto.TCP
	unknown := v.Flags&firewall.FlagUnknown != 0
	switch v.Reason {
	case firewall.ReasonApplicationRule:
		out = append(out, "app rule "+v.Action.String())
		if f.Name != strings.ToLower(f.Name) {
			out = append(out, "app rule for an upper-case name")
		}
		if strings.HasSuffix(f.Name, ".") {
			out = append(out, "app rule for a trailing-dot name")
		}
		if unknown {
			out = append(out, "app rule, earlier rule undecidable")
			if f.Path != "" {
				out = append(out, "app verdict unknown though the flow has a path")
			}
		}
		r := c.apps[v.Rule]
		targets := append([]string{}, r.TargetFqdns...)
		for _, t := range r.FqdnTags {
			fq, _ := c.tags.FQDNTag(t)
			targets = append(targets, fq...)
		}
		name := strings.ToLower(strings.TrimSuffix(f.Name, "."))
		via := false
		for _, p := range targets {
			if k := matchKind(p, name); k != "" {
				out, via = append(out, "via "+k), true
			}
		}
		if !via {
			out = append(out, "via target URL")
		}
	case firewall.ReasonDefaultDeny:
		if appFlow && unknown {
			out = append(out, "default deny, application rule undecidable")
		}
		if appFlow && strings.TrimSuffix(f.Name, ".") == "" {
			out = append(out, "app flow without a name: default deny")
		}
	case firewall.ReasonNetworkRule:
		if v.Flags&firewall.FlagDNS != 0 {
			out = append(out, "network rule via DNS")
		}
		if unknown {
			out = append(out, "network rule, earlier rule undecidable")
		}
	case firewall.ReasonNatRule:
		out = append(out, "DNAT")
	}
	if appFlow && unknown && f.Path == "" {
		g := f
		g.Path = "/elsewhere/"
		if c.ref.Evaluate(g).Flags&firewall.FlagUnknown == 0 {
			out = append(out, "undecidable: URL without the flow's path")
		}
	}
	if info.aim != "" {
		decider, aimed := len(c.order), c.order[info.aim]
		if v.Rule != "" {
			decider = c.order[v.Rule]
		}
		switch {
		case info.near && decider > aimed:
			out = append(out, "near miss passed over the rule")
			if v.Reason == firewall.ReasonApplicationRule {
				out = append(out, "near miss decided by a later application rule")
			}
		case !info.near && decider == aimed:
			out = append(out, "aimed name decided by its rule")
		case !info.near && decider < aimed && v.Reason == firewall.ReasonApplicationRule && v.Action != c.action[info.aim]:
			out = append(out, "name shadowed by an earlier rule of the other action")
		}
	}
	return out
}

// matchKind says how target FQDN p (as written) matches name (lower case,
// without trailing dot), following the FAQ's examples, or "" if it does
// not.
func matchKind(p, name string) string {
	p = strings.ToLower(strings.TrimSuffix(p, "."))
	switch {
	case name == "":
		return ""
	case p == "*":
		return "*"
	case strings.HasPrefix(p, "*."):
		if strings.HasSuffix(name, p[1:]) {
			return "*.x"
		}
	case strings.HasPrefix(p, "*"):
		x := p[1:]
		switch {
		case name == x:
			return "*x equal to x"
		case !strings.HasSuffix(name, x):
		case name[len(name)-len(x)-1] == '.':
			return "*x at a label"
		default:
			return "*x inside a label"
		}
	case name == p:
		return "exact name"
	}
	return ""
}
