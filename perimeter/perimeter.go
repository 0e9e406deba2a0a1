// Package perimeter decides whether a network security perimeter
// (Microsoft.Network/networkSecurityPerimeters) lets an associated PaaS
// resource make an outbound call
// (https://learn.microsoft.com/azure/private-link/network-security-perimeter-concepts,
// https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition).
//
// What Learn documents, and what egress follows:
//
//   - Outbound access rules are FQDN-based ("Outbound | FQDN-based rules",
//     network-security-perimeter-concepts); there are no outbound address
//     rules, so an IP destination never matches one.
//   - An association's accessMode is Learning (shown as "Transition mode
//     (formerly Learning mode)", the default), Enforced or Audit. In
//     Enforced mode "all traffic except intra-perimeter traffic is denied
//     ... unless an Allow access rule exists"; in Learning mode a flow no
//     rule allows falls back to the resource's own settings, which do not
//     restrict public outbound. The outbound cells of the transition page's
//     table are [Table].
//   - publicNetworkAccess SecuredByPerimeter denies public outbound without
//     an association and makes a Learning association behave as Enforced
//     ("The original Enabled and Disabled values did not restrict public
//     outbound behavior but SecuredByPerimeter does").
//
// What Learn does not document is an assumption, named by its id in the
// PaaS semantics notes (docs/paas-semantics.md §3.5) and stated with each
// answer that relies on it:
//
//   - Audit ("dry run": evaluated, logged, not enforced; SDK enum
//     text only) decides as Learning does.
//   - traffic to a resource associated with the same perimeter is
//     allowed, at network level, when authenticated with a managed
//     identity, which egress does not model.
//   - fullyQualifiedDomainNames entries match the destination name
//     exactly, in ASCII lower case, one trailing dot ignored; a wildcard
//     entry makes a destination it could match Unknown (as A-6 for
//     allow-lists).
//
// A [Profile] is compiled once from its outbound rules and is immutable and
// safe for concurrent use; [Gate.Decide] allocates nothing for a lower-case
// destination. The package has a slow twin in its tests, written from the
// decision table, that the differential and fuzz tests hold it equal to.
package perimeter

import (
	"fmt"
	"slices"
	"strings"

	"github.com/egresslab/egress/allowlist"
)

// AccessMode is an association's accessMode (enum AssociationAccessMode of
// the Microsoft.Network networkSecurityPerimeter API, 2024-07-01 and later).
type AccessMode uint8

// Access modes. The zero value is Learning, the default ("Transition mode
// (formerly Learning mode) — Default access mode", network-security-perimeter-concepts).
const (
	Learning AccessMode = iota // transition mode: perimeter rules, else the resource's own settings
	Enforced                   // only perimeter rules (and intra-perimeter traffic) allow
	Audit                      // dry run: evaluated and logged, not enforced
	numModes
)

var modeNames = [numModes]string{"Learning", "Enforced", "Audit"}

// String returns the mode's API value.
func (m AccessMode) String() string {
	if m < numModes {
		return modeNames[m]
	}
	return fmt.Sprintf("AccessMode(%d)", uint8(m))
}

