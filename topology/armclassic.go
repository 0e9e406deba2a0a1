package topology

import (
	"strconv"
	"strings"

	"github.com/egresslab/egress/topology/arm"
)

// The additionalProperties of Microsoft.Network/azureFirewalls that classic
// rules use: a map of strings (AzureFirewallAdditionalProperties).
const (
	// "true" or "false" (https://learn.microsoft.com/azure/firewall/dns-settings;
	// the az CLI writes it in lower case, Azure PowerShell compares it
	// case-insensitively).
	apDNSProxy = "Network.DNS.EnableProxy"
	// "IANAPrivateRanges , IPRange1, IPRange2": a comma-separated list
	// (https://learn.microsoft.com/azure/firewall/snat-private-range).
	apSNATPrivateRanges = "Network.SNAT.PrivateRanges"
)

// classic reads a firewall's classic rule collections and the
// additionalProperties they use, in every shape the builder gets
// (REST: properties.natRuleCollections[i].properties.priority; az CLI:
// flattened at every level; templates: the REST shape).
func (b *armBuilder) classic(fw *Firewall, v *arm.Value) {
	res := string(fw.ID)
	fw.NatRuleCollections = b.classicCollections(res, v.Prop("natRuleCollections"), "natRuleCollections", "NatRule")
	fw.NetworkRuleCollections = b.classicCollections(res, v.Prop("networkRuleCollections"), "networkRuleCollections", "NetworkRule")
	fw.ApplicationRuleCollections = b.classicCollections(res, v.Prop("applicationRuleCollections"), "applicationRuleCollections", "ApplicationRule")

	ap := v.Prop("additionalProperties")
	if ap != nil && b.known(ap) && ap.Kind() != arm.KindObject {
		b.p.add(ap.Pos(), res, "additionalProperties", "", ErrInvalid, "want an object of strings, not %v", ap.Kind())
		ap = nil
	}
	setting := func(key string) *arm.Value {
		if x := ap.Get(key); x != nil {
			return x
		}
		return v.Get(key) // older az CLI versions printed them at the top level
	}
	if x := setting(apDNSProxy); x != nil {
		field := `additionalProperties["` + apDNSProxy + `"]`
		s, isStr := x.Str()
		bv, isBool := x.Bool()
		switch {
		case isBool:
			fw.DNSProxy = bv
		case isStr && strings.EqualFold(s, "true"):
			fw.DNSProxy = true
		case isStr && strings.EqualFold(s, "false"):
		default:
			b.p.add(x.Pos(), res, field, s, ErrInvalid, `want "true" or "false"`)
		}
	}
	if x := setting(apSNATPrivateRanges); x != nil {
		field := `additionalProperties["` + apSNATPrivateRanges + `"]`
		s, ok := x.Str()
		switch {
		case !ok:
			b.p.add(x.Pos(), res, field, "", ErrInvalid, "want a comma-separated string of CIDRs, IP addresses or IANAPrivateRanges")
		case strings.TrimSpace(s) == "":
			b.p.add(x.Pos(), res, field, s, ErrInvalid, "empty: list the private ranges, or leave the property out for the default (IANAPrivateRanges)")
		default:
			fw.SNATPrivateRanges = []string{}
			for i, item := range strings.Split(s, ",") {
				item = strings.TrimSpace(item)
				if item == "" {
					b.p.add(x.Pos(), res, field, s, ErrInvalid, "item %d is empty", i)
					continue
				}
				fw.SNATPrivateRanges = append(fw.SNATPrivateRanges, item)
			}
		}
	}
}

