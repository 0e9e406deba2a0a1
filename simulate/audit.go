package simulate

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// Check names one audit.
type Check string

// The audits of [Engine.Audit], from the data-egress guidance the project
// follows (azure-semantics §3: default outbound retirement, forced
// tunnelling, deny-by-default outbound).
const (
	CheckDefaultOutbound     Check = "default-outbound-access"      // internet traffic uses default outbound access
	CheckDirectInternet      Check = "direct-internet"              // a NIC reaches the internet without an appliance
	CheckNSGAllowsInternet   Check = "nsg-allows-internet-outbound" // an NSG rule allows Internet or * outbound
	CheckNoForcedTunnel      Check = "no-forced-tunnel"             // no 0.0.0.0/0 user route to an appliance or gateway
	CheckForcedTunnelBypass  Check = "forced-tunnel-bypass"         // a more specific route sends traffic around it
	CheckUnstableEgressIP    Check = "unstable-egress-ip"           // the egress IP is implicit or picked among several
	CheckAIOutboundOpen      Check = "ai-outbound-unrestricted"     // an AI services account without restrictOutboundNetworkAccess
	CheckShadowedRule        Check = "shadowed-nsg-rule"            // an NSG rule that a higher-priority rule always pre-empts
	CheckFirewallAllowsAny   Check = "firewall-allows-any"          // a firewall rule allows any destination (network: any address and port; application: any FQDN)
	internetProbeDescription       = "52.0.0.1"                     // a public address used to probe internet paths
)

// Finding is one audit result: the check, the resource, and the evidence.
type Finding struct {
	Check    Check  `json:"check"`
	Severity string `json:"severity"` // "high", "medium", "low"
	Resource string `json:"resource"` // resource ID
	Name     string `json:"name"`
	Message  string `json:"message"`
	Evidence string `json:"evidence,omitempty"`
}

var internetProbe = netip.MustParseAddr(internetProbeDescription)

// probePorts are the flows used to decide whether a NIC reaches the internet
// "on any port": common service ports, both transports.
var probePorts = []struct {
	proto ipproto.Proto
	port  uint16
}{{ipproto.TCP, 443}, {ipproto.TCP, 80}, {ipproto.TCP, 22}, {ipproto.TCP, 25}, {ipproto.TCP, 445}, {ipproto.TCP, 3389}, {ipproto.UDP, 53}, {ipproto.UDP, 123}}

