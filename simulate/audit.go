package simulate

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/perimeter"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology"
)

// Check names one audit.
type Check string

// The audits of [Engine.Audit], from the data-egress guidance the project
// follows (azure-semantics §3: default outbound retirement, forced
// tunnelling, deny-by-default outbound) and the network security best
// practices (https://learn.microsoft.com/azure/security/fundamentals/network-best-practices).
// Each constant says what the check reports, at which [Scope] and with which
// [Severity].
const (
	// CheckDefaultOutbound: NICs with a class of flows (over every
	// destination address, protocol and port: their egress map,
	// [Engine.Reach]) that leaves through default outbound access; per
	// subnet or VNet; high.
	CheckDefaultOutbound Check = "default-outbound-access"
	// CheckDirectInternet: NICs with a class of flows that reaches the
	// internet without crossing a firewall or appliance
	// ([EgressMap.DirectInternet]), naming the classes, a witness flow, and
	// which probes of [AuditProbes] fall in them; per subnet or VNet; high.
	CheckDirectInternet Check = "direct-internet"
	// CheckNSGAllowsInternet: an NSG rule allowing Internet, *, Any or
	// 0.0.0.0/0 outbound; per security rule; medium.
	CheckNSGAllowsInternet Check = "nsg-allows-internet-outbound"
	// CheckNSGAllowsInternetInbound: an NSG rule allowing SSH, RDP or every
	// port inbound from *, Any, 0.0.0.0/0 or Internet; per security rule;
	// high when the inbound probes are admitted by the rule at a NIC with a
	// public IP or behind a public load balancer, medium when admitted at
	// NICs without one, low when no NIC admits them (see
	// nsg-allows-internet-inbound in audit_inbound.go).
	CheckNSGAllowsInternetInbound Check = "nsg-allows-internet-inbound"
	// CheckNoForcedTunnel: subnets without an active 0.0.0.0/0 route to an
	// appliance or gateway; per subnet or VNet; medium.
	CheckNoForcedTunnel Check = "no-forced-tunnel"
	// CheckForcedTunnelBypass: a more specific route sending traffic
	// straight to the internet around the 0.0.0.0/0 route; per subnet or
	// VNet; medium.
	CheckForcedTunnelBypass Check = "forced-tunnel-bypass"
	// CheckUnstableEgressIP: NICs with a class of internet-bound flows
	// whose egress IP is implicit or picked among several; per subnet or
	// VNet; low.
	CheckUnstableEgressIP Check = "unstable-egress-ip"
	// CheckAIOutboundOpen: an AI services account without
	// restrictOutboundNetworkAccess; per account; medium.
	CheckAIOutboundOpen Check = "ai-outbound-unrestricted"
	// CheckAIAllowListBroad: an AI services account's allowedFqdnList holds
	// entries broader than a host name: a wildcard (*.contoso.com; Learn
	// documents only host names, so whether it matches is unknown, A-6, and
	// if it does it allows every host under the domain), an IP address
	// (whatever is hosted there, A-9) or an IP range (matches nothing, A-9,
	// but reads as allowing a network); high when a wildcard covers a
	// multi-tenant service domain (*.blob.core.windows.net, *.windows.net:
	// every other tenant's resources), else medium.
	CheckAIAllowListBroad Check = "ai-allowlist-broad"
	// CheckAINoOwner: an AI services account without an owner tag (a tag
	// named "owner", in any letter case, with a value): no one is named to
	// answer for what it may call; low.
	CheckAINoOwner Check = "ai-no-owner-tag"
	// CheckWebAppBypassesVNet: an App Service or Functions app whose
	// internet-bound traffic does not enter a virtual network (no regional
	// VNet integration, or one that routes only RFC 1918 and service-endpoint
	// traffic), so it leaves from the app's shared outbound addresses
	// outside every NSG, route table, NAT gateway and firewall of the
	// network; high when integrated (the subnet's controls look in force but
	// are bypassed), medium when not. Proved on the app's egress map
	// (Engine.ReachFrom: the classes that leave from its own outbound
	// addresses), with a witness.
	CheckWebAppBypassesVNet Check = "webapp-internet-bypasses-vnet"
	// CheckPerimeterNotEnforced: a network security perimeter association
	// in Learning (transition) or Audit mode: its resource's traffic that no
	// access rule allows still flows, falling back to the resource's own
	// settings; per association; medium for an AI account or web app (its
	// own outbound calls are not restricted by the perimeter), low for
	// other resources.
	CheckPerimeterNotEnforced Check = "perimeter-not-enforced"
	// CheckContainerGroupNoNAT: a container group in a virtual network
	// whose internet-bound traffic meets no NAT gateway (nor a firewall or
	// appliance first): "you must use a NAT gateway for outbound
	// connectivity. This is the only supported configuration"
	// (https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts);
	// whether it gets out at all is undocumented; per container
	// group; medium. Proved on the group's egress map (Engine.ReachFrom:
	// the classes that leave by default outbound access), with a witness.
	CheckContainerGroupNoNAT Check = "container-group-no-nat-gateway"
	// CheckShadowedRule: an NSG rule that a higher-priority rule always
	// pre-empts; per security rule; low.
	CheckShadowedRule Check = "shadowed-nsg-rule"
	// CheckFirewallAllowsAny: a firewall rule allowing any destination
	// (network: any address and port; application: any FQDN); per firewall
	// rule; high.
	CheckFirewallAllowsAny Check = "firewall-allows-any"
	// CheckVNetTagWidened: a subnet whose VirtualNetwork service tag holds
	// prefixes beyond its VNet and peers (a UDR's prefix, on-premises
	// prefixes from the gateway), so that AllowVnetInBound, AllowVnetOutBound
	// and other rules naming VirtualNetwork admit them; per subnet or VNet;
	// high for a default route, medium for other public prefixes, low for
	// private ones or when no rule naming VirtualNetwork admits the probes
	// (see vnet-tag-widened in audit_vnettag.go).
	CheckVNetTagWidened Check = "vnet-tag-widened"
)

