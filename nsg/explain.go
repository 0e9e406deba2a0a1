package nsg

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
)

// Field is a set of rule conditions, used to say which conditions of a rule a
// flow failed.
type Field uint8

// The conditions of a rule.
const (
	FieldProtocol        Field = 1 << iota // the rule's protocol
	FieldSource                            // the source addresses
	FieldSourcePort                        // the source ports
	FieldDestination                       // the destination addresses
	FieldDestinationPort                   // the destination ports
	FieldPlatform                          // platform traffic, and the destination is not an AzurePlatform* tag
)

var fieldNames = [...]string{"protocol", "source", "sourcePort", "destination", "destinationPort", "platform"}

// String returns the names of the conditions in f, comma-separated, in the
// order protocol, source, sourcePort, destination, destinationPort,
// platform; "" for none.
func (f Field) String() string {
	var parts []string
	for i, n := range fieldNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

// Mismatch is a rule that was evaluated before the deciding one and did not
// match, with the conditions the flow failed.
type Mismatch struct {
	Rule   RuleInfo
	Failed Field
}

// Step is what one stage did with a flow.
type Step struct {
	Stage   Stage
	Group   string   // the group's ID; "" when the stage has no group
	Present bool     // the stage has a group (an NSG, or admin rules)
	Matched bool     // a rule of the group matched; it is Rule
	Rule    RuleInfo // the matching rule, if Matched
	// Skipped lists, in evaluation order, the rules of the flow's direction
	// evaluated before the match (all of them when nothing matched), with the
	// conditions each failed.
	Skipped []Mismatch
}

// Explanation is a verdict with its reasons: the steps taken, in evaluation
// order, up to the one that decided. It is built off the hot path by
// [Classifier.Explain].
type Explanation struct {
	Flow    Flow
	Verdict Verdict
	Steps   []Step
}

// String renders the explanation on a few lines, for people.
func (e Explanation) String() string {
	var b strings.Builder
	b.WriteString(e.Verdict.Access.String())
	b.WriteString(" (")
	b.WriteString(e.Verdict.Reason.String())
	b.WriteString(")\n")
	for _, s := range e.Steps {
		b.WriteString("  ")
		b.WriteString(s.Stage.String())
		switch {
		case !s.Present:
			b.WriteString(": none\n")
			continue
		case s.Matched:
			b.WriteString(" " + lastSegment(s.Group) + ": " + s.Rule.DisplayName(ViewEffective) + " " +
				strconv.Itoa(s.Rule.Priority) + " " + s.Rule.Access.String())
		default:
			b.WriteString(" " + lastSegment(s.Group) + ": no rule matched")
		}
		if n := len(s.Skipped); n > 0 {
			b.WriteString(" (after " + strconv.Itoa(n) + " rules that did not match)")
		}
		b.WriteString("\n")
		for _, m := range s.Skipped {
			b.WriteString("    " + m.Rule.DisplayName(ViewEffective) + " " + strconv.Itoa(m.Rule.Priority) + ": " + m.Failed.String() + "\n")
		}
	}
	return b.String()
}

// Explain classifies f like [Classifier.Verdict] and explains the verdict:
// which stages ran, which rule matched in each, and for every rule evaluated
// before it which conditions the flow failed. It allocates and costs
// O(rules × prefixes); use it for reports, not per packet.
func (c *Classifier) Explain(f Flow) Explanation {
	v := c.Verdict(f)
	e := Explanation{Flow: f, Verdict: v}
	if !f.Direction.IsValid() {
		return e
	}
	src, dst := f.Src.Unmap(), f.Dst.Unmap()
	sp, dp := f.SrcPort, f.DstPort
	if !f.Proto.HasPorts() {
		sp, dp = 0, 0
	}
	platform := f.Direction == Outbound && isPlatform(dst)
	sm, dm := c.scope.mask(src), c.scope.mask(dst)
	di := dirIndex(f.Direction)
	for _, st := range stageOrder[di] {
		g := c.groups[st]
		step := Step{Stage: st, Present: g != nil}
		if g == nil {
			if st != StageAdmin {
				e.Steps = append(e.Steps, step)
			}
			continue
		}
		step.Group = g.id
		rs := g.rules[di]
		end := len(rs)
		if i := v.Rules.At(st); i >= 0 {
			end = int(i)
			step.Matched = true
			step.Rule = g.info(&rs[i])
		}
		for k := range end {
			r := &rs[k]
			step.Skipped = append(step.Skipped, Mismatch{Rule: g.info(r),
				Failed: failed(r, f.Proto, src, dst, sm, dm, sp, dp, platform)})
		}
		e.Steps = append(e.Steps, step)
		if step.Matched && (g.tables[di].access[v.Rules.At(st)] != Allow) {
			break // Deny, or an admin AlwaysAllow: evaluation ends here
		}
	}
	return e
}

// failed returns the conditions of r that the (normalised) flow fails.
func failed(r *rule, proto ipproto.Proto, src, dst netip.Addr, sm, dm uint8, sp, dp uint16, platform bool) Field {
	f := failedFields(r, src, dst, sm, dm, sp, dp, platform)
	if !r.proto.Matches(proto) {
		f |= FieldProtocol
	}
	return f
}

func failedFields(r *rule, src, dst netip.Addr, sm, dm uint8, sp, dp uint16, platform bool) Field {
	var f Field
	if !sideMatches(&r.src, src, sm) {
		f |= FieldSource
	}
	if !portsMatch(r.sports, sp) {
		f |= FieldSourcePort
	}
	if !sideMatches(&r.dst, dst, dm) {
		f |= FieldDestination
	}
	if !portsMatch(r.dports, dp) {
		f |= FieldDestinationPort
	}
	if platform && !r.dst.platform {
		f |= FieldPlatform
	}
	return f
}