// Audit runs every check over the engine's network and returns the findings,
// sorted by check, then resource.
func (e *Engine) Audit() []Finding {
	var out []Finding
	add := func(f Finding) { out = append(out, f) }
	seenSubnet := map[int32]bool{}
	for h := range e.nics {
		st := &e.nics[h]
		if st.isPE {
			continue
		}
		d := e.Classify(NIC(h), internetProbe, ipproto.TCP, 443)
		if d.Method == MethodDefaultOutbound && !seenSubnet[st.subnet] {
			seenSubnet[st.subnet] = true
			s := e.subnets[st.subnet].s
			add(Finding{Check: CheckDefaultOutbound, Severity: "high", Resource: string(s.ID), Name: s.VNet.Name + "/" + s.Name,
				Message:  "internet traffic leaves through default outbound access: an implicit IP that may change, and that stops working when the subnet becomes private (retirement of default outbound access)",
				Evidence: fmt.Sprintf("%s -> %s:443 %s", st.nic.Name, internetProbe, e.Explain(d))})
		}
		if d.egress >= 0 && e.egress[d.egress].unstable && d.Verdict == Allowed {
			add(Finding{Check: CheckUnstableEgressIP, Severity: "low", Resource: string(st.nic.ID), Name: st.nic.Name,
				Message:  "the egress IP is not a single stable address: allow-lists at partners may break",
				Evidence: e.Explain(d)})
		}
		var open []string
		for _, p := range probePorts {
			d := e.Classify(NIC(h), internetProbe, p.proto, p.port)
			if d.Hops > 0 || !d.Method.LeavesAzure() {
				continue
			}
			switch {
			case d.Verdict == Allowed:
				open = append(open, fmt.Sprintf("%v/%d", p.proto, p.port))
			case d.Verdict == Unknown && e.smtp(p.proto, p.port, d.Method) == SMTPUnknown:
				open = append(open, fmt.Sprintf("%v/%d (if the subscription type allows it)", p.proto, p.port))
			}
		}
		if len(open) > 0 {
			msg := "reaches the internet without passing a firewall or appliance on " + strings.Join(open, ", ")
			if len(open) == len(probePorts) {
				msg = "reaches the internet on any port without passing a firewall or appliance (" + strings.Join(open, ", ") + ")"
			}
			add(Finding{Check: CheckDirectInternet, Severity: "high", Resource: string(st.nic.ID), Name: st.nic.Name, Message: msg,
				Evidence: e.Explain(e.Classify(NIC(h), internetProbe, ipproto.TCP, 443))})
		}
	}
	for _, g := range e.model.NSGs {
		for _, r := range g.Rules {
			if r.Direction != nsg.Outbound || r.Access != nsg.Allow {
				continue
			}
			for _, d := range append([]string{r.DestinationAddressPrefix}, r.DestinationAddressPrefixes...) {
				if d == "*" || strings.EqualFold(d, "Internet") || d == "0.0.0.0/0" || strings.EqualFold(d, "Any") {
					add(Finding{Check: CheckNSGAllowsInternet, Severity: "medium", Resource: string(g.ID), Name: g.Name + "/" + r.Name,
						Message:  fmt.Sprintf("rule %q (priority %d) allows outbound traffic to %s", r.Name, r.Priority, d),
						Evidence: fmt.Sprintf("ports %s%s, protocol %v", r.DestinationPortRange, strings.Join(r.DestinationPortRanges, ","), r.Protocol)})
				}
			}
		}
		out = append(out, shadowed(g)...)
	}
	for i := range e.subnets {
		ss := &e.subnets[i]
		if !e.hasWorkload(int32(i)) {
			continue
		}
		var zero route.Route
		for j := range ss.table.Len() {
			r := ss.table.Route(j)
			if r.State() == route.Active && r.Prefix().Bits() == 0 && r.Prefix().Addr().Is4() {
				zero = r
			}
		}
		switch zero.NextHopType() {
		case route.VirtualAppliance, route.VirtualApplianceEcmp, route.VirtualNetworkGateway:
		default:
			add(Finding{Check: CheckNoForcedTunnel, Severity: "medium", Resource: string(ss.s.ID), Name: ss.s.VNet.Name + "/" + ss.s.Name,
				Message:  "no 0.0.0.0/0 route to a firewall, appliance or gateway: internet traffic is not forced through inspection",
				Evidence: zero.String()})
			continue
		}
		for j := range ss.table.Len() {
			r := ss.table.Route(j)
			if r.State() == route.Active && r.NextHopType() == route.Internet && r.Prefix().Bits() > 0 {
				add(Finding{Check: CheckForcedTunnelBypass, Severity: "medium", Resource: string(ss.s.ID), Name: ss.s.VNet.Name + "/" + ss.s.Name,
					Message:  fmt.Sprintf("route %s sends %v straight to the internet, around the 0.0.0.0/0 route", routeLabel(r), r.Prefix()),
					Evidence: r.String()})
			}
		}
	}
	for _, fp := range e.model.FirewallPolicies {
		for _, g := range fp.RuleCollectionGroups {
			for _, c := range g.Collections {
				if !strings.EqualFold(c.Action, "Allow") {
					continue
				}
				for _, r := range c.Rules {
					anyDst := slices.Contains(r.DestinationAddresses, "*") && len(r.DestinationIPGroups) == 0 && len(r.DestinationFqdns) == 0
					anyPort := slices.Contains(r.DestinationPorts, "*")
					anyFQDN := slices.Contains(r.TargetFqdns, "*")
					var what string
					switch {
					case strings.EqualFold(r.Type, "NetworkRule") && anyDst && anyPort:
						what = "any destination address on any port"
					case strings.EqualFold(r.Type, "ApplicationRule") && anyFQDN:
						what = "any FQDN"
					default:
						continue
					}
					add(Finding{Check: CheckFirewallAllowsAny, Severity: "high", Resource: string(fp.ID), Name: fp.Name + "/" + g.Name + "/" + c.Name + "/" + r.Name,
						Message:  "firewall rule allows " + what + ": the firewall no longer restricts egress for its sources",
						Evidence: fmt.Sprintf("sources %s", strings.Join(r.SourceAddresses, ","))})
				}
			}
		}
	}
	out = append(out, classicAllowsAny(e.model)...)
	for _, a := range e.model.AIAccounts {
		if !a.RestrictOutboundNetworkAccess {
			add(Finding{Check: CheckAIOutboundOpen, Severity: "medium", Resource: string(a.ID), Name: a.Name,
				Message: "restrictOutboundNetworkAccess is off: the service itself may call any URL it is given (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention)"})
		}
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(strings.Compare(string(a.Check), string(b.Check)), strings.Compare(strings.ToLower(a.Resource), strings.ToLower(b.Resource)),
			strings.Compare(a.Name, b.Name))
	})
	return out
}