// Messages shared by every NIC of a finding.
const (
	msgDefaultOutbound = "internet traffic leaves through default outbound access: an implicit IP that may change, and that stops working when the subnet becomes private (retirement of default outbound access, https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access)"
	msgUnstableEgress  = "the egress IP is not a single stable address: allow-lists at partners may break"
	msgNoForcedTunnel  = "no 0.0.0.0/0 route to a firewall, appliance or gateway: internet traffic is not forced through inspection"
)

// Audit runs every check over the engine's network. Findings about NICs are
// aggregated per subnet, or per VNet when all its subnets agree, listing
// every NIC (see [Finding]); findings about one resource (an NSG rule, a
// firewall rule, an AI account) name it. The probes used are in the
// report. The report is the same for the same engine: same input, same
// bytes.
func (e *Engine) Audit() *AuditReport { return e.AuditProgress(nil) }

// auditProgressEvery is how many NICs AuditProgress checks between calls.
const auditProgressEvery = 256

// AuditProgress is Audit, calling progress(done, total) on the calling
// goroutine as it goes through the NICs (the longest part of an audit of a
// big network): every few hundred NICs, and once with done == total when
// they are all checked. A nil progress is never called.
func (e *Engine) AuditProgress(progress func(done, total int)) *AuditReport {
	return e.audit(progress, true)
}