// ParseAccessMode parses an accessMode value in any letter case. The API
// models the enum as a string, so an unknown value is an error the loader
// reports as a warning (the association is then undecidable).
func ParseAccessMode(s string) (AccessMode, error) {
	for i, n := range modeNames {
		if strings.EqualFold(n, s) {
			return AccessMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown access mode %q: want Learning, Enforced or Audit", s)
}

// PublicAccess is a PaaS resource's publicNetworkAccess, as far as it
// concerns a perimeter.
type PublicAccess uint8

// Values of publicNetworkAccess. Unset (absent from the input) decides as
// Enabled: neither restricts public outbound.
const (
	Unset PublicAccess = iota
	Enabled
	Disabled
	SecuredByPerimeter
	numAccess
)

var accessNames = [numAccess]string{"", "Enabled", "Disabled", "SecuredByPerimeter"}

// String returns the value's API spelling ("" for Unset).
func (a PublicAccess) String() string {
	if a < numAccess {
		return accessNames[a]
	}
	return fmt.Sprintf("PublicAccess(%d)", uint8(a))
}

// ParsePublicAccess parses publicNetworkAccess in any letter case (A-20:
// resource providers differ in the case they return); "" is Unset.
func ParsePublicAccess(s string) (PublicAccess, error) {
	for i, n := range accessNames {
		if strings.EqualFold(n, s) {
			return PublicAccess(i), nil
		}
	}
	return 0, fmt.Errorf("unknown publicNetworkAccess %q: want Enabled, Disabled or SecuredByPerimeter", s)
}

// Rule is one outbound access rule of a profile, as written.
type Rule struct {
	Name  string
	FQDNs []string // fullyQualifiedDomainNames
}

// Problem is an entry of a rule's fullyQualifiedDomainNames that is not a
// DNS name (an error) or whose meaning is undocumented (a warning).
type Problem struct {
	Rule, Index int // the rule's position, the entry's position in its list
	Entry       string
	Warning     bool
	Assumption  string // "A-24", "A-6", ...
	Detail      string
}

// Profile is a perimeter profile's outbound access rules, compiled. The
// zero Profile has no rules. A Profile is immutable and safe for
// concurrent use.
type Profile struct {
	rules []compiledRule
}

type compiledRule struct {
	name string
	list *allowlist.List
	text []string // the entries as written
}

// Compile compiles a profile's outbound rules, in order, and returns every
// problem of their entries. Entries in error match nothing; the profile is
// usable even with errors. Perimeter rules have no address, port or URL
// form, so what an allow-list tolerates with a warning (an IPv4 literal, a
// port, a scheme or a path) is an error here.
func Compile(rules []Rule) (*Profile, []Problem) {
	p := &Profile{rules: make([]compiledRule, 0, len(rules))}
	var probs []Problem
	for ri, r := range rules {
		l, _ := allowlist.Compile(r.FQDNs)
		var blank []string // r.FQDNs with the entries in error emptied, when there are any
		for i, s := range r.FQDNs {
			e, err := allowlist.Parse(s)
			pr := Problem{Rule: ri, Index: i, Entry: s, Assumption: "A-24"}
			switch {
			case err != nil:
				pr.Detail = err.Error()
			case e.Kind == allowlist.IPv4, e.Assumption == "A-7", e.Assumption == "A-8", e.Assumption == "A-9" && e.Kind == allowlist.Invalid:
				pr.Detail = "fullyQualifiedDomainNames holds host names (\"Outbound rules in fully qualified domain name format\", networkSecurityPerimeter API); outbound rules have no address, port or URL form"
			case e.Kind == allowlist.Wildcard:
				pr.Warning, pr.Detail = true, "a wildcard entry: Learn does not say whether perimeter FQDN rules match wildcards (A-24); destinations it could match are Unknown"
			case e.Why != "":
				pr.Warning, pr.Assumption, pr.Detail = true, e.Assumption, e.Why
			default:
				continue
			}
			probs = append(probs, pr)
			if !pr.Warning {
				if blank == nil {
					blank = append([]string(nil), r.FQDNs...)
				}
				blank[i] = "" // an empty entry is an error to allowlist: it matches nothing
			}
		}
		if blank != nil {
			l, _ = allowlist.Compile(blank)
		}
		p.rules = append(p.rules, compiledRule{name: r.Name, list: l, text: slices.Clone(r.FQDNs)})
	}
	return p, probs
}

// Len returns the number of rules.
func (p *Profile) Len() int {
	if p == nil {
		return 0
	}
	return len(p.rules)
}

// RuleName returns rule i's name; it panics if i is out of range.
func (p *Profile) RuleName(i int) string { return p.rules[i].name }

// Entry returns entry j of rule i as written; it panics if out of range.
func (p *Profile) Entry(i, j int) string { return p.rules[i].text[j] }

// match returns the first rule that allows dst, or the first that could
// (a wildcard, or a non-ASCII destination: Unknown).
func (p *Profile) match(dst string) (allowlist.Outcome, int, int, string) {
	if p == nil {
		return allowlist.Denied, -1, -1, ""
	}
	unk, ue, ua := -1, -1, ""
	for i := range p.rules {
		if p.rules[i].list.Len() == 0 {
			continue
		}
		m := p.rules[i].list.Match(dst)
		switch {
		case m.Outcome == allowlist.Allowed:
			return allowlist.Allowed, i, m.Entry, m.Assumption
		case m.Outcome == allowlist.Unknown && m.Assumption == "A-11":
			// A non-ASCII destination: its A-label could equal any entry.
			return allowlist.Unknown, -1, -1, m.Assumption
		case m.Outcome == allowlist.Unknown && unk < 0:
			unk, ue, ua = i, m.Entry, m.Assumption
		}
	}
	if unk >= 0 {
		return allowlist.Unknown, unk, ue, ua
	}
	return allowlist.Denied, -1, -1, ""
}

// Outcome is a perimeter's answer for one outbound flow.
type Outcome uint8

// Outcomes.
const (
	Allowed Outcome = iota // the perimeter lets the flow out (possibly only because it is not enforced)
	Denied                 // the perimeter denies it
	Unknown                // only a wildcard rule could allow it, or the destination is not ASCII
)

var outcomeNames = [...]string{"Allowed", "Denied", "Unknown"}

// String returns the outcome's name.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Gate is what decides a resource's outbound flows: its association (if
// any) and its publicNetworkAccess.
type Gate struct {
	Associated bool
	Mode       AccessMode // the association's accessMode
	Access     PublicAccess
	Profile    *Profile // the association's profile's outbound rules; nil for none
}

// Decision is [Gate.Decide]'s answer.
type Decision struct {
	Outcome Outcome
	// Enforced: the perimeter's rules alone decide (Enforced mode, or
	// SecuredByPerimeter).
	Enforced bool
	// WouldDeny: allowed only because the association is not enforced; no
	// outbound rule matches, so enforcing it would deny the flow.
	WouldDeny bool
	// IntraPerimeter: allowed as traffic to a resource of the same
	// perimeter.
	IntraPerimeter bool
	// Rule and Entry: the outbound rule and its entry that allowed (or, for
	// Unknown, could allow) the flow; -1 for none.
	Rule, Entry int
	// Cell is the transition page's outbound table cell for the gate
	// ([Table]); Assumptions are the ids the answer relies on, in order.
	Cell        string
	Assumptions Assumptions
}

// Table is the outbound column of the decision table of
// network-security-perimeter-transition (2024-06-04 and 2024-11-06
// revisions, verbatim), by publicNetworkAccess and association: "none",
// "Learning" or "Enforced".
var Table = map[PublicAccess]map[string]string{
	Enabled:            {"none": "Outbound: Allowed", "Learning": "Outbound: Network security perimeter rules + Allowed", "Enforced": "Outbound: Network security perimeter rules"},
	Disabled:           {"none": "Outbound: Allowed", "Learning": "Outbound: Network security perimeter rules + Allowed", "Enforced": "Outbound: Network security perimeter rules"},
	SecuredByPerimeter: {"none": "Outbound: Denied", "Learning": "Outbound: Network security perimeter rules", "Enforced": "Outbound: Network security perimeter rules"},
}

// Assumptions is a set of the assumptions a [Decision] relies on.
type Assumptions uint8

// The assumptions, by their ids in the PaaS semantics notes.
const (
	AssumeAudit Assumptions = 1 << iota // Audit decides as Learning
	AssumeIntra                         // same-perimeter traffic is allowed when authenticated by managed identity
	AssumeMatch                         // FQDN rules match exact names, ASCII lower case, trailing dot ignored
)

// IDs returns the ids in the set, in order ("A-21", "A-23", "A-24").
func (a Assumptions) IDs() []string {
	var ids []string
	for i, id := range []string{"A-21", "A-23", "A-24"} {
		if a&(1<<i) != 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

// Decide decides an outbound flow to dst, a host name or an IP literal as
// the resource is given it. intra says that dst names a resource associated
// with the same perimeter (which the caller, knowing the associations,
// decides). It allocates nothing for a lower-case dst.
func (g Gate) Decide(dst string, intra bool) Decision {
	access := g.Access
	if access == Unset {
		access = Enabled
	}
	d := Decision{Rule: -1, Entry: -1}
	if !g.Associated {
		d.Cell = Table[access]["none"]
		if access == SecuredByPerimeter {
			d.Outcome, d.Enforced = Denied, true
		}
		return d
	}
	mode := "Learning"
	d.Enforced = g.Mode == Enforced || access == SecuredByPerimeter
	if d.Enforced {
		mode = "Enforced"
	}
	d.Cell = Table[access][mode]
	if g.Mode == Audit && !d.Enforced {
		d.Assumptions |= AssumeAudit
	}
	if intra {
		d.IntraPerimeter = true
		d.Assumptions |= AssumeIntra
		return d
	}
	d.Assumptions |= AssumeMatch
	o, r, e, _ := g.Profile.match(dst)
	d.Rule, d.Entry = r, e
	switch {
	case o == allowlist.Allowed:
		d.Outcome = Allowed
	case o == allowlist.Unknown && d.Enforced:
		d.Outcome = Unknown
	case d.Enforced:
		d.Outcome = Denied
	case o == allowlist.Unknown:
		// Not enforced: allowed either way; whether enforcing would deny
		// is what the wildcard leaves open.
		d.Outcome = Allowed
	default:
		d.Outcome, d.WouldDeny = Allowed, true
	}
	return d
}
