package simulate

import (
	"fmt"

	"github.com/egresslab/egress/perimeter"
	"github.com/egresslab/egress/topology"
)

// gateOutcome is a network security perimeter's answer for a PaaS
// source's flow.
type gateOutcome uint8

const (
	gateNone    gateOutcome = iota // no perimeter has a say: not associated, not SecuredByPerimeter
	gateAllow                      // the perimeter lets it out
	gateDeny                       // the perimeter denies it
	gateUnknown                    // what the perimeter does is unknown
)

// perimeterState is what decides a PaaS source's flows at its perimeter,
// bound once at compile time.
type perimeterState struct {
	bind   topology.PerimeterBinding
	access perimeter.PublicAccess
}

// gate returns the source's perimeter gate.
func (p *perimeterState) gate() perimeter.Gate {
	return perimeter.Gate{Associated: p.bind.Associations > 0, Mode: p.bind.Mode, Access: p.access, Profile: p.bind.Rules}
}

// enforced reports whether the perimeter's rules alone decide the source's
// outbound traffic (Enforced mode, or SecuredByPerimeter).
func (p *perimeterState) enforced() bool {
	return p.access == perimeter.SecuredByPerimeter || p.bind.Associations > 0 && p.bind.Mode == perimeter.Enforced
}

// perimeterStep decides an AI services account's outbound call to dst at
// its network security perimeter (network-security-perimeter-transition's
// outbound table; paas-semantics §3.5), adding the step to the source hop
// and the assumptions to the result. wouldDeny says that the flow is
// allowed only because the association is not enforced.
func (e *Engine) perimeterStep(p *perimeterState, dst string, tr *tracer) (out gateOutcome, decidedBy string, wouldDeny bool) {
	b := p.bind
	step := SecurityStep{Direction: "Outbound", Stage: StagePerimeter, Perimeter: b.Perimeter.Name(), AccessMode: b.ModeText}
	if b.Associations > 0 && step.AccessMode == "" {
		step.AccessMode = perimeter.Learning.String()
	}
	add := func(access, rule string) {
		step.Access, step.Rule = access, rule
		tr.hops[0].Security = append(tr.hops[0].Security, step)
	}
	switch {
	case b.Associations > 1:
		tr.paas("A-26")
		add("Unknown", fmt.Sprintf("%d perimeter associations", b.Associations))
		return gateUnknown, "", false
	case b.Associations == 1 && !b.ModeKnown:
		add("Unknown", "accessMode "+b.ModeText+" is not a documented mode")
		return gateUnknown, "", false
	case b.Associations == 1 && b.ProfileState != topology.RefInput:
		if !p.enforced() {
			add("Allow", "profile "+b.Profile.Name()+" is not in the input (not enforced)")
			return gateAllow, "", false
		}
		add("Unknown", "profile "+b.Profile.Name()+" is not in the input: its access rules are unknown")
		return gateUnknown, "", false
	case b.Associations == 0 && p.access != perimeter.SecuredByPerimeter:
		return gateNone, "", false // "Outbound: Allowed"
	}
	if b.Associations == 1 {
		tr.paas("A-29")
	}
	intra := b.Associations == 1 && e.net.InPerimeter(dst, b.Perimeter)
	d := p.gate().Decide(dst, intra)
	if p.access != perimeter.Unset {
		tr.paas("A-20")
	}
	for _, id := range d.Assumptions.IDs() {
		tr.paas(id)
	}
	if b.Associations == 0 {
		add("Deny", "publicNetworkAccess SecuredByPerimeter without a perimeter association (\""+d.Cell+"\")")
		return gateDeny, "NetworkSecurityPerimeter: publicNetworkAccess SecuredByPerimeter and no association", false
	}
	who := "profile " + b.Profile.Name() + " of perimeter " + b.Perimeter.Name()
	rule := func() string {
		return fmt.Sprintf("outbound access rule %s (%s)", b.Rules.RuleName(d.Rule), b.Rules.Entry(d.Rule, d.Entry))
	}
	switch {
	case d.IntraPerimeter:
		add("Allow", "intra-perimeter: the destination is a resource associated with perimeter "+b.Perimeter.Name())
		return gateAllow, "NetworkSecurityPerimeter " + b.Perimeter.Name() + ": intra-perimeter", false
	case d.Outcome == perimeter.Allowed && d.Rule >= 0 && d.Entry >= 0 && !d.WouldDeny && d.Enforced:
		add("Allow", rule())
		return gateAllow, "NetworkSecurityPerimeter " + who + ": " + rule(), false
	case d.Outcome == perimeter.Allowed && d.WouldDeny:
		step.WouldBeDenied = true
		add("Allow", "fallback to the resource's settings ("+step.AccessMode+" mode, \""+d.Cell+"\"): no outbound access rule of "+who+" allows it")
		return gateAllow, "", true
	case d.Outcome == perimeter.Allowed && d.Rule >= 0 && d.Entry >= 0:
		add("Allow", rule()+" (not enforced: "+step.AccessMode+" mode)")
		return gateAllow, "", false
	case d.Outcome == perimeter.Allowed:
		// Not enforced; only a wildcard (or an A-label) could allow it.
		add("Allow", "fallback to the resource's settings ("+step.AccessMode+" mode); only a rule whose meaning is undocumented could allow it, so whether enforcing denies it is unknown")
		return gateAllow, "", false
	case d.Outcome == perimeter.Unknown:
		r := "no rule allows it by name; a rule whose meaning is undocumented (a wildcard, A-24) could"
		if d.Rule >= 0 && d.Entry >= 0 {
			r = fmt.Sprintf("outbound access rule %s (%s) could allow it: wildcard rules are undocumented (A-24)", b.Rules.RuleName(d.Rule), b.Rules.Entry(d.Rule, d.Entry))
		}
		add("Unknown", r)
		return gateUnknown, "", false
	}
	mode := "Enforced mode"
	if p.access == perimeter.SecuredByPerimeter && b.Mode != perimeter.Enforced {
		mode = "publicNetworkAccess SecuredByPerimeter"
	}
	add("Deny", "no outbound access rule of "+who+" allows it ("+mode+": \""+d.Cell+"\")")
	return gateDeny, "NetworkSecurityPerimeter " + who + ": no outbound access rule allows it (" + mode + ")", false
}