// audit is AuditProgress; share builds the NICs' egress maps with
// ReachAll, NICs whose maps coincide sharing the work (auditMaps).
func (e *Engine) audit(progress func(done, total int), share bool) *AuditReport {
	ps := AuditProbes()
	agg := newAggregator(e)
	add := agg.resource
	var sources []int32
	for h := range e.nics {
		if !e.nics[h].isPE {
			sources = append(sources, int32(h))
		}
	}
	next := auditProgressEvery
	e.auditMaps(sources, share, ps, func(h int32, m *EgressMap) {
		for ; progress != nil && int(h) >= next; next += auditProgressEvery {
			progress(next, len(e.nics))
		}
		e.auditInternet(agg, h, m, ps)
	})
	if progress != nil {
		progress(len(e.nics), len(e.nics))
	}
	for i := range e.net.NumNSGs() {
		g := e.net.NSG(i).Resource()
		for _, r := range g.Rules {
			if r.Direction != nsg.Outbound || r.Access != nsg.Allow {
				continue
			}
			for _, d := range append([]string{r.DestinationAddressPrefix}, r.DestinationAddressPrefixes...) {
				if d == "*" || strings.EqualFold(d, "Internet") || d == "0.0.0.0/0" || strings.EqualFold(d, "Any") {
					add(Finding{Check: CheckNSGAllowsInternet, Severity: SeverityMedium, Scope: ruleScope(g, r.Name),
						Message:  fmt.Sprintf("rule %q (priority %d) allows outbound traffic to %s", r.Name, r.Priority, d),
						Evidence: fmt.Sprintf("ports %s%s, protocol %v", r.DestinationPortRange, strings.Join(r.DestinationPortRanges, ","), r.Protocol)})
				}
			}
		}
		for _, f := range shadowed(g) {
			add(f)
		}
	}
	e.internetInbound(ps, add)
	workloads := e.workloadNICs()
	for i := range e.subnets {
		ss := &e.subnets[i]
		nics := workloads[i]
		if len(nics) == 0 {
			continue
		}
		subnetFinding := func(c Check, sev Severity, msg, evidence string) {
			for _, h := range nics {
				agg.nic(c, sev, h, msg, func() nicDetail { return nicDetail{evidence: evidence} })
			}
		}
		for _, h := range nics {
			agg.evaluate(CheckNoForcedTunnel, h)
			agg.evaluate(CheckForcedTunnelBypass, h)
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
			subnetFinding(CheckNoForcedTunnel, SeverityMedium, msgNoForcedTunnel, zero.String())
			continue
		}
		for j := range ss.table.Len() {
			r := ss.table.Route(j)
			if r.State() == route.Active && r.NextHopType() == route.Internet && r.Prefix().Bits() > 0 {
				subnetFinding(CheckForcedTunnelBypass, SeverityMedium,
					fmt.Sprintf("route %s sends %v straight to the internet, around the 0.0.0.0/0 route", routeLabel(r), r.Prefix()), r.String())
			}
		}
	}
	e.vnetTagWidened(agg, ps)
	for _, fp := range e.net.FirewallPolicies() {
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
					add(Finding{Check: CheckFirewallAllowsAny, Severity: SeverityHigh,
						Scope:    Scope{Kind: ScopeFirewallRule, ID: string(fp.ID) + "/ruleCollectionGroups/" + g.Name, Name: fp.Name + "/" + g.Name + "/" + c.Name + "/" + r.Name},
						Message:  "firewall rule allows " + what + ": the firewall no longer restricts egress for its sources",
						Evidence: fmt.Sprintf("sources %s", strings.Join(r.SourceAddresses, ","))})
				}
			}
		}
	}
	for _, f := range classicAllowsAny(e.net) {
		add(f)
	}
	for _, a := range e.net.AIAccounts() {
		if !a.RestrictOutboundNetworkAccess {
			add(Finding{Check: CheckAIOutboundOpen, Severity: SeverityMedium, Scope: Scope{Kind: ScopeAIAccount, ID: string(a.ID), Name: a.Name},
				Message: "restrictOutboundNetworkAccess is off: the service itself may call any URL it is given (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention)",
				Policy:  policyAIRestrictOutbound})
		}
	}
	ais, restricted := e.net.AIAccounts(), 0
	for _, a := range ais {
		if !hasOwner(a.Tags) {
			add(Finding{Check: CheckAINoOwner, Severity: SeverityLow, Scope: Scope{Kind: ScopeAIAccount, ID: string(a.ID), Name: a.Name}, NICs: []NICRef{},
				Message: "no owner tag: tag the account with its owner, so that someone answers for its allowedFqdnList"})
		}
	}
	for _, a := range ais {
		if !a.RestrictOutboundNetworkAccess {
			continue
		}
		restricted++
		if f, ok := allowListBroad(a); ok {
			add(f)
		}
	}
	for _, f := range perimetersNotEnforced(e.net) {
		add(f)
	}
	routed := 0
	for i := range e.apps {
		switch f, bypass, known := e.webAppBypass(int32(i), ps); {
		case bypass:
			add(f)
		case known:
			routed++
		}
	}
	for k := range e.injs {
		if f, ok := e.containerGroupNoNAT(int32(k), ps); ok {
			add(f)
		}
	}
	rep := &AuditReport{SchemaVersion: AuditSchemaVersion, ServiceTags: e.ServiceTags(), Probes: ps, Findings: agg.findings()}
	_, _, _, assocs := e.net.Perimeters()
	enforced := 0
	for _, a := range assocs {
		if m, err := perimeter.ParseAccessMode(a.AccessMode); err == nil && m == perimeter.Enforced {
			enforced++
		}
	}
	rep.summarize(len(ais), restricted, e.net.NumWebApps(), routed, len(assocs), enforced)
	return rep
}

// workloadNICs lists, per subnet, the NICs that are neither private
// endpoints nor forwarding appliances, in model order.
func (e *Engine) workloadNICs() [][]int32 {
	out := make([][]int32, len(e.subnets))
	for h, st := range e.nics {
		if !st.isPE && !st.forward {
			out[st.subnet] = append(out[st.subnet], int32(h))
		}
	}
	return out
}

// ruleScope is the scope of a finding about rule name of NSG g.
func ruleScope(g *topology.NSG, name string) Scope {
	return Scope{Kind: ScopeSecurityRule, ID: string(g.ID) + "/securityRules/" + name, Name: g.Name + "/" + name}
}

func routeLabel(r route.Route) string {
	if r.Name() != "" {
		return fmt.Sprintf("%q", r.Name())
	}
	return r.Source().String()
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
				out = append(out, Finding{Check: CheckShadowedRule, Severity: SeverityLow, Scope: ruleScope(g, later.Name),
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
