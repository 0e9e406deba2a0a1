package topology

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/route"
)

// Why a firewall cannot have both a policy and classic rules: Azure's own
// tools refuse them together, and the firewall-manager policy overview
// compares the two as alternatives.
const (
	classicAndPolicyDoc = `Azure Firewall takes a firewall policy or classic rule collections, not both: Azure PowerShell's New-AzFirewall refuses them together ("Firewall Policy and Rule Collections cannot coexist", https://github.com/Azure/azure-powershell/pull/11003; https://learn.microsoft.com/azure/firewall-manager/policy-overview#classic-rules-and-policies)`
	classicHubDoc       = `classic rules protect virtual networks only; a secured virtual hub firewall (AZFW_Hub) takes a firewall policy (https://learn.microsoft.com/azure/firewall-manager/policy-overview#classic-rules-and-policies)`
)

// classicLists are the ARM names of a firewall's classic collection lists,
// by firewall.RuleType.
var classicLists = [...]string{firewall.RuleTypeNat: "natRuleCollections", firewall.RuleTypeNetwork: "networkRuleCollections",
	firewall.RuleTypeApplication: "applicationRuleCollections"}

// classicList returns the firewall's collection list of an ARM name.
func (f *Firewall) classicList(list string) []*RuleCollection {
	switch list {
	case "natRuleCollections":
		return f.NatRuleCollections
	case "networkRuleCollections":
		return f.NetworkRuleCollections
	case "applicationRuleCollections":
		return f.ApplicationRuleCollections
	}
	return nil
}

// inRange reports whether i indexes a list of length n.
func inRange(i, n int) bool { return i >= 0 && i < n }