func routeLabel(r route.Route) string {
	if r.Name() != "" {
		return fmt.Sprintf("%q", r.Name())
	}
	return r.Source().String()
}

// hasWorkload reports whether a subnet has a NIC that is not a private
// endpoint; special subnets (firewall, gateway) have none in the model.
func (e *Engine) hasWorkload(subnet int32) bool {
	for _, st := range e.nics {
		if st.subnet == subnet && !st.isPE && !st.forward {
			return true
		}
	}
	return false
}

// shadowed finds rules that an earlier rule of the same direction always
// pre-empts: the earlier rule's protocol, addresses and ports each contain
// the later rule's. Containment is decided on the rule's text: "*" contains
// everything, a prefix contains the prefixes inside it, a tag or ASG contains
// only itself (a conservative choice: some shadowed rules may go unreported,
// none is reported wrongly).
func shadowed(g *topology.NSG) []Finding {
	var out []Finding
	rules := slices.Clone(g.Rules)
	slices.SortStableFunc(rules, func(a, b nsg.Rule) int { return cmp.Compare(a.Priority, b.Priority) })
	for i, later := range rules {
		for _, earlier := range rules[:i] {
			if earlier.Direction != later.Direction {
				continue
			}
			if protoContains(earlier.Protocol, later.Protocol) &&
				sideContains(addrItems(earlier.SourceAddressPrefix, earlier.SourceAddressPrefixes, earlier.SourceApplicationSecurityGroups),
					addrItems(later.SourceAddressPrefix, later.SourceAddressPrefixes, later.SourceApplicationSecurityGroups)) &&
				sideContains(addrItems(earlier.DestinationAddressPrefix, earlier.DestinationAddressPrefixes, earlier.DestinationApplicationSecurityGroups),
					addrItems(later.DestinationAddressPrefix, later.DestinationAddressPrefixes, later.DestinationApplicationSecurityGroups)) &&
				portsContain(portItems(earlier.SourcePortRange, earlier.SourcePortRanges), portItems(later.SourcePortRange, later.SourcePortRanges)) &&
				portsContain(portItems(earlier.DestinationPortRange, earlier.DestinationPortRanges), portItems(later.DestinationPortRange, later.DestinationPortRanges)) {
				out = append(out, Finding{Check: CheckShadowedRule, Severity: "low", Resource: string(g.ID), Name: g.Name + "/" + later.Name,
					Message:  fmt.Sprintf("rule %q (priority %d) never matches: rule %q (priority %d) matches everything it would", later.Name, later.Priority, earlier.Name, earlier.Priority),
					Evidence: fmt.Sprintf("%s %v", earlier.Name, earlier.Access)})
				break
			}
		}
	}
	return out
}

func protoContains(a, b nsg.Protocol) bool {
	return a.String() == "*" || a == b
}

func addrItems(one string, many, asgs []string) []string {
	switch {
	case len(asgs) > 0:
		return asgs
	case len(many) > 0:
		return many
	case one == "":
		return []string{"*"}
	}
	return []string{one}
}

func sideContains(outer, inner []string) bool {
	if slices.ContainsFunc(outer, isAny) {
		return true
	}
	for _, in := range inner {
		if isAny(in) {
			return false
		}
		ok := false
		for _, o := range outer {
			if strings.EqualFold(o, in) || prefixContains(o, in) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func isAny(s string) bool { return s == "*" || strings.EqualFold(s, "Any") || s == "0.0.0.0/0" }

func prefixContains(outer, inner string) bool {
	po, err1 := parseItem(outer)
	pi, err2 := parseItem(inner)
	return err1 == nil && err2 == nil && po.Bits() <= pi.Bits() && po.Contains(pi.Addr())
}

func parseItem(s string) (netip.Prefix, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.ParsePrefix(s)
}

func portItems(one string, many []string) []string {
	if len(many) > 0 {
		return many
	}
	if one == "" {
		return []string{"*"}
	}
	return []string{one}
}

func portsContain(outer, inner []string) bool {
	type rng struct{ lo, hi int }
	parse := func(s string) rng {
		if s == "*" {
			return rng{0, 65535}
		}
		var lo, hi int
		if n, _ := fmt.Sscanf(s, "%d-%d", &lo, &hi); n == 2 {
			return rng{lo, hi}
		}
		fmt.Sscanf(s, "%d", &lo)
		return rng{lo, lo}
	}
	for _, in := range inner {
		ri := parse(in)
		ok := false
		for _, o := range outer {
			if ro := parse(o); ro.lo <= ri.lo && ri.hi <= ro.hi {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
