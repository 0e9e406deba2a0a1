package simulate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/allowlist"
	"github.com/egresslab/egress/perimeter"
	"github.com/egresslab/egress/topology"
)

// The built-in Azure Policy definitions the web-app check names.
var (
	// "App Service apps should be injected into a virtual network": audits
	// or denies a site whose virtualNetworkSubnetId is empty
	// (Azure/azure-policy, built-in-policies/policyDefinitions/App
	// Service/App_VNetIntegrationEnabled_Audit.json).
	policyAppInVNet = &PolicyDefinition{ID: "/providers/Microsoft.Authorization/policyDefinitions/72d04c29-f87d-4575-9731-419ff16a2757",
		DisplayName: "App Service apps should be injected into a virtual network", BuiltIn: true}
	// "App Service apps should enable outbound non-RFC 1918 traffic to Azure
	// Virtual Network", the definition on the site property that supports
	// Deny (it replaced the app-setting one in November 2022, App Service
	// built-in policy changelog); the one configure-vnet-integration-routing
	// links and Azure Landing Zones' guardrails assign as Deny-AppService-Rfc.
	policyAppRouteAll = &PolicyDefinition{ID: "/providers/Microsoft.Authorization/policyDefinitions/f5c0bfb3-acea-47b1-b477-b0edcdf6edc1",
		DisplayName: "App Service apps should enable outbound non-RFC 1918 traffic to Azure Virtual Network", BuiltIn: true}
	// There is no built-in definition for restrictOutboundNetworkAccess
	// (Azure/azure-policy's Cognitive Services and Azure Ai Services
	// folders, read 2026-12-02); Azure Landing Zones' FSI variant deploys
	// this custom one (Deny by default; Audit, Deny, Disabled).
	policyAIRestrictOutbound = &PolicyDefinition{ID: "Deny-CognitiveServices-RestrictOutboundNetworkAccess",
		DisplayName: "Outbound network access should be restricted for Cognitive Services",
		Source:      "https://github.com/Azure/Enterprise-Scale/blob/main/src/resources/Microsoft.Authorization/policyDefinitions/Deny-CognitiveServices-RestrictOutboundNetworkAccess.json"}
)

// webAppBypass reports web app i when some of its application traffic to
// the internet does not enter a virtual network
// (https://learn.microsoft.com/azure/app-service/overview-vnet-integration#routes:
// without route-all, only RFC 1918 destinations and service endpoints go
// through the integration; the rest leaves from the app's outbound
// addresses): proved on its egress map ([Engine.ReachFrom]) over every
// destination address, protocol and port — the classes that leave from the
// app's own outbound addresses without entering the subnet — with a
// witness flow (an audit probe when one is in the classes). A perimeter
// that forces the traffic through the integration leaves no such
// class.
//
// known is false for an app whose routing egress does not model
// (gateway-required integration, A-18; perimeter associations it cannot
// decide).
func (e *Engine) webAppBypass(i int32, ps ProbeSet) (f Finding, bypass, known bool) {
	st := &e.apps[i]
	w := st.v
	s := Source{e, SourceWebApp, i}
	m, err := e.ReachFrom(s)
	if err != nil {
		return Finding{}, false, false
	}
	known = slices.ContainsFunc(m.Classes, func(c ReachClass) bool {
		r := c.Decision.Reason
		return c.Decision.Verdict != Unknown || r != ReasonNotModelled && r != ReasonPerimeterUndecided
	})
	cs := m.Where(func(c *ReachClass) bool { return internetBound(c.Decision) && c.Decision.egress == st.public })
	if len(cs) == 0 {
		return Finding{}, false, known
	}
	c, fl := pickWitness(cs, ps)
	wit := e.witness(s, c, fl)
	scope := Scope{Kind: ScopeWebApp, ID: string(w.ID()), Name: w.Name()}
	ips := w.OutboundIPs()
	from := "its shared outbound addresses"
	if len(ips) > 0 {
		s := make([]string, len(ips))
		for i, a := range ips {
			s[i] = a.String()
		}
		from += " (" + strings.Join(s, ", ") + ")"
	}
	proof := "; proved over every address, protocol and port: " + classesSummary(e, cs)
	evidence := w.Name() + " -> " + flowLabel(wit.Protocol, wit.Destination, wit.Port) + " " + e.Explain(c.Decision)
	if _, state := w.SubnetRef(); state == topology.RefNone {
		return Finding{Check: CheckWebAppBypassesVNet, Severity: SeverityMedium, Scope: scope, NICs: []NICRef{},
			Message:  "no regional VNet integration: all its outbound traffic leaves from " + from + ", outside every NSG, route, NAT gateway and firewall of the network" + proof,
			Evidence: evidence, Witness: wit, Classes: classLines(cs), Policy: policyAppInVNet}, true, true
	}
	_, why := w.Routing().RoutesAll(topology.TrafficApplication)
	subnet := "its integration subnet"
	if s, ok := w.Subnet(); ok {
		subnet = "integration subnet " + s.Name()
	}
	return Finding{Check: CheckWebAppBypassesVNet, Severity: SeverityHigh, Scope: scope, NICs: []NICRef{},
		Message:  fmt.Sprintf("VNet integration routes only RFC 1918 and service-endpoint traffic into %s: its internet traffic leaves from %s, bypassing the subnet's NSG, routes, NAT gateway and firewall", subnet, from) + proof,
		Evidence: why + "; " + evidence, Witness: wit, Classes: classLines(cs), Policy: policyAppRouteAll}, true, true
}