// FirewallClassic returns the input of firewall.CompileClassic for a
// firewall's classic rules and settings. Problems of the conversion (an
// unknown action, protocol or threat-intelligence mode) are reported with
// the collection's or rule's position; the rule engine's own checks happen
// in firewall.CompileClassic. A firewall without classic rules converts to
// one without collections, which denies everything.
func (m *Model) FirewallClassic(id Ref) (*firewall.Classic, error) {
	f, ok := lookup[*Firewall](m, id)
	if !ok {
		return nil, fmt.Errorf("firewall %s: not in the model", id)
	}
	var p problems
	out := convertClassic(f, &p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func convertClassic(f *Firewall, p *problems) *firewall.Classic {
	out := &firewall.Classic{Name: f.Name, DNSProxy: f.DNSProxy, SNATPrivateRanges: f.SNATPrivateRanges}
	if f.ThreatIntel != "" {
		if err := out.ThreatIntelMode.UnmarshalText([]byte(f.ThreatIntel)); err != nil {
			p.add(f.Pos, string(f.ID), "threatIntelMode", f.ThreatIntel, ErrInvalid, "%v", err)
		}
	}
	res := string(f.ID)
	for ci, c := range f.NatRuleCollections {
		field := classicLists[firewall.RuleTypeNat] + "[" + strconv.Itoa(ci) + "]"
		rc := firewall.ClassicNatRuleCollection{Name: c.Name, Priority: c.Priority}
		action := c.Action
		if action == "" {
			action = "Dnat" // as a policy's NAT collection (convertPolicy)
		}
		if err := rc.Action.UnmarshalText([]byte(action)); err != nil {
			p.add(c.Pos, res, field+".action.type", c.Action, ErrInvalid, "want Dnat")
		}
		for ri, r := range c.Rules {
			rf := field + ".rules[" + strconv.Itoa(ri) + "]"
			checkClassicType(r, "NatRule", res, rf, p)
			rc.Rules = append(rc.Rules, firewall.NatRule{Name: r.Name, IPProtocols: classicProtocols(r, res, rf, p),
				SourceAddresses: r.SourceAddresses, SourceIPGroups: refStrings(r.SourceIPGroups), DestinationAddresses: r.DestinationAddresses,
				DestinationPorts: r.DestinationPorts, TranslatedAddress: r.TranslatedAddress, TranslatedFqdn: r.TranslatedFqdn, TranslatedPort: r.TranslatedPort})
		}
		out.NatRuleCollections = append(out.NatRuleCollections, rc)
	}
	for ci, c := range f.NetworkRuleCollections {
		field := classicLists[firewall.RuleTypeNetwork] + "[" + strconv.Itoa(ci) + "]"
		rc := firewall.ClassicNetworkRuleCollection{Name: c.Name, Priority: c.Priority, Action: classicAction(c, res, field, p)}
		for ri, r := range c.Rules {
			rf := field + ".rules[" + strconv.Itoa(ri) + "]"
			checkClassicType(r, "NetworkRule", res, rf, p)
			rc.Rules = append(rc.Rules, firewall.NetworkRule{Name: r.Name, IPProtocols: classicProtocols(r, res, rf, p),
				SourceAddresses: r.SourceAddresses, SourceIPGroups: refStrings(r.SourceIPGroups),
				DestinationAddresses: r.DestinationAddresses, DestinationIPGroups: refStrings(r.DestinationIPGroups),
				DestinationFqdns: r.DestinationFqdns, DestinationPorts: r.DestinationPorts})
		}
		out.NetworkRuleCollections = append(out.NetworkRuleCollections, rc)
	}
	for ci, c := range f.ApplicationRuleCollections {
		field := classicLists[firewall.RuleTypeApplication] + "[" + strconv.Itoa(ci) + "]"
		rc := firewall.ClassicApplicationRuleCollection{Name: c.Name, Priority: c.Priority, Action: classicAction(c, res, field, p)}
		for ri, r := range c.Rules {
			rf := field + ".rules[" + strconv.Itoa(ri) + "]"
			checkClassicType(r, "ApplicationRule", res, rf, p)
			ar := firewall.ClassicApplicationRule{Name: r.Name, SourceAddresses: r.SourceAddresses, SourceIPGroups: refStrings(r.SourceIPGroups),
				TargetFqdns: r.TargetFqdns, FqdnTags: r.FqdnTags}
			for i, s := range r.Protocols {
				typ, port, _ := strings.Cut(s, ":")
				var ap firewall.AppProtocol
				n, err := strconv.Atoi(port)
				if err2 := ap.Type.UnmarshalText([]byte(typ)); err2 != nil || err != nil {
					p.add(r.Pos, res, rf+".protocols["+strconv.Itoa(i)+"]", s, ErrInvalid, `want "Http:80", "Https:443" or "Mssql:1433"`)
					continue
				}
				ap.Port = n
				ar.Protocols = append(ar.Protocols, ap)
			}
			rc.Rules = append(rc.Rules, ar)
		}
		out.ApplicationRuleCollections = append(out.ApplicationRuleCollections, rc)
	}
	return out
}

func classicAction(c *RuleCollection, res, field string, p *problems) firewall.Action {
	var a firewall.Action
	if err := a.UnmarshalText([]byte(c.Action)); err != nil || (a != firewall.Allow && a != firewall.Deny) {
		p.add(c.Pos, res, field+".action.type", c.Action, ErrInvalid, "want Allow or Deny")
	}
	return a
}

// checkClassicType reports a rule whose Type (set by a loader, or by hand)
// does not fit the list holding it.
func checkClassicType(r *FirewallRule, want, res, field string, p *problems) {
	if r.Type != "" && !strings.EqualFold(r.Type, want) {
		p.add(r.Pos, res, field, r.Type, ErrInvalid, "a rule of type %s in a list of %ss", r.Type, want)
	}
}

func classicProtocols(r *FirewallRule, res, field string, p *problems) []firewall.Protocol {
	var out []firewall.Protocol
	for i, s := range r.Protocols {
		var fp firewall.Protocol
		if err := fp.UnmarshalText([]byte(s)); err != nil {
			p.add(r.Pos, res, field+".protocols["+strconv.Itoa(i)+"]", s, ErrInvalid, "want TCP, UDP, ICMP or Any")
			continue
		}
		out = append(out, fp)
	}
	return out
}

// validateClassic checks the firewalls' classic rules: not together with a
// policy, not on a virtual hub firewall, and compiling (firewall.CompileClassic)
// with every problem positioned at its collection or rule.
func (m *Model) validateClassic(p *problems, tags route.TagResolver, keep *compiled) {
	for _, f := range m.Firewalls {
		if !f.HasClassicRules() {
			continue
		}
		if !f.Policy.IsZero() {
			field := "networkRuleCollections"
			switch {
			case len(f.NatRuleCollections) > 0:
				field = "natRuleCollections"
			case len(f.ApplicationRuleCollections) > 0 && len(f.NetworkRuleCollections) == 0:
				field = "applicationRuleCollections"
			}
			p.add(f.Pos, string(f.ID), "firewallPolicy", string(f.Policy), ErrNotAllowed, "the firewall also has classic %s: %s", field, classicAndPolicyDoc)
			continue
		}
		if strings.EqualFold(f.SKU, "AZFW_Hub") {
			p.add(f.Pos, string(f.ID), "sku", f.SKU, ErrNotAllowed, "%s", classicHubDoc)
			continue
		}
		var own problems
		cl := convertClassic(f, &own)
		p.errs = append(p.errs, own.errs...)
		if len(own.errs) > 0 {
			continue
		}
		eng, err := firewall.CompileClassic(cl, m.FirewallResolvers(tags, nil))
		if keep != nil {
			keep.classic[f] = engineOrErr{eng, err}
		}
		for _, e := range unjoin(err) {
			pos := f.Pos
			var fe *firewall.Error
			if errors.As(e, &fe) && len(fe.Items) > 0 {
				list := f.classicList(fe.Items[0].List)
				if ci := fe.Items[0].Index; ci >= 0 && ci < len(list) {
					c := list[ci]
					pos = c.Pos
					if ri := fe.Index("rules"); ri >= 0 && ri < len(c.Rules) {
						pos = c.Rules[ri].Pos
					}
				}
			}
			p.addErr(pos, string(f.ID), e)
		}
	}
}
