package walkref

import (
	"net/netip"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/topology"
)

// fwRules is what decides an Azure Firewall's traffic: the reference
// evaluator of its policy (or, without one, its classic rule collections),
// and its SNAT private ranges; ev is nil when the model has neither, or
// they are not in the input, or Azure would reject them.
type fwRules struct {
	ev      *fwref.Evaluator
	policy  string   // the step's policy name: the policy's, or "classic rules"
	private []string // SNAT private ranges as configured (nil: IANAPrivateRanges)
}

func (t *Twin) fwRulesOf(f *topology.Firewall) *fwRules {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, ok := t.fws[f]; ok {
		return r
	}
	r := &fwRules{}
	res := t.m.FirewallResolvers(t.opts.Tags, t.opts.DNS)
	switch {
	case !f.Policy.IsZero():
		if pol, err := t.m.FirewallPolicy(f.Policy); err == nil && !t.rejected[f.Policy.Key()] && !t.rejectedBase(pol) {
			if ev, err := fwref.New(pol, res); err == nil {
				r.ev, r.policy, r.private = ev, pol.Name, pol.SNATPrivateRanges
			}
		}
	case f.HasClassicRules():
		if cl, err := t.m.FirewallClassic(f.ID); err == nil && !t.rejected[f.ID.Key()] {
			if ev, err := fwref.NewClassic(cl, res); err == nil {
				r.ev, r.policy, r.private = ev, "classic rules", cl.SNATPrivateRanges
			}
		}
	}
	t.fws[f] = r
	return r
}

// rejectedBase reports whether a policy's base policy is one Azure would
// reject.
func (t *Twin) rejectedBase(p *firewall.Policy) bool {
	for _, fp := range t.m.FirewallPolicies {
		if p.Parent != nil && fp.Name == p.Parent.Name && t.rejected[fp.ID.Key()] {
			return true
		}
	}
	return false
}

// firewall decides the flow at Azure Firewall f
// (https://learn.microsoft.com/azure/firewall/rule-processing), records the
// step on the firewall's hop, and reports whether the firewall translates
// the flow's source and whether the flow goes on. A verdict that depends on
// what cannot be decided offline is Unknown, with the path shown as if the
// firewall allowed; so is a firewall whose rules are not in the model, or
// in the FirewallUnknown mode.
func (w *walk) firewall(f *topology.Firewall) (snat, ok bool) {
	t := w.t
	rules := t.fwRulesOf(f)
	dst := w.f.Dst
	// SNAT: network-rule allows translate destinations outside the SNAT
	// private ranges (https://learn.microsoft.com/azure/firewall/snat-private-range).
	snat = !ianaPrivate(dst)
	if rules.ev != nil && dst.Is4() {
		snat = !inPrivateRanges(rules.private, dst)
	}
	evaluated := t.opts.Firewall == FirewallEvaluate && rules.ev != nil
	if !evaluated {
		if t.opts.Firewall != FirewallAllow {
			w.assumed = true
		}
		return snat, true
	}
	v := rules.ev.Evaluate(w.firewallFlow())
	step := Step{Direction: "Forward", Stage: "AzureFirewall", Source: rules.policy, Access: v.Action.String(), Rule: v.Rule}
	if step.Rule == "" {
		step.Rule = v.Reason.String()
	}
	h := &w.res.Hops[len(w.res.Hops)-1]
	h.Security = append(h.Security, step)
	if v.Flags&firewall.FlagUnknown != 0 {
		// A rule before the deciding one cannot be decided offline: the
		// verdict is Unknown; the path is shown as if the firewall allowed,
		// translating as a network rule's allow would.
		w.unknown = true
		if v.Action == firewall.Deny {
			return snat, true
		}
		return v.SNAT, true
	}
	if v.Action != firewall.Allow && v.Action != firewall.DNAT {
		w.res.DeniedBy = Rule{Stage: "AzureFirewall", Source: f.Name, Rule: v.Rule}
		w.end(Denied, ReasonFirewallDenied, MethodNone)
		return false, false
	}
	return v.SNAT, true
}

// firewallFlow is the flow as the firewall's rules see it: a TCP flow with
// a host name carries an application protocol — HTTP on port 80, MSSQL on
// 1433, HTTPS otherwise (simulate's documented assumption; the name is the
// SNI or Host header).
func (w *walk) firewallFlow() firewall.Flow {
	f := firewall.Flow{Src: w.src, Dst: w.f.Dst, Proto: w.f.Proto, DstPort: w.f.DstPort}
	if !w.f.Proto.HasPorts() {
		f.DstPort = 0
	}
	if w.f.Host != "" && w.f.Proto == ipproto.TCP {
		f.Name = w.f.Host
		switch w.f.DstPort {
		case 80:
			f.App = firewall.AppHTTP
		case 1433:
			f.App = firewall.AppMSSQL
		default:
			f.App = firewall.AppHTTPS
		}
	}
	return f
}

// inPrivateRanges reports whether dst is in a firewall's SNAT private
// ranges as configured: nil means IANAPrivateRanges; the keyword
// IANAPrivateRanges keeps them; 255.255.255.255/32 means none (always
// SNAT); otherwise addresses, CIDRs and ranges "a-b"
// (https://learn.microsoft.com/azure/firewall/snat-private-range).
func inPrivateRanges(items []string, dst netip.Addr) bool {
	if items == nil {
		items = []string{"IANAPrivateRanges"}
	}
	for _, s := range items {
		s = strings.TrimSpace(s)
		switch {
		case strings.EqualFold(s, "IANAPrivateRanges"):
			if dst.Is4() && ianaPrivate(dst) {
				return true
			}
		case s == "255.255.255.255/32" || s == "255.255.255.255":
		case strings.Contains(s, "-"):
			lo, hi, _ := strings.Cut(s, "-")
			a, err1 := netip.ParseAddr(strings.TrimSpace(lo))
			b, err2 := netip.ParseAddr(strings.TrimSpace(hi))
			if err1 == nil && err2 == nil && a.Compare(dst) <= 0 && dst.Compare(b) <= 0 {
				return true
			}
		case strings.Contains(s, "/"):
			if p, err := netip.ParsePrefix(s); err == nil && p.Contains(dst) {
				return true
			}
		default:
			if a, err := netip.ParseAddr(s); err == nil && a == dst {
				return true
			}
		}
	}
	return false
}