// classicCollections reads one of the three lists. Every collection and rule
// keeps its position; values of the wrong JSON type are reported, not
// dropped.
func (b *armBuilder) classicCollections(res string, list *arm.Value, field, ruleType string) []*RuleCollection {
	if list == nil || !b.known(list) {
		return nil
	}
	if list.Kind() != arm.KindArray {
		b.p.add(list.Pos(), res, field, "", ErrInvalid, "want an array of rule collections, not %v", list.Kind())
		return nil
	}
	var out []*RuleCollection
	for ci, c := range list.Elems() {
		cf := field + "[" + strconv.Itoa(ci) + "]"
		if !b.known(c) {
			continue
		}
		if c.Kind() != arm.KindObject {
			b.p.add(c.Pos(), res, cf, "", ErrInvalid, "want a rule collection object, not %v", c.Kind())
			continue
		}
		rc := &RuleCollection{Name: b.classicStr(c.Get("name"), res, cf+".name"), Pos: c.Pos()}
		if a := c.Prop("action"); a != nil {
			rc.Action = b.classicStr(a.Get("type"), res, cf+".action.type")
		}
		if pv := c.Prop("priority"); pv != nil && b.known(pv) {
			n, ok := pv.Int()
			if !ok {
				b.p.add(pv.Pos(), res, cf+".priority", "", ErrInvalid, "want an integer")
			}
			rc.Priority = int(n)
		}
		rules := c.Prop("rules")
		if rules != nil && b.known(rules) && rules.Kind() != arm.KindArray {
			b.p.add(rules.Pos(), res, cf+".rules", "", ErrInvalid, "want an array of rules, not %v", rules.Kind())
		}
		for ri, r := range rules.Elems() {
			rf := cf + ".rules[" + strconv.Itoa(ri) + "]"
			if !b.known(r) {
				continue
			}
			if r.Kind() != arm.KindObject {
				b.p.add(r.Pos(), res, rf, "", ErrInvalid, "want a rule object, not %v", r.Kind())
				continue
			}
			items := func(key string) []string { return b.classicStrs(r.Get(key), res, rf+"."+key) }
			fr := &FirewallRule{Name: b.classicStr(r.Get("name"), res, rf+".name"), Type: ruleType,
				SourceAddresses: items("sourceAddresses"), SourceIPGroups: refsOf(items("sourceIpGroups")),
				DestinationAddresses: items("destinationAddresses"), DestinationIPGroups: refsOf(items("destinationIpGroups")),
				DestinationFqdns: items("destinationFqdns"), DestinationPorts: items("destinationPorts"),
				TargetFqdns: items("targetFqdns"), FqdnTags: items("fqdnTags"),
				TranslatedAddress: b.classicStr(r.Get("translatedAddress"), res, rf+".translatedAddress"),
				TranslatedPort:    b.classicStr(r.Get("translatedPort"), res, rf+".translatedPort"),
				TranslatedFqdn:    b.classicStr(r.Get("translatedFqdn"), res, rf+".translatedFqdn"),
				Pos:               r.Pos()}
			if ruleType == "ApplicationRule" {
				// [{protocolType, port}] (AzureFirewallApplicationRuleProtocol).
				for pi, pv := range r.Get("protocols").Elems() {
					pf := rf + ".protocols[" + strconv.Itoa(pi) + "]"
					typ := b.classicStr(pv.Get("protocolType"), res, pf+".protocolType")
					port, ok := pv.Get("port").Int()
					if pv.Get("port") != nil && !ok {
						b.p.add(pv.Get("port").Pos(), res, pf+".port", "", ErrInvalid, "want an integer")
					}
					fr.Protocols = append(fr.Protocols, typ+":"+strconv.FormatInt(port, 10))
				}
			} else {
				fr.Protocols = items("protocols") // ["TCP", "UDP", "ICMP", "Any"]
			}
			rc.Rules = append(rc.Rules, fr)
		}
		out = append(out, rc)
	}
	return out
}

// classicStr reads an optional string, reporting any other JSON type.
func (b *armBuilder) classicStr(v *arm.Value, res, field string) string {
	if v == nil || !b.known(v) {
		return ""
	}
	s, ok := v.Str()
	if !ok {
		b.p.add(v.Pos(), res, field, "", ErrInvalid, "want a string, not %v", v.Kind())
	}
	return s
}

// classicStrs reads an optional list of strings, reporting any other JSON
// type.
func (b *armBuilder) classicStrs(v *arm.Value, res, field string) []string {
	if v == nil || !b.known(v) {
		return nil
	}
	if v.Kind() != arm.KindArray {
		b.p.add(v.Pos(), res, field, "", ErrInvalid, "want an array of strings, not %v", v.Kind())
		return nil
	}
	var out []string
	for i, e := range v.Elems() {
		s, ok := e.Str()
		if !b.known(e) {
			continue
		}
		if !ok {
			b.p.add(e.Pos(), res, field+"["+strconv.Itoa(i)+"]", "", ErrInvalid, "want a string, not %v", e.Kind())
			continue
		}
		out = append(out, s)
	}
	return out
}

func refsOf(ids []string) []Ref {
	var out []Ref
	for _, id := range ids {
		out = append(out, Ref(id))
	}
	return out
}