// sharedDomains are multi-tenant service domains: a wildcard at or above
// one allows every tenant's resources under it. They are the public DNS
// zones of the services that perimeters onboard (topology.PerimeterTypes)
// and of other multi-tenant endpoints of
// https://learn.microsoft.com/azure/private-link/private-endpoint-dns.
var sharedDomains = func() []string {
	d := []string{"azurewebsites.net", "azurecr.io", "azconfig.io", "azure-devices.net", "cloudapp.azure.com", "cloudapp.net",
		"web.core.windows.net", "azuredatabricks.net", "azuresynapse.net", "postgres.database.azure.com", "mysql.database.azure.com"}
	for _, t := range topology.PerimeterTypes {
		d = append(d, t.Zones...)
	}
	slices.Sort(d)
	return slices.Compact(d)
}()

// coversShared reports whether a wildcard's suffix ("blob.core.windows.net",
// "windows.net", "" for a bare "*") is a shared domain or above one, and
// which.
func coversShared(suffix string) (string, bool) {
	for _, d := range sharedDomains {
		if suffix == "" || d == suffix || strings.HasSuffix(d, "."+suffix) {
			return d, true
		}
	}
	return "", false
}

// allowListBroad reports the entries of an account's allow-list that are
// broader than a host name
// (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention
// documents fully qualified domain names, and IPv4 addresses in its 2023
// and 2025-01 revisions only): wildcards, addresses and ranges.
func allowListBroad(a *topology.AIAccount) (Finding, bool) {
	var wild, shared, ips, ranges []string
	for _, s := range a.AllowedFqdnList {
		en, err := allowlist.Parse(s)
		switch {
		case err != nil:
		case en.Kind == allowlist.Wildcard:
			if d, ok := coversShared(en.Key); ok {
				shared = append(shared, s+" (covers "+d+")")
			} else {
				wild = append(wild, s)
			}
		case en.Kind == allowlist.IPv4:
			ips = append(ips, s)
		case en.Assumption == "A-9":
			if _, err := netip.ParsePrefix(s); err == nil {
				ranges = append(ranges, s)
			}
		}
	}
	if len(wild)+len(shared)+len(ips)+len(ranges) == 0 {
		return Finding{}, false
	}
	var msg, ev []string
	sev := SeverityMedium
	if len(shared) > 0 {
		sev = SeverityHigh
		msg = append(msg, "wildcards over multi-tenant service domains: if Azure honours them (undocumented, A-6), the service may call every tenant's resources there, an attacker's storage account included")
		ev = append(ev, "shared: "+strings.Join(shared, ", "))
	}
	if len(wild) > 0 {
		msg = append(msg, "wildcard entries, which Learn does not document (A-6): if honoured, every host under their domains")
		ev = append(ev, "wildcards: "+strings.Join(wild, ", "))
	}
	if len(ips) > 0 {
		msg = append(msg, "IP addresses, documented only in older revisions (A-9): whatever is hosted at them, under any name")
		ev = append(ev, "addresses: "+strings.Join(ips, ", "))
	}
	if len(ranges) > 0 {
		msg = append(msg, "IP ranges, which match nothing (A-9) but read as allowing a network")
		ev = append(ev, "ranges: "+strings.Join(ranges, ", "))
	}
	return Finding{Check: CheckAIAllowListBroad, Severity: sev, Scope: Scope{Kind: ScopeAIAccount, ID: string(a.ID), Name: a.Name}, NICs: []NICRef{},
		Message:  "allowedFqdnList has entries broader than a host name: " + strings.Join(msg, "; ") + "; list the host names instead",
		Evidence: strings.Join(ev, "; ")}, true
}

// perimetersNotEnforced reports the perimeter associations in Learning or
// Audit mode (network-security-perimeter-concepts: "Transition mode
// (formerly Learning mode)" logs what the rules would deny; "Enforced mode
// — Must be set by the administrator").
func perimetersNotEnforced(n *topology.Network) []Finding {
	_, _, _, assocs := n.Perimeters()
	var out []Finding
	for _, a := range assocs {
		mode, err := perimeter.ParseAccessMode(a.AccessMode)
		if a.AccessMode == "" {
			mode, err = perimeter.Learning, nil // the documented default
		}
		if err != nil || mode == perimeter.Enforced {
			continue
		}
		typ := a.Resource.Type()
		sev, what := SeverityLow, "the perimeter's inbound and outbound rules are logged, not enforced"
		switch {
		case strings.EqualFold(typ, "Microsoft.CognitiveServices/accounts"):
			sev, what = SeverityMedium, "the account's own outbound calls that no outbound access rule allows still leave"
		case strings.EqualFold(typ, "Microsoft.Web/sites"):
			sev, what = SeverityMedium, "the app's outbound traffic is not forced through its virtual network integration (A-19)"
		}
		ev := mode.String() + " mode"
		if a.AccessMode == "" {
			ev += " (accessMode absent: the default)"
		}
		out = append(out, Finding{Check: CheckPerimeterNotEnforced, Severity: sev,
			Scope: Scope{Kind: ScopePerimeterAssociation, ID: string(a.ID), Name: a.Perimeter.Name() + "/" + a.Name}, NICs: []NICRef{},
			Message: "perimeter association of " + a.Resource.Name() + " is not enforced: " + what +
				"; review the perimeter's access logs, then set accessMode Enforced (egress: the overlay change setPerimeterAssociation shows what would break)",
			Evidence: ev + ", profile " + a.Profile.Name()})
	}
	return out
}

// hasOwner reports whether tags name an owner: a tag "owner", in any
// letter case, with a non-blank value.
func hasOwner(tags map[string]string) bool {
	for k, v := range tags {
		if strings.EqualFold(k, "owner") && strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}
